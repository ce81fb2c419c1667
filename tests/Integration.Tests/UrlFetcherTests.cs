// UrlFetcher picks the client by the URL's scheme: tftp:// to dnsmasq's TFTP server, http:// to
// .NET's HttpListener, both through slirp, and its one-line failure reasons name what went wrong
// (the TFTP error code, name and message; the HTTP status and reason).
using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using Bootstage.Net;
using Bootstage.Net.Slirp;

namespace Bootstage.Integration.Tests
{
    [Collection(TftpServerCollection.Name)]
    public sealed class UrlFetcherTests
    {
        private static readonly byte[] Mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x5A };
        private readonly TftpServer _server;

        public UrlFetcherTests(TftpServer server)
        {
            _server = server;
        }

        private static (UrlFetcher Fetcher, DownloadBuffer Sink, string Failure) Fetch(string url)
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            NetInterface netif = new NetInterface(new SlirpNetDevice(slirp, Mac), new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), new Ipv4Address(10, 0, 2, 3));
            UrlFetcher fetcher = new UrlFetcher(netif, 12345);
            DownloadBuffer sink = new DownloadBuffer(64 * 1024);
            if (fetcher.Start(Encoding.ASCII.GetBytes(url), sink))
            {
                Stopwatch limit = Stopwatch.StartNew();
                while (!fetcher.IsDone && limit.Elapsed < TimeSpan.FromSeconds(60))
                {
                    netif.Poll(256);
                    fetcher.Poll();
                }
            }

            byte[] text = new byte[200];
            return (fetcher, sink, Encoding.ASCII.GetString(text, 0, fetcher.DescribeFailure(text)));
        }

        [Fact]
        public void A_tftp_url_is_read_from_the_tftp_server()
        {
            byte[] file = Encoding.ASCII.GetBytes("#!ipxe\necho from tftp\n");
            System.IO.File.WriteAllBytes(System.IO.Path.Combine(_server.Root, "boot.ipxe"), file);
            var (fetcher, sink, _) = Fetch("TFTP://" + TftpServer.Address + "/boot.ipxe");
            Assert.Equal(FetchState.Complete, fetcher.State);
            Assert.Equal(file, sink.Data.ToArray());
        }

        [Fact]
        public void A_tftp_failure_names_the_error()
        {
            var (fetcher, _, failure) = Fetch("tftp://" + TftpServer.Address + ":69/absent.ipxe");
            Assert.Equal(FetchState.Failed, fetcher.State);
            Assert.StartsWith("TFTP error 1 (file not found): ", failure);
            Assert.Contains("absent.ipxe", failure);
        }

        [Fact]
        public async Task An_http_url_is_read_from_the_http_server_and_a_status_is_named()
        {
            using HttpListener listener = new HttpListener();
            int port;
            using (TcpListener probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            listener.Prefixes.Add("http://127.0.0.1:" + port + "/");
            listener.Start();
            Task serving = Task.Run(async () =>
            {
                for (int i = 0; i < 2; i++)
                {
                    HttpListenerContext context = await listener.GetContextAsync();
                    if (context.Request.Url!.AbsolutePath == "/boot.ipxe")
                    {
                        byte[] body = Encoding.ASCII.GetBytes("#!ipxe\necho from http\n");
                        context.Response.ContentLength64 = body.Length;
                        context.Response.OutputStream.Write(body);
                    }
                    else
                    {
                        context.Response.StatusCode = 403;
                        context.Response.StatusDescription = "Forbidden";
                    }

                    context.Response.Close();
                }
            });
            var (fetcher, sink, _) = Fetch("http://127.0.0.1:" + port + "/boot.ipxe");
            Assert.Equal(FetchState.Complete, fetcher.State);
            Assert.Equal("#!ipxe\necho from http\n", Encoding.ASCII.GetString(sink.Data));
            var (denied, _, failure) = Fetch("http://127.0.0.1:" + port + "/secret");
            Assert.Equal(FetchState.Failed, denied.State);
            Assert.Equal("HTTP 403 Forbidden", failure);
            await serving.WaitAsync(TimeSpan.FromSeconds(30));
        }

        [Theory]
        [InlineData("tftp://server.example/boot.ipxe")]
        [InlineData("tftp://10.0.2.2/")]
        [InlineData("tftp://10.0.2.2:0/x")]
        [InlineData("nfs://10.0.2.2/x")]
        public void Urls_it_cannot_fetch_are_refused_at_once(string url)
        {
            var (fetcher, _, failure) = Fetch(url);
            Assert.Equal(FetchState.Failed, fetcher.State);
            Assert.Equal("unsupported or malformed URL", failure);
        }
    }
}
