// TargetAddress (RFC 7143 §13.8) as a redirect carries it: host name or dotted quad, an IPv6
// literal in brackets, an optional :port (3260 when absent) and an optional ,portal-group-tag;
// ports 0 and above 65535, empty hosts and garbage are refused rather than guessed.
using System.Text;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests.Iscsi
{
    public class IscsiTargetAddressTests
    {
        private static bool Parse(string text, out string host, out ushort port, int capacity = 256)
        {
            byte[] buffer = new byte[capacity];
            bool ok = IscsiTargetAddress.TryParse(Encoding.ASCII.GetBytes(text), buffer, out int length, out port);
            host = Encoding.ASCII.GetString(buffer, 0, length);
            return ok;
        }

        [Theory]
        [InlineData("192.0.2.1", "192.0.2.1", 3260)]
        [InlineData("san.example.org", "san.example.org", 3260)]
        [InlineData("192.0.2.1:3261", "192.0.2.1", 3261)]
        [InlineData("san.example.org:1", "san.example.org", 1)]
        [InlineData("san.example.org:65535", "san.example.org", 65535)]
        [InlineData("[2001:db8::7]:3262", "2001:db8::7", 3262)]
        [InlineData("[2001:db8::7]", "2001:db8::7", 3260)]
        [InlineData("[fe80::1]:3260,1", "fe80::1", 3260)]
        [InlineData("192.0.2.1:3263,2", "192.0.2.1", 3263)]
        [InlineData("192.0.2.1,7", "192.0.2.1", 3260)]
        public void Valid_target_addresses_give_host_and_port(string text, string expectedHost, int expectedPort)
        {
            Assert.True(Parse(text, out string host, out ushort port));
            Assert.Equal(expectedHost, host);
            Assert.Equal(expectedPort, port);
        }

        [Theory]
        [InlineData("")]
        [InlineData(":3260")]
        [InlineData(",1")]
        [InlineData("192.0.2.1:")]
        [InlineData("192.0.2.1:0")]
        [InlineData("192.0.2.1:70000")]
        [InlineData("192.0.2.1:65536")]
        [InlineData("192.0.2.1:4294967296")]
        [InlineData("192.0.2.1:32a")]
        [InlineData("192.0.2.1:-1")]
        [InlineData("192.0.2.1: 3260")]
        [InlineData("2001:db8::7")]
        [InlineData("[2001:db8::7")]
        [InlineData("[2001:db8::7]3260")]
        [InlineData("[2001:db8::7]:")]
        [InlineData("[]:3260")]
        public void Malformed_addresses_and_impossible_ports_are_refused(string text)
        {
            Assert.False(Parse(text, out _, out _));
        }

        [Fact]
        public void A_host_longer_than_the_callers_buffer_is_refused_not_truncated()
        {
            Assert.False(Parse("a-rather-long-host-name.example.org:3260", out string host, out _, capacity: 8));
            Assert.Equal("", host);
            Assert.True(Parse("short:3260", out host, out _, capacity: 8));
            Assert.Equal("short", host);
        }
    }
}
