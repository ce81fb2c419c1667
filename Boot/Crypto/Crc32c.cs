// CRC-32C (Castagnoli): the iSCSI header and data digest "CRC32C" (RFC 7143 §13.1, with the
// algorithm and examples in RFC 3720 appendix B.4). Reflected polynomial 0x82F63B78, register
// preset to all ones, result complemented; slicing-by-8 tables shared with Crc32 (Crc32.cs).
//
// Placement on the wire: RFC 3720 B.4 shows 32 zero bytes giving the digest bytes aa 36 91 8a,
// while the conventional CRC value of that input is 0x8A9136AA. So the four digest bytes are
// the final (complemented) value in little-endian order, the opposite of every other iSCSI field,
// which is big-endian. WriteDigest/ReadDigest do exactly that and nothing else.
//
// Coverage is the caller's business: a header digest covers the BHS and any AHS; a data digest
// covers the data segment including its pad bytes up to a multiple of four.
// Begin/Update/Finish let a digest run over such pieces without gathering them into one buffer.
using System;
using System.Buffers.Binary;

namespace Bootstage.Boot.Crypto
{
    /// <summary>
    /// CRC-32C. One shot: <see cref="Compute"/>. Over pieces:
    /// <c>state = Begin(); state = Update(state, piece)...; crc = Finish(state)</c>.
    /// </summary>
    public static class Crc32c
    {
        /// <summary>The Castagnoli generator 0x1EDC6F41, bit-reversed for LSB-first processing.</summary>
        public const uint Polynomial = 0x82F63B78;

        /// <summary>Bytes a digest occupies in a PDU.</summary>
        public const int DigestLength = 4;

        private static readonly uint[] s_tables = SlicedCrc32.BuildTables(Polynomial);

        /// <summary>The register's starting value (all ones), before any byte.</summary>
        public static uint Begin() => 0xFFFFFFFF;

        /// <summary>Runs more bytes through the register; returns the new register value.</summary>
        public static uint Update(uint state, ReadOnlySpan<byte> data) => SlicedCrc32.Update(s_tables, state, data);

        /// <summary>The CRC of everything fed in: the register complemented.</summary>
        public static uint Finish(uint state) => ~state;

        /// <summary>The CRC-32C of <paramref name="data"/> ("123456789" gives 0xE3069283).</summary>
        public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Begin(), data));

        /// <summary>Puts a finished CRC into a PDU's 4 digest bytes, in the order RFC 3720 B.4 shows.</summary>
        public static void WriteDigest(Span<byte> destination, uint crc)
            => BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(0, DigestLength), crc);

        /// <summary>Reads the CRC back out of a PDU's 4 digest bytes.</summary>
        public static uint ReadDigest(ReadOnlySpan<byte> source)
            => BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(0, DigestLength));

        /// <summary>
        /// True when <paramref name="digest"/> starts with the 4 digest bytes of
        /// <paramref name="data"/>; false when they differ or fewer than 4 bytes are given.
        /// </summary>
        public static bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> digest)
        {
            if (digest.Length < DigestLength)
            {
                return false;
            }

            return Compute(data) == ReadDigest(digest);
        }
    }
}
