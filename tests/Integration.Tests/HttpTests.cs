// Our HTTP/1.1 client (Net/Http) against real servers on the host, reached through libslirp:
// .NET's HttpListener (Content-Length and chunked bodies, redirects, status errors) and, for
// framings HttpListener never produces (a body ended by the close, interim 100 responses, chunk
// extensions and trailers, refused codings and folded fields), a raw socket that sends a fixed
// response. Each test waits for the fetch to finish; the deadline only bounds a broken run.
using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Bootstage.Net;
using Bootstage.Net.Http;
using Bootstage.Net.Slirp;

namespace Bootstage.Integration.Tests
{
    public sealed class HttpTests : IDisposable
    {
        private static readonly byte[] Mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x58 };
        private readonly HttpListener _listener = new HttpListener();
        private readonly byte[] _file;
        private readonly int _port;

        public HttpTests()
        {
            _file = new byte[300_000];
            new Random(7).NextBytes(_file);
            // A free port, then the listener on it; a port taken in between fails loudly here.
            using (TcpListener probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                _port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            _listener.Prefixes.Add("http://127.0.0.1:" + _port + "/");
            _listener.Start();
            Task.Run(Serve);
        }

        private string Base => "http://127.0.0.1:" + _port;

        private async Task Serve()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception) when (!_listener.IsListening)
                {
                    return;
                }

                HttpListenerResponse response = context.Response;
                string path = context.Request.Url!.AbsolutePath;
                switch (path)
                {
                    case "/file":
                        response.ContentLength64 = _file.Length;
                        response.OutputStream.Write(_file);
                        break;
                    case "/chunked":
                        response.SendChunked = true;
                        for (int offset = 0; offset < _file.Length; offset += 7000)
                        {
                            response.OutputStream.Write(_file, offset, Math.Min(7000, _file.Length - offset));
                            response.OutputStream.Flush();
                        }

                        break;
                    case "/empty":
                        response.ContentLength64 = 0;
                        break;
                    case "/relative-redirect":
                        response.StatusCode = 302;
                        response.RedirectLocation = "/file";
                        break;
                    case "/absolute-redirect":
                        response.StatusCode = 301;
                        response.RedirectLocation = Base + "/relative-redirect";
                        break;
                    case "/loop":
                        response.StatusCode = 307;
                        response.RedirectLocation = "/loop";
                        break;
                    case "/host":
                        byte[] host = Encoding.ASCII.GetBytes(context.Request.Headers["Host"] + " " + context.Request.HttpMethod + " " + context.Request.RawUrl);
                        response.ContentLength64 = host.Length;
                        response.OutputStream.Write(host);
                        break;
                    default:
                        response.StatusCode = 404;
                        response.StatusDescription = "Not Found";
                        break;
                }

                response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
        }

        internal static HttpClient Fetch(string url, DownloadBuffer sink)
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            NetInterface netif = new NetInterface(new SlirpNetDevice(slirp, Mac), new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), new Ipv4Address(10, 0, 2, 3));
            HttpClient client = new HttpClient(netif, 0x9E3779B9);
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
        public void A_body_framed_by_content_length_arrives_intact()
        {
            DownloadBuffer sink = new DownloadBuffer(1 << 20);
            HttpClient client = Fetch(Base + "/file", sink);
            Assert.True(client.State == HttpState.Complete, client.Failure.ToString());
            Assert.Equal(200, client.StatusCode);
            Assert.Equal(_file.Length, client.ContentLength);
            Assert.Equal(_file, sink.Data.ToArray());
        }

        [Fact]
        public void A_chunked_body_arrives_intact()
        {
            DownloadBuffer sink = new DownloadBuffer(1 << 20);
            HttpClient client = Fetch(Base + "/chunked", sink);
            Assert.True(client.State == HttpState.Complete, client.Failure.ToString());
            Assert.Equal(-1, client.ContentLength);
            Assert.Equal(_file, sink.Data.ToArray());
        }

        [Fact]
        public void An_empty_body_completes()
        {
            DownloadBuffer sink = new DownloadBuffer(16);
            HttpClient client = Fetch(Base + "/empty", sink);
            Assert.Equal(HttpState.Complete, client.State);
            Assert.Equal(0, sink.Length);
        }

        [Fact]
        public void The_request_names_the_host_and_port_and_the_path_with_its_query()
        {
            DownloadBuffer sink = new DownloadBuffer(256);
            HttpClient client = Fetch(Base + "/host?x=1#fragment", sink);
            Assert.Equal(HttpState.Complete, client.State);
            Assert.Equal("127.0.0.1:" + _port + " GET /host?x=1", Encoding.ASCII.GetString(sink.Data));
        }

        [Fact]
        public void Redirects_absolute_and_relative_are_followed()
        {
            DownloadBuffer sink = new DownloadBuffer(1 << 20);
            HttpClient client = Fetch(Base + "/absolute-redirect", sink);
            Assert.True(client.State == HttpState.Complete, client.Failure.ToString());
            Assert.Equal(2, client.Redirects);
            Assert.Equal(Base + "/file", Encoding.ASCII.GetString(client.Url));
            Assert.Equal(_file, sink.Data.ToArray());
        }

        [Fact]
        public void A_redirect_loop_ends_after_the_limit()
        {
            HttpClient client = Fetch(Base + "/loop", new DownloadBuffer(16));
            Assert.Equal(HttpFailure.TooManyRedirects, client.Failure);
            Assert.Equal(HttpClient.MaxRedirects, client.Redirects);
        }

        [Fact]
        public void A_status_error_is_named_by_code_and_reason()
        {
            HttpClient client = Fetch(Base + "/missing", new DownloadBuffer(16));
            Assert.Equal(HttpFailure.Status, client.Failure);
            Assert.Equal(404, client.StatusCode);
            Assert.Equal("Not Found", Encoding.ASCII.GetString(client.Reason));
        }

        [Fact]
        public void A_body_larger_than_the_buffer_is_refused_from_its_length()
        {
            HttpClient client = Fetch(Base + "/file", new DownloadBuffer(_file.Length - 1));
            Assert.Equal(HttpFailure.TooLarge, client.Failure);
            Assert.Equal(0ul, client.BytesReceived);
        }

        [Fact]
        public void A_chunked_body_larger_than_the_buffer_is_refused_when_it_overflows()
        {
            HttpClient client = Fetch(Base + "/chunked", new DownloadBuffer(100_000));
            Assert.Equal(HttpFailure.TooLarge, client.Failure);
        }

        [Fact]
        public void Nobody_listening_is_a_failed_connection()
        {
            int port;
            using (TcpListener probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            HttpClient client = Fetch("http://127.0.0.1:" + port + "/", new DownloadBuffer(16));
            Assert.Equal(HttpFailure.ConnectFailed, client.Failure);
        }

        [Theory]
        [InlineData("ftp://127.0.0.1/x")]
        [InlineData("https://127.0.0.1/x")]
        [InlineData("http://user@127.0.0.1/x")]
        [InlineData("http://127.0.0.1:99999/x")]
        [InlineData("http:///x")]
        [InlineData("http://127.0.0.1/a b")]
        public void Urls_we_cannot_fetch_are_refused_at_once(string url)
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            NetInterface netif = new NetInterface(new SlirpNetDevice(slirp, Mac), new WallClock());
            HttpClient client = new HttpClient(netif, 1);
            Assert.False(client.Start(Encoding.ASCII.GetBytes(url), new DownloadBuffer(16)));
            Assert.Equal(HttpFailure.BadUrl, client.Failure);
        }
    }
}
