// The Internet checksum (RFC 1071): the ones'-complement sum of 16-bit big-endian words, used by
// IPv4, ICMP, UDP and TCP. Accumulates in 64 bits and folds once, so it can be fed in pieces
// (pseudo-header, then payload) as long as every piece but the last has even length.
using System;

namespace Bootstage.Net
{
    public struct InternetChecksum
    {
        private ulong _sum;

        /// <summary>Adds bytes; an odd final byte is treated as padded with zero.</summary>
        public void Add(ReadOnlySpan<byte> data)
        {
            int i = 0;
            for (; i + 1 < data.Length; i += 2)
            {
                _sum += (uint)((data[i] << 8) | data[i + 1]);
            }

            if (i < data.Length)
            {
                _sum += (uint)(data[i] << 8);
            }
        }

        /// <summary>Adds one 16-bit word given in host order.</summary>
        public void AddWord(ushort word)
        {
            _sum += word;
        }

        /// <summary>The checksum to store in a header (complement of the folded sum).</summary>
        public ushort Complete()
        {
            ulong sum = _sum;
            while ((sum >> 16) != 0)
            {
                sum = (sum & 0xFFFF) + (sum >> 16);
            }

            return (ushort)~sum;
        }

        /// <summary>Checksum of one buffer; 0 when verifying a buffer that already holds its checksum.</summary>
        public static ushort Compute(ReadOnlySpan<byte> data)
        {
            InternetChecksum checksum = default;
            checksum.Add(data);
            return checksum.Complete();
        }
    }
}
