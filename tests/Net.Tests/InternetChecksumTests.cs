// RFC 1071 checksum: the RFC's worked example, a real IPv4 header, odd lengths, incremental use;
// and the word-at-a-time Add against the definition (big-endian byte pairs, one at a time) at every
// length and alignment its loops split on, with the all-FFh and all-zero sums where ones'-complement
// arithmetic has its edges (two zeros, carries on every word).
using System;
using Bootstage.Net;

namespace Bootstage.Net.Tests
{
    public class InternetChecksumTests
    {
        [Fact]
        public void Rfc1071_example_sums_to_the_documented_value()
        {
            // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2; the checksum is its complement.
            byte[] data = { 0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7 };
            Assert.Equal((ushort)0x220D, InternetChecksum.Compute(data));
        }

        [Fact]
        public void An_ipv4_header_verifies_to_zero_and_its_checksum_is_recomputed()
        {
            byte[] header = Convert.FromHexString("4500003c1c4640004006b1e6ac100a63ac100a0c");
            Assert.Equal(0, InternetChecksum.Compute(header));
            header[10] = 0;
            header[11] = 0;
            Assert.Equal(0xB1E6, InternetChecksum.Compute(header));
        }

        [Fact]
        public void An_odd_trailing_byte_is_padded_with_zero()
        {
            Assert.Equal(InternetChecksum.Compute(new byte[] { 1, 2, 3, 0 }), InternetChecksum.Compute(new byte[] { 1, 2, 3 }));
        }

        [Fact]
        public void Pieces_fed_separately_give_the_same_checksum()
        {
            byte[] data = new byte[1500];
            new Random(7).NextBytes(data);
            InternetChecksum pieces = default;
            pieces.Add(data.AsSpan(0, 20));
            pieces.AddWord(0x0011);
            pieces.Add(data.AsSpan(20));
            InternetChecksum whole = default;
            whole.Add(data.AsSpan(0, 20));
            whole.Add(new byte[] { 0x00, 0x11 });
            whole.Add(data.AsSpan(20));
            Assert.Equal(whole.Complete(), pieces.Complete());
        }

        /// <summary>RFC 1071's definition, byte pair by byte pair: the oracle for the fast Add.</summary>
        private static ushort Reference(ReadOnlySpan<byte> data, ulong start = 0)
        {
            ulong sum = start;
            for (int i = 0; i < data.Length; i += 2)
            {
                sum += (uint)(data[i] << 8) | (i + 1 < data.Length ? data[i + 1] : 0u);
            }

            while ((sum >> 16) != 0)
            {
                sum = (sum & 0xFFFF) + (sum >> 16);
            }

            return (ushort)~sum;
        }

        [Fact]
        public void Every_length_and_alignment_matches_the_byte_pair_definition()
        {
            byte[] buffer = new byte[200];
            new Random(11).NextBytes(buffer);
            for (int offset = 0; offset < 9; offset++)
            {
                for (int length = 0; length + offset <= buffer.Length; length++)
                {
                    ReadOnlySpan<byte> data = buffer.AsSpan(offset, length);
                    Assert.True(Reference(data) == InternetChecksum.Compute(data), $"offset {offset} length {length}");
                }
            }
        }

        [Theory]
        [InlineData(0)]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(7)]
        [InlineData(31)]
        [InlineData(32)]
        [InlineData(33)]
        [InlineData(1460)]
        [InlineData(65536)]
        [InlineData(1 << 20)]
        public void All_ff_bytes_sum_like_the_definition(int length)
        {
            byte[] data = new byte[length];
            Array.Fill(data, (byte)0xFF);
            ushort expected = Reference(data);
            Assert.Equal(expected, InternetChecksum.Compute(data));
            // An even count of FFh bytes sums to FFFFh (negative zero): its checksum is 0, not FFFFh.
            if (length >= 2 && length % 2 == 0)
            {
                Assert.Equal(0, InternetChecksum.Compute(data));
            }
        }

        [Fact]
        public void All_zero_bytes_give_ffff_and_a_zero_sum_of_nonzero_words_gives_0()
        {
            Assert.Equal(0xFFFF, InternetChecksum.Compute(new byte[64]));
            // 0001h + FFFEh = FFFFh: the sum is negative zero, so the checksum is 0.
            Assert.Equal(0, InternetChecksum.Compute(new byte[] { 0x00, 0x01, 0xFF, 0xFE, 0, 0, 0, 0, 0, 0 }));
        }

        [Fact]
        public void Even_pieces_at_odd_addresses_with_words_between_match_one_pass()
        {
            byte[] data = new byte[9001];
            new Random(12).NextBytes(data);
            for (int split = 0; split <= 200; split += 2)
            {
                InternetChecksum pieces = default;
                pieces.AddWord(0xFFFF);
                pieces.Add(data.AsSpan(1, split));
                pieces.AddWord(0x1234);
                pieces.Add(data.AsSpan(1 + split));
                byte[] whole = new byte[data.Length - 1 + 4];
                whole[0] = 0xFF;
                whole[1] = 0xFF;
                data.AsSpan(1, split).CopyTo(whole.AsSpan(2));
                whole[2 + split] = 0x12;
                whole[3 + split] = 0x34;
                data.AsSpan(1 + split).CopyTo(whole.AsSpan(4 + split));
                Assert.True(Reference(whole) == pieces.Complete(), $"split {split}");
            }
        }
    }
}
