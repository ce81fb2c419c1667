// Crc32 (IEEE, zlib's crc32) against the standard check value, System.IO.Hashing.Crc32 as the
// oracle over random data, and piecewise updates; the boot log's value must match what a test
// computes on the host with zlib or .NET.
using System;
using System.Text;
using Bootstage.Boot.Crypto;

namespace Bootstage.Boot.Tests.Crypto
{
    public class Crc32Tests
    {
        [Fact]
        public void Crc32_of_123456789_is_the_check_value()
        {
            Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));
        }

        [Fact]
        public void Crc32_of_known_strings_matches_zlib()
        {
            // Values as Python's zlib.crc32 prints them.
            Assert.Equal(0u, Crc32.Compute(ReadOnlySpan<byte>.Empty));
            Assert.Equal(0x414FA339u, Crc32.Compute(Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog")));
        }

        [Fact]
        public void Crc32_matches_System_IO_Hashing_on_random_data_and_alignments()
        {
            Random random = new Random(8023);
            byte[] buffer = new byte[1 << 16];
            random.NextBytes(buffer);
            for (int length = 0; length <= 300; length++)
            {
                int offset = random.Next(0, 8);
                ReadOnlySpan<byte> data = buffer.AsSpan(offset, length);
                Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(data), Crc32.Compute(data));
            }

            Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(buffer), Crc32.Compute(buffer));
            Assert.Equal(Crc32cTests.BitwiseOracle(buffer, Crc32.Polynomial), Crc32.Compute(buffer));
        }

        [Fact]
        public void Crc32_over_random_pieces_equals_one_shot()
        {
            Random random = new Random(802);
            for (int round = 0; round < 200; round++)
            {
                byte[] data = new byte[random.Next(0, 2000)];
                random.NextBytes(data);

                uint state = Crc32.Begin();
                int position = 0;
                while (position < data.Length)
                {
                    int piece = Math.Min(data.Length - position, random.Next(0, 4) == 0 ? random.Next(0, 300) : random.Next(0, 12));
                    state = Crc32.Update(state, data.AsSpan(position, piece));
                    position += piece;
                }

                Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(data), Crc32.Finish(state));
            }
        }
    }
}
