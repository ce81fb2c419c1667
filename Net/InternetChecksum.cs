// The Internet checksum (RFC 1071): the ones'-complement sum of 16-bit big-endian words, used by
// IPv4, ICMP, UDP and TCP. Accumulates in 64 bits and folds once, so it can be fed in pieces
// (pseudo-header, then payload) as long as every piece but the last has even length.
// Add is on every received byte's path (TCP payload verification), so it reads eight bytes at a
// time instead of byte pairs: a ones'-complement sum does not depend on the byte order of the
// words it adds (RFC 1071 section 2(B)), so the piece is summed as little-endian 32-bit halves in
// an exact 64-bit total, folded to 16 bits and byte-swapped once into the big-endian sum.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bootstage.Net
{
    public struct InternetChecksum
    {
        private ulong _sum;

        /// <summary>Adds bytes; an odd final byte is treated as padded with zero.</summary>
        public void Add(ReadOnlySpan<byte> data)
        {
            // Little-endian loads (the image is x86-64 only, and so are the hosts of the tests):
            // bytes at even offsets are the low halves of the words here, the high halves in the
            // big-endian sum, hence the swap at the end.
            ref byte start = ref MemoryMarshal.GetReference(data);
            int length = data.Length;
            int i = 0;
            ulong sum = 0;
            // Each load adds two 32-bit halves to an exact 64-bit total: no carry to track, and it
            // cannot overflow below 2^32 loads (32 GiB in one call).
            for (; i + 32 <= length; i += 32)
            {
                ulong a = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i));
                ulong b = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i + 8));
                ulong c = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i + 16));
                ulong d = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i + 24));
                sum += (a & 0xFFFF_FFFF) + (a >> 32) + (b & 0xFFFF_FFFF) + (b >> 32)
                    + (c & 0xFFFF_FFFF) + (c >> 32) + (d & 0xFFFF_FFFF) + (d >> 32);
            }

            for (; i + 8 <= length; i += 8)
            {
                ulong a = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i));
                sum += (a & 0xFFFF_FFFF) + (a >> 32);
            }

            for (; i + 2 <= length; i += 2)
            {
                sum += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, i));
            }

            if (i < length)
            {
                sum += Unsafe.Add(ref start, i);
            }

            // The total is zero only for all-zero words; otherwise the fold lands in 1..FFFFh,
            // congruent to it modulo FFFFh, exactly what adding the swapped words one by one gives.
            sum = Fold(sum);
            _sum += ((sum & 0xFF) << 8) | (sum >> 8);
        }

        /// <summary>Adds one 16-bit word given in host order.</summary>
        public void AddWord(ushort word)
        {
            _sum += word;
        }

        /// <summary>The checksum to store in a header (complement of the folded sum).</summary>
        public ushort Complete()
        {
            return (ushort)~Fold(_sum);
        }

        /// <summary>Checksum of one buffer; 0 when verifying a buffer that already holds its checksum.</summary>
        public static ushort Compute(ReadOnlySpan<byte> data)
        {
            InternetChecksum checksum = default;
            checksum.Add(data);
            return checksum.Complete();
        }

        /// <summary>End-around-carry fold of a sum to 16 bits (at most four rounds for 64 bits).</summary>
        private static ulong Fold(ulong sum)
        {
            while ((sum >> 16) != 0)
            {
                sum = (sum & 0xFFFF) + (sum >> 16);
            }

            return sum;
        }
    }
}
