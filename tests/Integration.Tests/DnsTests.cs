// The DNS resolver against a real server: dnsmasq (Debian's dnsmasq-base) on 127.0.0.1, reached
// through slirp's NAT at 10.0.2.2, answering from its own configuration only (no upstream).
using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Bootstage.Net;
using Bootstage.Net.Dns;
using Bootstage.Net.Slirp;

namespace Bootstage.Integration.Tests
{
    public sealed class DnsTests : IDisposable
    {
        private readonly Process _dnsmasq;
        private readonly int _port;

        public DnsTests()
        {
            using (UdpClient probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
            {
                _port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
            }

            ProcessStartInfo start = new ProcessStartInfo("/usr/sbin/dnsmasq",
                $"--keep-in-foreground --no-resolv --no-hosts --no-poll --pid-file= --user=root --bind-interfaces "
                + $"--listen-address=127.0.0.1 --port={_port} --host-record=boot.example.test,10.0.2.99 "
                + "--address=/missing.example.test/ --cname=alias.example.test,boot.example.test --log-facility=-")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            _dnsmasq = Process.Start(start) ?? throw new InvalidOperationException("dnsmasq did not start");
            _dnsmasq.BeginOutputReadLine();
            _dnsmasq.BeginErrorReadLine();
        }

        public void Dispose()
        {
            if (!_dnsmasq.HasExited)
            {
                _dnsmasq.Kill();
            }

            _dnsmasq.WaitForExit();
            _dnsmasq.Dispose();
        }

        private DnsResolver Resolve(string name)
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            NetInterface netif = new NetInterface(new SlirpNetDevice(slirp, new byte[] { 0x52, 0x54, 0, 1, 2, 3 }), new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), new Ipv4Address(10, 0, 2, 2));
            DnsResolver resolver = new DnsResolver(netif, 33000, 77);
            Assert.True(resolver.Start(Encoding.ASCII.GetBytes(name), port: (ushort)_port));
            Stopwatch deadline = Stopwatch.StartNew();
            while (!resolver.IsDone && deadline.Elapsed < TimeSpan.FromSeconds(15))
            {
                netif.Poll();
                resolver.Poll();
            }

            return resolver;
        }

        [Fact]
        public void An_a_record_is_resolved()
        {
            DnsResolver resolver = Resolve("boot.example.test");
            Assert.Equal(DnsState.Resolved, resolver.State);
            Assert.Equal(new Ipv4Address(10, 0, 2, 99), resolver.Address);
        }

        [Fact]
        public void A_cname_is_followed_to_its_address()
        {
            DnsResolver resolver = Resolve("alias.example.test");
            Assert.Equal(DnsState.Resolved, resolver.State);
            Assert.Equal(new Ipv4Address(10, 0, 2, 99), resolver.Address);
        }

        [Fact]
        public void An_unknown_name_is_reported_as_not_found()
        {
            Assert.Equal(DnsState.NotFound, Resolve("nothing.missing.example.test").State);
        }

        [Theory]
        [InlineData("")]
        [InlineData("a..b")]
        [InlineData("this-label-is-far-too-long-for-dns-because-it-has-more-than-sixty-three-chars.example")]
        public void Malformed_names_are_refused_before_anything_is_sent(string name)
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            NetInterface netif = new NetInterface(new SlirpNetDevice(slirp, new byte[] { 0x52, 0x54, 0, 1, 2, 3 }), new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), new Ipv4Address(10, 0, 2, 2));
            DnsResolver resolver = new DnsResolver(netif, 33000, 77);
            Assert.False(resolver.Start(Encoding.ASCII.GetBytes(name)));
            Assert.Equal(DnsState.Failed, resolver.State);
        }
    }
}
