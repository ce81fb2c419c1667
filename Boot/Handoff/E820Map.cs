// The memory map the OS loader will be told (ACPI "System Address Map Interfaces", INT 15h
// AX=E820h; the entry types 1 usable, 2 reserved, 3 ACPI reclaim, 4 ACPI NVS, 5 unusable). It
// starts as the firmware's map and then has ranges hidden in it — the resident boot stage, its
// DMA buffers, the real-mode stubs, the iBFT — by turning what overlaps them into reserved
// entries, splitting usable ones where needed, as iPXE's hidemem does. Entries stay sorted by
// base and adjacent entries of one type are merged. Fixed capacity: no allocation after setup.
namespace Bootstage.Boot.Handoff
{
    public struct E820Entry
    {
        public const uint Usable = 1;
        public const uint Reserved = 2;

        public ulong Base;
        public ulong Length;
        public uint Type;

        public ulong End => Base + Length;
    }

    public sealed class E820Map
    {
        public const int Capacity = 64;

        private readonly E820Entry[] _entries = new E820Entry[Capacity];
        private int _count;

        public int Count => _count;

        public E820Entry this[int index] => _entries[index];

        public void Clear()
        {
            _count = 0;
        }

        /// <summary>Adds a firmware entry (any order); empty ones are ignored. False when the map is full.</summary>
        public bool Add(ulong start, ulong length, uint type)
        {
            if (length == 0 || start + length < start)
            {
                return true;
            }

            if (_count == Capacity)
            {
                return false;
            }

            int index = _count;
            while (index > 0 && _entries[index - 1].Base > start)
            {
                _entries[index] = _entries[index - 1];
                index--;
            }

            _entries[index] = new E820Entry { Base = start, Length = length, Type = type };
            _count++;
            Merge();
            return true;
        }

        /// <summary>
        /// Makes [start, start+length) reserved wherever the map calls it usable (other types are
        /// left as they are). False when splitting would overflow the map; the map is then unchanged.
        /// </summary>
        public bool Hide(ulong start, ulong length)
        {
            ulong end = start + length;
            if (length == 0 || end < start)
            {
                return true;
            }

            // Each usable entry that straddles an edge of the range splits in two at most.
            if (_count + 2 * CountStraddling(start, end) + 1 > Capacity)
            {
                return false;
            }

            for (int i = 0; i < _count; i++)
            {
                E820Entry entry = _entries[i];
                if (entry.Type != E820Entry.Usable || entry.End <= start || entry.Base >= end)
                {
                    continue;
                }

                ulong hiddenStart = entry.Base > start ? entry.Base : start;
                ulong hiddenEnd = entry.End < end ? entry.End : end;
                Replace(i, entry, hiddenStart, hiddenEnd);
            }

            Merge();
            return true;
        }

        /// <summary>Bytes of usable memory that continue without a gap from <paramref name="start"/>.</summary>
        public ulong UsableRunFrom(ulong start)
        {
            ulong position = start;
            bool advanced = true;
            while (advanced)
            {
                advanced = false;
                for (int i = 0; i < _count; i++)
                {
                    E820Entry entry = _entries[i];
                    if (entry.Type == E820Entry.Usable && entry.Base <= position && entry.End > position)
                    {
                        position = entry.End;
                        advanced = true;
                    }
                }
            }

            return position - start;
        }

        private int CountStraddling(ulong start, ulong end)
        {
            int count = 0;
            for (int i = 0; i < _count; i++)
            {
                E820Entry entry = _entries[i];
                if (entry.Type == E820Entry.Usable && entry.Base < end && entry.End > start)
                {
                    count++;
                }
            }

            return count;
        }

        // Turns entry i (usable) into: usable [base, hiddenStart), reserved [hiddenStart,
        // hiddenEnd), usable [hiddenEnd, end), leaving out the empty pieces.
        private void Replace(int index, E820Entry entry, ulong hiddenStart, ulong hiddenEnd)
        {
            RemoveAt(index);
            Insert(entry.Base, hiddenStart - entry.Base, E820Entry.Usable);
            Insert(hiddenStart, hiddenEnd - hiddenStart, E820Entry.Reserved);
            Insert(hiddenEnd, entry.End - hiddenEnd, E820Entry.Usable);
        }

        private void Insert(ulong start, ulong length, uint type)
        {
            if (length == 0)
            {
                return;
            }

            int index = _count;
            while (index > 0 && _entries[index - 1].Base > start)
            {
                _entries[index] = _entries[index - 1];
                index--;
            }

            _entries[index] = new E820Entry { Base = start, Length = length, Type = type };
            _count++;
        }

        private void RemoveAt(int index)
        {
            for (int i = index; i < _count - 1; i++)
            {
                _entries[i] = _entries[i + 1];
            }

            _count--;
        }

        private void Merge()
        {
            int i = 0;
            while (i + 1 < _count)
            {
                E820Entry a = _entries[i];
                E820Entry b = _entries[i + 1];
                if (a.Type == b.Type && a.End == b.Base)
                {
                    _entries[i].Length += b.Length;
                    RemoveAt(i + 1);
                }
                else
                {
                    i++;
                }
            }
        }
    }
}
