// The HTTP client with a host name: resolved through the interface's DNS server (dnsmasq on
// 127.0.0.3:53 answering from --host-record only, reached through slirp), then the request goes
// to the address with the name in its Host field. An unknown name ends the fetch as unresolved.
// dnsmasq is used only once it has answered a query of ours.
using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using Bootstage.Net;
using Bootstage.Net.Http;
using Bootstage.Net.Slirp;

namespace Bootstage.Integration.Tests
{
    public sealed class HttpNameTests : IDisposable
    {
        private const string DnsAddress = "127.0.0.3";
        private static readonly byte[] Mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x5B };
        private readonly Process _dnsmasq;

        public HttpNameTests()
        {
            ProcessStartInfo start = new ProcessStartInfo("/usr/sbin/dnsmasq",
                "--keep-in-foreground --no-resolv --no-hosts --no-poll --pid-file= --user=root --bind-interfaces "
                + "--listen-address=" + DnsAddress + " --port=53 --host-record=web.example.test,127.0.0.1 "
                + "--address=/missing.example.test/ --log-facility=-")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            _dnsmasq = Process.Start(start) ?? throw new InvalidOperationException("dnsmasq did not start");
            WaitUntilAnswering();
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

        // A query for web.example.test until dnsmasq answers, exits, or 30 s pass.
        private void WaitUntilAnswering()
        {
            byte[] query = { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, (byte)'w', (byte)'e', (byte)'b', 7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 4, (byte)'t', (byte)'e', (byte)'s', (byte)'t', 0, 0, 1, 0, 1 };
            using UdpClient client = new UdpClient(AddressFamily.InterNetwork);
            client.Client.ReceiveTimeout = 500;
            Stopwatch waited = Stopwatch.StartNew();
            while (waited.Elapsed < TimeSpan.FromSeconds(30) && !_dnsmasq.HasExited)
            {
                try
                {
                    client.Send(query, query.Length, new IPEndPoint(IPAddress.Parse(DnsAddress), 53));
                    IPEndPoint? from = null;
                    byte[] reply = client.Receive(ref from);
                    if (reply.Length > 12 && reply[0] == 0x12 && reply[1] == 0x34)
                    {
                        return;
                    }
                }
                catch (SocketException)
                {
                    Thread.Sleep(20); // not bound yet, or no answer yet: ask again
                }
            }

            throw new InvalidOperationException("dnsmasq never answered on " + DnsAddress + ":53");
        }

        private static HttpClient Fetch(string url, DownloadBuffer sink)
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            NetInterface netif = new NetInterface(new SlirpNetDevice(slirp, Mac), new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), new Ipv4Address(127, 0, 0, 3));
            HttpClient client = new HttpClient(netif, 77);
            Assert.True(client.Start(Encoding.ASCII.GetBytes(url), sink));
            Stopwatch limit = Stopwatch.StartNew();
            while (!client.IsDone && limit.Elapsed < TimeSpan.FromSeconds(60))
            {
                netif.Poll(256);
                client.Poll();
            }

            return client;
        }

        [Fact]
        public void A_host_name_is_resolved_and_named_in_the_request()
        {
            using TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            string request = string.Empty;
            Thread server = new Thread(() =>
            {
                using Socket socket = listener.AcceptSocket();
                byte[] buffer = new byte[4096];
                int length = 0;
                while (!Encoding.ASCII.GetString(buffer, 0, length).Contains("\r\n\r\n"))
                {
                    length += socket.Receive(buffer, length, buffer.Length - length, SocketFlags.None);
                }

                request = Encoding.ASCII.GetString(buffer, 0, length);
                socket.Send(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                socket.Shutdown(SocketShutdown.Both);
            })
            { IsBackground = true };
            server.Start();
            DownloadBuffer sink = new DownloadBuffer(16);
            HttpClient client = Fetch("http://web.example.test:" + port + "/boot.ipxe", sink);
            Assert.True(server.Join(TimeSpan.FromSeconds(30)), "the server saw no complete request");
            Assert.True(client.State == HttpState.Complete, client.Failure.ToString());
            Assert.Equal("ok", Encoding.ASCII.GetString(sink.Data));
            Assert.StartsWith("GET /boot.ipxe HTTP/1.1\r\nHost: web.example.test:" + port + "\r\n", request);
        }

        [Fact]
        public void An_unknown_host_name_is_unresolved()
        {
            HttpClient client = Fetch("http://nothing.missing.example.test/x", new DownloadBuffer(16));
            Assert.Equal(HttpFailure.ResolveFailed, client.Failure);
        }
    }
}
