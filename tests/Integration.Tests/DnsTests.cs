// The DNS resolver against a real server: dnsmasq (Debian's dnsmasq-base) on 127.0.0.1, reached
// through slirp's NAT at 10.0.2.2, answering from its own configuration only (no upstream). Each
// test gets its own dnsmasq, used only once it has answered a query of ours on its port.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using Bootstage.Net;
using Bootstage.Net.Dns;
using Bootstage.Net.Slirp;

namespace Bootstage.Integration.Tests
{
    public sealed class DnsTests : IDisposable
    {
        // Generous: dnsmasq answers within milliseconds of starting; only a broken one takes this long.
        private static readonly TimeSpan ReadyLimit = TimeSpan.FromSeconds(30);

        private readonly Process _dnsmasq;
        private readonly int _port;
        private readonly StringBuilder _log = new StringBuilder();

        public DnsTests()
        {
            // The tests use dnsmasq only once it answers a real query on its port: a resolver that
            // met a dnsmasq still starting would see no answer or a port-unreachable. A port found
            // free can be taken before dnsmasq binds it (dnsmasq then exits): try fresh ones.
            string why = string.Empty;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                using (UdpClient probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
                {
                    _port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
                }

                _dnsmasq = StartDnsmasq(_port);
                if (WaitUntilAnswering(out why))
                {
                    return;
                }

                Stop(_dnsmasq);
            }

            throw new InvalidOperationException("dnsmasq never answered: " + why + "; its log: " + Log);
        }

        private string Log
        {
            get
            {
                lock (_log)
                {
                    return _log.ToString();
                }
            }
        }

        private Process StartDnsmasq(int port)
        {
            ProcessStartInfo start = new ProcessStartInfo("/usr/sbin/dnsmasq",
                $"--keep-in-foreground --no-resolv --no-hosts --no-poll --pid-file= --user=root --bind-interfaces "
                + $"--listen-address=127.0.0.1 --port={port} --host-record=boot.example.test,10.0.2.99 "
                + "--address=/missing.example.test/ --cname=alias.example.test,boot.example.test --log-facility=-")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            Process process = Process.Start(start) ?? throw new InvalidOperationException("dnsmasq did not start");
            DataReceivedEventHandler keep = (_, e) =>
            {
                if (e.Data != null)
                {
                    lock (_log)
                    {
                        _log.Append(e.Data).Append('\n');
                    }
                }
            };
            process.OutputDataReceived += keep;
            process.ErrorDataReceived += keep;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }

        /// <summary>Asks dnsmasq for boot.example.test over UDP until it answers, it exits, or <see cref="ReadyLimit"/>.</summary>
        private bool WaitUntilAnswering(out string why)
        {
            byte[] query = Query(0x5A5A, "boot.example.test");
            using UdpClient client = new UdpClient(AddressFamily.InterNetwork);
            client.Client.ReceiveTimeout = 500;
            client.Connect(IPAddress.Loopback, _port);
            Stopwatch waited = Stopwatch.StartNew();
            why = "no answer in " + ReadyLimit.TotalSeconds + " s";
            while (waited.Elapsed < ReadyLimit)
            {
                if (_dnsmasq.HasExited)
                {
                    _dnsmasq.WaitForExit();
                    why = "it exited with " + _dnsmasq.ExitCode;
                    return false;
                }

                try
                {
                    client.Send(query, query.Length);
                    IPEndPoint? from = null;
                    byte[] reply = client.Receive(ref from);
                    if (reply.Length >= 12 && reply[0] == query[0] && reply[1] == query[1] && (reply[2] & 0x80) != 0)
                    {
                        return true;
                    }
                }
                catch (SocketException error) when (error.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    // Not bound yet (ICMP port unreachable): ask again shortly.
                    Thread.Sleep(20);
                }
                catch (SocketException error) when (error.SocketErrorCode == SocketError.TimedOut)
                {
                    // Bound but not answering yet: the loop asks again.
                }
            }

            return false;
        }

        /// <summary>A standard query (recursion desired) for the A record of <paramref name="name"/>.</summary>
        private static byte[] Query(ushort id, string name)
        {
            List<byte> query = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
            foreach (string label in name.Split('.'))
            {
                query.Add((byte)label.Length);
                query.AddRange(Encoding.ASCII.GetBytes(label));
            }

            query.AddRange(new byte[] { 0, 0, 1, 0, 1 });
            return query.ToArray();
        }

        private static void Stop(Process process)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.WaitForExit();
            process.Dispose();
        }

        public void Dispose()
        {
            Stop(_dnsmasq);
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
