// RFC 1071 checksum: the RFC's worked example, a real IPv4 header, odd lengths, incremental use.
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
    }
}
