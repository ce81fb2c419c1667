// The resident canary: after the handoff the boot stage lives on inside memory the E820h map
// told the OS loader it may not use, and a loader that ignores the map (or a bug of ours in the
// map) would overwrite us silently. So at the handoff the regions that must never change (the
// image's code and read-only data, the iBFT) are sampled, one 64-bit word every `stride` bytes
// plus the last word of each region, and every INT 13h entry compares the samples before it
// serves anything: the first word that differs is reported, so the caller can stop with a named
// panic instead of running torn code or handing out wrong data. Sampling keeps the check to a
// few hundred loads per call, cheap enough for the thousands of calls a loader makes.
using System;
using System.Buffers.Binary;
using Bootstage.Boot.Int13;

namespace Bootstage.Boot.Handoff
{
    public sealed class ResidentCanary
    {
        private const int MaxRegions = 4;
        private const int MaxSamples = 4096;

        private readonly IRealModeMemory _memory;
        private readonly ulong[] _addresses = new ulong[MaxSamples];
        private readonly ulong[] _values = new ulong[MaxSamples];
        private int _count;
        private int _regions;

        public ResidentCanary(IRealModeMemory memory)
        {
            _memory = memory;
        }

        /// <summary>How many words each check compares.</summary>
        public int SampleCount => _count;

        /// <summary>
        /// Samples [address, address + length) every <paramref name="stride"/> bytes (a multiple of 8)
        /// as it is now. False, and nothing recorded, if the region is not memory, is shorter than a
        /// word, or the sample table is full.
        /// </summary>
        public bool Add(ulong address, ulong length, uint stride)
        {
            if (_regions == MaxRegions || length < sizeof(ulong) || stride < sizeof(ulong) || stride % sizeof(ulong) != 0)
            {
                return false;
            }

            ulong last = address + length - sizeof(ulong);
            ulong samples = (last - address) / stride + 2;
            if (samples > (ulong)(MaxSamples - _count) || length > int.MaxValue || _memory.Map(address, (int)length).IsEmpty)
            {
                return false;
            }

            int start = _count;
            for (ulong at = address; at < last; at += stride)
            {
                Record(at);
            }

            Record(last);
            if (_count == start)
            {
                return false;
            }

            _regions++;
            return true;
        }

        /// <summary>True if every sample still holds its value; otherwise the address of the first that does not.</summary>
        public bool Check(out ulong tornAt)
        {
            for (int i = 0; i < _count; i++)
            {
                if (Read(_addresses[i]) != _values[i])
                {
                    tornAt = _addresses[i];
                    return false;
                }
            }

            tornAt = 0;
            return true;
        }

        private void Record(ulong address)
        {
            _addresses[_count] = address;
            _values[_count] = Read(address);
            _count++;
        }

        private ulong Read(ulong address)
        {
            Span<byte> word = _memory.Map(address, sizeof(ulong));
            return word.IsEmpty ? ~0UL : BinaryPrimitives.ReadUInt64LittleEndian(word);
        }
    }
}
