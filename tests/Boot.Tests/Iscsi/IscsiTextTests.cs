// Login/Text key=value pairs (RFC 7143 §6.1): the reader walks pairs in place, skips NUL padding
// and stops at a pair without '=' (Malformed) instead of guessing; numbers are decimal or 0x hex
// and never wrap past 2^32-1; the writer reports overflow and never leaves a truncated pair.
using System;
using System.Collections.Generic;
using System.Text;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests.Iscsi
{
    public class IscsiTextTests
    {
        private static List<string> Pairs(string text, out bool malformed)
        {
            List<string> pairs = new List<string>();
            IscsiTextReader reader = new IscsiTextReader(Encoding.ASCII.GetBytes(text));
            while (reader.MoveNext())
            {
                pairs.Add(Encoding.ASCII.GetString(reader.Key) + "|" + Encoding.ASCII.GetString(reader.Value));
            }

            malformed = reader.Malformed;
            return pairs;
        }

        [Fact]
        public void Reader_returns_each_pair_in_order_with_values_that_may_hold_equals_or_be_empty()
        {
            List<string> pairs = Pairs("HeaderDigest=None\0TargetAlias=a=b\0X-Empty=\0", out bool malformed);
            Assert.Equal(new[] { "HeaderDigest|None", "TargetAlias|a=b", "X-Empty|" }, pairs);
            Assert.False(malformed);
        }

        [Fact]
        public void A_pair_without_equals_is_malformed_and_stops_the_reader_there()
        {
            List<string> pairs = Pairs("A=1\0garbage\0B=2\0", out bool malformed);
            Assert.Equal(new[] { "A|1" }, pairs);
            Assert.True(malformed);
        }

        [Fact]
        public void A_pair_with_an_empty_key_is_malformed()
        {
            List<string> pairs = Pairs("=value\0", out bool malformed);
            Assert.Empty(pairs);
            Assert.True(malformed);
        }

        [Fact]
        public void Nul_padding_before_between_and_after_pairs_is_skipped()
        {
            List<string> pairs = Pairs("\0\0A=1\0\0\0\0B=2\0\0\0", out bool malformed);
            Assert.Equal(new[] { "A|1", "B|2" }, pairs);
            Assert.False(malformed);
        }

        [Fact]
        public void A_last_pair_without_its_terminating_nul_is_still_read()
        {
            Assert.Equal(new[] { "A|1", "B|2" }, Pairs("A=1\0B=2", out bool malformed));
            Assert.False(malformed);
        }

        [Fact]
        public void Empty_or_all_padding_text_has_no_pairs_and_is_not_malformed()
        {
            Assert.Empty(Pairs("", out bool emptyMalformed));
            Assert.Empty(Pairs("\0\0\0\0", out bool paddingMalformed));
            Assert.False(emptyMalformed);
            Assert.False(paddingMalformed);
        }

        [Theory]
        [InlineData("0", 0u)]
        [InlineData("512", 512u)]
        [InlineData("8192", 8192u)]
        [InlineData("4294967295", 4294967295u)]
        [InlineData("0x0", 0u)]
        [InlineData("0x1a", 26u)]
        [InlineData("0X1A", 26u)]
        [InlineData("0xFFFFFFFF", 4294967295u)]
        [InlineData("0x00000000000000ff", 255u)]
        public void TryParseNumber_reads_decimal_and_0x_hex(string text, uint expected)
        {
            Assert.True(IscsiTextReader.TryParseNumber(Encoding.ASCII.GetBytes(text), out uint value));
            Assert.Equal(expected, value);
        }

        [Theory]
        [InlineData("")]
        [InlineData("4294967296")]
        [InlineData("99999999999")]
        [InlineData("18446744073709551616")]
        [InlineData("0x100000000")]
        [InlineData("0x00000000000000001")]
        [InlineData("12a")]
        [InlineData("1a")]
        [InlineData("-1")]
        [InlineData("+1")]
        [InlineData(" 1")]
        [InlineData("1 ")]
        [InlineData("1.5")]
        [InlineData("0x")]
        [InlineData("0xg")]
        [InlineData("Yes")]
        public void TryParseNumber_refuses_garbage_and_overflow_instead_of_wrapping(string text)
        {
            Assert.False(IscsiTextReader.TryParseNumber(Encoding.ASCII.GetBytes(text), out uint value));
            Assert.Equal(0u, value);
        }

        [Theory]
        [InlineData("CRC32C,None", "None", true)]
        [InlineData("CRC32C,None", "CRC32C", true)]
        [InlineData("CRC32C,None", "CRC32", false)]
        [InlineData("CRC32C,None", "Non", false)]
        [InlineData("None", "None", true)]
        [InlineData("", "None", false)]
        public void ListContains_matches_whole_items_only(string list, string item, bool expected)
        {
            Assert.Equal(expected, IscsiTextReader.ListContains(Encoding.ASCII.GetBytes(list), Encoding.ASCII.GetBytes(item)));
        }

        [Fact]
        public void Writer_appends_key_equals_value_nul()
        {
            byte[] buffer = new byte[64];
            IscsiTextWriter writer = new IscsiTextWriter(buffer);
            writer.Add("AuthMethod"u8, "None"u8);
            writer.AddNumber("MaxBurstLength"u8, 262144);
            Assert.False(writer.Overflow);
            Assert.Equal("AuthMethod=None\0MaxBurstLength=262144\0", Encoding.ASCII.GetString(buffer, 0, writer.Length));
        }

        [Fact]
        public void Writer_reports_overflow_and_leaves_no_partial_pair_behind()
        {
            byte[] buffer = IscsiTestKit.Canary(12);
            IscsiTextWriter writer = new IscsiTextWriter(buffer);
            writer.Add("abc"u8, "def"u8);
            writer.Add("long"u8, "value"u8);
            Assert.True(writer.Overflow);
            Assert.Equal(8, writer.Length);
            Assert.Equal("abc=def\0", Encoding.ASCII.GetString(buffer, 0, 8));
            Assert.Equal(new byte[] { 0xEE, 0xEE, 0xEE, 0xEE }, buffer.AsSpan(8).ToArray());
        }

        [Fact]
        public void Writer_after_an_overflow_refuses_even_a_pair_that_would_fit_so_nothing_is_silently_skipped()
        {
            byte[] buffer = new byte[12];
            IscsiTextWriter writer = new IscsiTextWriter(buffer);
            writer.Add("abcdefgh"u8, "ijkl"u8);
            writer.Add("a"u8, "b"u8);
            Assert.True(writer.Overflow);
            Assert.Equal(0, writer.Length);
        }

        [Fact]
        public void Writer_accepts_a_pair_that_fills_the_buffer_exactly()
        {
            byte[] buffer = new byte[8];
            IscsiTextWriter writer = new IscsiTextWriter(buffer);
            writer.Add("abc"u8, "def"u8);
            Assert.False(writer.Overflow);
            Assert.Equal(8, writer.Length);
            writer.AddNumber("x"u8, 1);
            Assert.True(writer.Overflow);
        }

        [Theory]
        [InlineData(0u, "0")]
        [InlineData(7u, "7")]
        [InlineData(3260u, "3260")]
        [InlineData(4294967295u, "4294967295")]
        public void FormatDecimal_writes_plain_decimal(uint value, string expected)
        {
            byte[] digits = new byte[10];
            int length = IscsiTextWriter.FormatDecimal(value, digits);
            Assert.Equal(expected, Encoding.ASCII.GetString(digits, 0, length));
        }
    }
}
