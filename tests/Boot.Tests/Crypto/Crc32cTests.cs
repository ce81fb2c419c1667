// Crc32c against the RFC 3720 appendix B.4 examples (which also fix the digest's byte order on
// the wire), the standard check value, and a bit-at-a-time implementation of the definition as
// the oracle over random data, random alignments and random piece splits.
using System;
using System.Text;
using Bootstage.Boot.Crypto;

namespace Bootstage.Boot.Tests.Crypto
{
    public class Crc32cTests
    {
        // The definition, one bit at a time: reflected register, preset and final complement.
        internal static uint BitwiseOracle(ReadOnlySpan<byte> data, uint polynomial)
        {
            uint register = 0xFFFFFFFF;
            foreach (byte value in data)
            {
                register ^= value;
                for (int bit = 0; bit < 8; bit++)
                {
                    register = (register & 1) != 0 ? (register >> 1) ^ polynomial : register >> 1;
                }
            }

            return ~register;
        }

        private static byte[] ReadCommandPdu()
        {
            // RFC 3720 B.4: an iSCSI SCSI Read (10) command PDU (48-byte BHS).
            return Convert.FromHexString(
                "01c00000" + "00000000" + "00000000" + "00000000"
                + "14000000" + "00000400" + "00000014" + "00000018"
                + "28000000" + "00000000" + "02000000" + "00000000");
        }

        public static TheoryData<string, byte[], string> Rfc3720Examples()
        {
            byte[] ascending = new byte[32];
            byte[] descending = new byte[32];
            byte[] ones = new byte[32];
            for (int i = 0; i < 32; i++)
            {
                ascending[i] = (byte)i;
                descending[i] = (byte)(31 - i);
                ones[i] = 0xFF;
            }

            return new TheoryData<string, byte[], string>
            {
                { "32 bytes of zeros", new byte[32], "aa36918a" },
                { "32 bytes of ones", ones, "43aba862" },
                { "32 incrementing bytes", ascending, "4e79dd46" },
                { "32 decrementing bytes", descending, "5cdb3f11" },
                { "SCSI Read (10) command PDU", ReadCommandPdu(), "563a96d9" },
            };
        }

        [Theory]
        [MemberData(nameof(Rfc3720Examples))]
        public void Crc32c_matches_RFC3720_examples(string name, byte[] data, string wireBytesHex)
        {
            byte[] expected = Convert.FromHexString(wireBytesHex);
            uint crc = Crc32c.Compute(data);

            byte[] wire = new byte[Crc32c.DigestLength];
            Crc32c.WriteDigest(wire, crc);
            Assert.True(expected.AsSpan().SequenceEqual(wire), name);
            Assert.Equal(crc, Crc32c.ReadDigest(expected));
            Assert.True(Crc32c.Verify(data, expected), name);
        }

        [Fact]
        public void Crc32c_digest_bytes_are_the_value_little_endian()
        {
            // 32 zero bytes: the conventional value 0x8A9136AA goes on the wire as aa 36 91 8a.
            Assert.Equal(0x8A9136AAu, Crc32c.Compute(new byte[32]));
            byte[] wire = new byte[6];
            Crc32c.WriteDigest(wire.AsSpan(1), 0x8A9136AA);
            Assert.Equal(new byte[] { 0, 0xAA, 0x36, 0x91, 0x8A, 0 }, wire);
        }

        [Fact]
        public void Crc32c_of_123456789_is_the_check_value()
        {
            Assert.Equal(0xE3069283u, Crc32c.Compute(Encoding.ASCII.GetBytes("123456789")));
        }

        [Fact]
        public void Crc32c_of_nothing_is_zero()
        {
            Assert.Equal(0u, Crc32c.Compute(ReadOnlySpan<byte>.Empty));
            Assert.Equal(0u, Crc32c.Finish(Crc32c.Begin()));
        }

        [Fact]
        public void Crc32c_matches_bitwise_oracle_on_random_data_and_alignments()
        {
            Random random = new Random(3720);
            byte[] buffer = new byte[4096 + 8];
            random.NextBytes(buffer);
            for (int length = 0; length <= 300; length++)
            {
                // Slicing-by-8 reads eight bytes at a time: shift the start to vary alignment
                // and the length to vary the byte-wise tail.
                int offset = random.Next(0, 8);
                ReadOnlySpan<byte> data = buffer.AsSpan(offset, length);
                Assert.Equal(BitwiseOracle(data, Crc32c.Polynomial), Crc32c.Compute(data));
            }

            Assert.Equal(BitwiseOracle(buffer, Crc32c.Polynomial), Crc32c.Compute(buffer));
        }

        [Fact]
        public void Crc32c_over_random_pieces_equals_one_shot()
        {
            Random random = new Random(7143);
            for (int round = 0; round < 200; round++)
            {
                byte[] data = new byte[random.Next(0, 2000)];
                random.NextBytes(data);

                uint state = Crc32c.Begin();
                int position = 0;
                while (position < data.Length)
                {
                    int piece = Math.Min(data.Length - position, random.Next(0, 4) == 0 ? random.Next(0, 300) : random.Next(0, 12));
                    state = Crc32c.Update(state, data.AsSpan(position, piece));
                    position += piece;
                }

                Assert.Equal(BitwiseOracle(data, Crc32c.Polynomial), Crc32c.Finish(state));
                Assert.Equal(Crc32c.Compute(data), Crc32c.Finish(state));
            }
        }

        [Fact]
        public void Crc32c_Verify_rejects_a_changed_bit_and_a_short_digest()
        {
            byte[] pdu = ReadCommandPdu();
            byte[] digest = new byte[Crc32c.DigestLength];
            Crc32c.WriteDigest(digest, Crc32c.Compute(pdu));
            Assert.True(Crc32c.Verify(pdu, digest));

            for (int bit = 0; bit < pdu.Length * 8; bit++)
            {
                pdu[bit >> 3] ^= (byte)(1 << (bit & 7));
                Assert.False(Crc32c.Verify(pdu, digest));
                pdu[bit >> 3] ^= (byte)(1 << (bit & 7));
            }

            Assert.False(Crc32c.Verify(pdu, digest.AsSpan(0, 3)));
        }
    }
}
