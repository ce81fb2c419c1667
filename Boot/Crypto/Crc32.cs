// CRC-32 as in IEEE 802.3 and zlib's crc32(): reflected polynomial 0xEDB88320, register preset to
// all ones, result complemented. The boot log prints it over data so a test can compare against
// Python's zlib.crc32 or .NET's System.IO.Hashing.Crc32.
//
// This file also holds SlicedCrc32, the table-driven engine that Crc32 and Crc32c (Castagnoli,
// the iSCSI digest) share: both are reflected 32-bit CRCs and differ only in their polynomial.
using System;
using System.Buffers.Binary;

namespace Bootstage.Boot.Crypto
{
    /// <summary>
    /// CRC-32 (IEEE). One shot: <see cref="Compute"/>. Over pieces:
    /// <c>state = Begin(); state = Update(state, piece)...; crc = Finish(state)</c>.
    /// </summary>
    public static class Crc32
    {
        /// <summary>The IEEE 802.3 generator 0x04C11DB7, bit-reversed for LSB-first processing.</summary>
        public const uint Polynomial = 0xEDB88320;

        private static readonly uint[] s_tables = SlicedCrc32.BuildTables(Polynomial);

        /// <summary>The register's starting value (all ones), before any byte.</summary>
        public static uint Begin() => 0xFFFFFFFF;

        /// <summary>Runs more bytes through the register; returns the new register value.</summary>
        public static uint Update(uint state, ReadOnlySpan<byte> data) => SlicedCrc32.Update(s_tables, state, data);

        /// <summary>The CRC of everything fed in: the register complemented.</summary>
        public static uint Finish(uint state) => ~state;

        /// <summary>The CRC-32 of <paramref name="data"/>, the value zlib.crc32 returns.</summary>
        public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Begin(), data));
    }

    /// <summary>
    /// Slicing-by-8 for reflected 32-bit CRCs: eight 256-entry tables let each step fold eight
    /// input bytes at once instead of one, several times faster than the byte-wise loop for the
    /// multi-kilobyte data segments iSCSI digests cover.
    /// </summary>
    internal static class SlicedCrc32
    {
        private const int TableSize = 256;
        private const int TableCount = 8;

        /// <summary>
        /// Builds the eight tables into one flat array (table k starts at k * 256; no
        /// multi-dimensional arrays in the image). Table 0 is the classic byte table: the register
        /// change caused by one byte. Table k gives the effect of a byte followed by k zero bytes,
        /// which is table k-1's entry pushed through one more zero byte.
        /// </summary>
        internal static uint[] BuildTables(uint polynomial)
        {
            uint[] tables = new uint[TableSize * TableCount];
            for (int value = 0; value < TableSize; value++)
            {
                uint register = (uint)value;
                for (int bit = 0; bit < 8; bit++)
                {
                    // Reflected form: the register shifts right, and the bit falling off the
                    // bottom decides whether the polynomial is subtracted (XORed).
                    register = (register & 1) != 0 ? (register >> 1) ^ polynomial : register >> 1;
                }

                tables[value] = register;
            }

            for (int table = 1; table < TableCount; table++)
            {
                int current = table * TableSize;
                int previous = current - TableSize;
                for (int value = 0; value < TableSize; value++)
                {
                    uint entry = tables[previous + value];
                    tables[current + value] = (entry >> 8) ^ tables[(int)(entry & 0xFF)];
                }
            }

            return tables;
        }

        /// <summary>Runs <paramref name="data"/> through the register (no preset, no final complement).</summary>
        internal static uint Update(uint[] tables, uint state, ReadOnlySpan<byte> data)
        {
            ReadOnlySpan<uint> t = tables;
            while (data.Length >= 8)
            {
                // Reflected CRCs consume bytes least-significant first, so the register lines up
                // with the next four bytes read little-endian. Byte j of the eight is followed by
                // 7 - j more bytes before the block ends, so it looks up table 7 - j.
                uint low = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ state;
                uint high = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(4));
                state = t[(7 * TableSize) + (int)(low & 0xFF)]
                    ^ t[(6 * TableSize) + (int)((low >> 8) & 0xFF)]
                    ^ t[(5 * TableSize) + (int)((low >> 16) & 0xFF)]
                    ^ t[(4 * TableSize) + (int)(low >> 24)]
                    ^ t[(3 * TableSize) + (int)(high & 0xFF)]
                    ^ t[(2 * TableSize) + (int)((high >> 8) & 0xFF)]
                    ^ t[TableSize + (int)((high >> 16) & 0xFF)]
                    ^ t[(int)(high >> 24)];
                data = data.Slice(8);
            }

            for (int i = 0; i < data.Length; i++)
            {
                state = (state >> 8) ^ t[(int)((state ^ data[i]) & 0xFF)];
            }

            return state;
        }
    }
}
