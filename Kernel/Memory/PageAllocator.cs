// The physical page allocator: a sorted table of free page ranges built from the firmware memory
// map. Allocation takes the top of the highest range that fits and splits it; freeing merges with neighbours. The table has
// a fixed capacity so the allocator works before the heap exists; it never touches the memory it
// manages, which is what lets the .NET tests drive it with made-up addresses.
namespace Bootstage.Kernel.Memory
{
    internal unsafe struct PageAllocator
    {
        public const ulong PageSize = 4096;
        private const int MaxRanges = 128;

        private fixed ulong _starts[MaxRanges];
        private fixed ulong _ends[MaxRanges];
        private int _count;
        private ulong _managedBytes;
        private ulong _freeBytes;
        private ulong _highWater;
        private ulong _lowWater;

        /// <summary>Bytes ever added as usable (after alignment and reservations).</summary>
        public ulong ManagedBytes => _managedBytes;

        public ulong FreeBytes => _freeBytes;

        /// <summary>The end of the highest page ever handed out (what the handoff must hide from the OS).</summary>
        public ulong HighWater => _highWater;

        /// <summary>The lowest page ever handed out (0 before the first allocation).</summary>
        public ulong LowWater => _lowWater;

        public int RangeCount => _count;

        /// <summary>Adds usable memory [start, end); shrinks it to whole pages. False if the table is full.</summary>
        public bool AddRange(ulong start, ulong end)
        {
            start = (start + PageSize - 1) & ~(PageSize - 1);
            end &= ~(PageSize - 1);
            if (start == 0)
            {
                // Page 0 stays unmapped to catch null pointers: never hand it out.
                start = PageSize;
            }

            if (end <= start)
            {
                return true;
            }

            if (!Insert(start, end))
            {
                return false;
            }

            _managedBytes += end - start;
            _freeBytes += end - start;
            return true;
        }

        /// <summary>Removes [start, end) from the free ranges (the kernel image, boot modules, firmware tables).</summary>
        public void Reserve(ulong start, ulong end)
        {
            start &= ~(PageSize - 1);
            end = (end + PageSize - 1) & ~(PageSize - 1);
            for (int i = 0; i < _count; i++)
            {
                ulong rangeStart = _starts[i];
                ulong rangeEnd = _ends[i];
                if (end <= rangeStart || start >= rangeEnd)
                {
                    continue;
                }

                ulong cutStart = start > rangeStart ? start : rangeStart;
                ulong cutEnd = end < rangeEnd ? end : rangeEnd;
                _managedBytes -= cutEnd - cutStart;
                _freeBytes -= cutEnd - cutStart;
                RemoveAt(i);
                i--;
                if (rangeStart < cutStart)
                {
                    Insert(rangeStart, cutStart);
                    i++;
                }

                if (cutEnd < rangeEnd)
                {
                    Insert(cutEnd, rangeEnd);
                    i++;
                }
            }
        }

        /// <summary>
        /// Allocates physically contiguous pages from the top of the highest range they fit in;
        /// returns their address, or 0 when none fit. Top-down keeps the memory just above 1 MiB
        /// free for the OS loader we hand over to (loaders put themselves there).
        /// </summary>
        public ulong Allocate(uint pageCount)
        {
            if (pageCount == 0)
            {
                return 0;
            }

            ulong bytes = pageCount * PageSize;
            for (int i = _count - 1; i >= 0; i--)
            {
                if (_ends[i] - _starts[i] < bytes)
                {
                    continue;
                }

                _ends[i] -= bytes;
                ulong address = _ends[i];
                if (_starts[i] == _ends[i])
                {
                    RemoveAt(i);
                }

                _freeBytes -= bytes;
                if (address + bytes > _highWater)
                {
                    _highWater = address + bytes;
                }

                if (_lowWater == 0 || address < _lowWater)
                {
                    _lowWater = address;
                }

                return address;
            }

            return 0;
        }

        /// <summary>Returns pages. False for a misaligned address or one that overlaps free memory.</summary>
        public bool Free(ulong address, uint pageCount)
        {
            if (pageCount == 0 || (address & (PageSize - 1)) != 0)
            {
                return false;
            }

            ulong end = address + pageCount * PageSize;
            for (int i = 0; i < _count; i++)
            {
                if (address < _ends[i] && end > _starts[i])
                {
                    return false;
                }
            }

            if (!Insert(address, end))
            {
                return false;
            }

            _freeBytes += end - address;
            return true;
        }

        public ulong RangeStart(int index) => _starts[index];

        public ulong RangeEnd(int index) => _ends[index];

        // Sorted insert that merges with touching neighbours.
        private bool Insert(ulong start, ulong end)
        {
            int position = 0;
            while (position < _count && _starts[position] < start)
            {
                position++;
            }

            bool mergesBefore = position > 0 && _ends[position - 1] == start;
            bool mergesAfter = position < _count && _starts[position] == end;
            if (mergesBefore && mergesAfter)
            {
                _ends[position - 1] = _ends[position];
                RemoveAt(position);
                return true;
            }

            if (mergesBefore)
            {
                _ends[position - 1] = end;
                return true;
            }

            if (mergesAfter)
            {
                _starts[position] = start;
                return true;
            }

            if (_count == MaxRanges)
            {
                return false;
            }

            for (int i = _count; i > position; i--)
            {
                _starts[i] = _starts[i - 1];
                _ends[i] = _ends[i - 1];
            }

            _starts[position] = start;
            _ends[position] = end;
            _count++;
            return true;
        }

        private void RemoveAt(int index)
        {
            for (int i = index; i < _count - 1; i++)
            {
                _starts[i] = _starts[i + 1];
                _ends[i] = _ends[i + 1];
            }

            _count--;
        }
    }
}
