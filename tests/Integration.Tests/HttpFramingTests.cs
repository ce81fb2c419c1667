// Our HTTP client against responses HttpListener never sends, from a raw socket on 127.0.0.1
// (reached through slirp) that reads the request to its blank line, writes a fixed response in
// small pieces (so the parser meets fields and chunk sizes split across segments) and closes.
using System;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using Bootstage.Net;
using Bootstage.Net.Http;
using Bootstage.Net.Slirp;

namespace Bootstage.Integration.Tests
{
    public class HttpFramingTests
    {
        private sealed class CannedServer : IDisposable
        {
            private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
            private readonly Thread _thread;

            public CannedServer(string response)
            {
                _listener.Start();
                _thread = new Thread(() =>
                {
                    try
                    {
                        using Socket socket = _listener.AcceptSocket();
                        byte[] request = new byte[4096];
                        int length = 0;
                        while (!Encoding.ASCII.GetString(request, 0, length).Contains("\r\n\r\n"))
                        {
                            int count = socket.Receive(request, length, request.Length - length, SocketFlags.None);
                            if (count == 0)
                            {
                                return;
                            }

                            length += count;
                        }

                        byte[] bytes = Encoding.ASCII.GetBytes(response);
                        for (int offset = 0; offset < bytes.Length; offset += 5)
                        {
                            socket.Send(bytes, offset, Math.Min(5, bytes.Length - offset), SocketFlags.None);
                        }

                        socket.Shutdown(SocketShutdown.Send);
                        while (socket.Receive(request) > 0)
                        {
                        }
                    }
                    catch (SocketException)
                    {
                        // the client aborted: nothing to check here, the test looks at the client
                    }
                })
                { IsBackground = true };
                _thread.Start();
            }

            public string Url => "http://127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port + "/x";

            public void Dispose()
            {
                _listener.Stop();
                _thread.Join();
            }
        }

        private static (HttpClient Client, string Body) Fetch(string response, int capacity = 4096)
        {
            using CannedServer server = new CannedServer(response);
            DownloadBuffer sink = new DownloadBuffer(capacity);
            HttpClient client = HttpTests.Fetch(server.Url, sink);
            return (client, Encoding.ASCII.GetString(sink.Data));
        }

        [Fact]
        public void A_body_without_length_or_chunking_ends_with_the_connection()
        {
            var (client, body) = Fetch("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
            Assert.Equal(HttpState.Complete, client.State);
            Assert.Equal("until the end", body);
        }

        [Fact]
        public void An_interim_100_response_is_skipped()
        {
            var (client, body) = Fetch("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
            Assert.Equal(HttpState.Complete, client.State);
            Assert.Equal(200, client.StatusCode);
            Assert.Equal("hello", body);
        }

        [Fact]
        public void Chunk_extensions_and_trailers_are_read_past()
        {
            var (client, body) = Fetch("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n4;name=value\r\nwiki\r\nA \r\npedia in  \r\n0\r\nExpires: never\r\n\r\n");
            Assert.True(client.State == HttpState.Complete, client.Failure.ToString());
            Assert.Equal("wikipedia in  ", body);
        }

        [Fact]
        public void Chunked_wins_over_content_length()
        {
            var (client, body) = Fetch("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
            Assert.Equal(HttpState.Complete, client.State);
            Assert.Equal("abc", body);
        }

        [Fact]
        public void A_body_cut_short_by_the_close_is_a_lost_connection()
        {
            var (client, _) = Fetch("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this");
            Assert.Equal(HttpFailure.ConnectionLost, client.Failure);
            Assert.Equal(9ul, client.BytesReceived);
        }

        [Theory]
        [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", HttpFailure.UnsupportedCoding)]
        [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx", HttpFailure.UnsupportedCoding)]
        [InlineData("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n", HttpFailure.BadResponse)]
        [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", HttpFailure.BadResponse)]
        [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", HttpFailure.BadResponse)]
        [InlineData("SMTP ready\r\n\r\n", HttpFailure.BadResponse)]
        [InlineData("HTTP/1.1 2x0 OK\r\n\r\n", HttpFailure.BadResponse)]
        [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", HttpFailure.BadResponse)]
        [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", HttpFailure.BadResponse)]
        [InlineData("HTTP/1.1 302 Found\r\nLocation: ftp://elsewhere/x\r\n\r\n", HttpFailure.BadRedirect)]
        [InlineData("HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n", HttpFailure.Status)]
        [InlineData("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", HttpFailure.Status)]
        public void Malformed_or_unusable_responses_are_named(string response, HttpFailure expected)
        {
            var (client, _) = Fetch(response);
            Assert.Equal(HttpState.Failed, client.State);
            Assert.Equal(expected, client.Failure);
        }

        [Fact]
        public void A_server_that_accepts_and_never_answers_times_out()
        {
            using TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            using SlirpNetwork slirp = new SlirpNetwork();
            NetInterface netif = new NetInterface(new SlirpNetDevice(slirp, new byte[] { 0x52, 0x54, 0, 0x12, 0x34, 0x5C }), new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), new Ipv4Address(10, 0, 2, 3));
            HttpClient client = new HttpClient(netif, 5, idleTimeoutMs: 300);
            Assert.True(client.Start(Encoding.ASCII.GetBytes("http://127.0.0.1:" + ((IPEndPoint)listener.LocalEndpoint).Port + "/"), new DownloadBuffer(16)));
            System.Diagnostics.Stopwatch limit = System.Diagnostics.Stopwatch.StartNew();
            while (!client.IsDone && limit.Elapsed < TimeSpan.FromSeconds(60))
            {
                netif.Poll();
                client.Poll();
            }

            Assert.Equal(HttpFailure.TimedOut, client.Failure);
        }

        [Fact]
        public void A_header_line_longer_than_the_buffer_is_refused()
        {
            var (client, _) = Fetch("HTTP/1.1 200 OK\r\nX-Long: " + new string('a', HttpClient.MaxLineLength) + "\r\n\r\n");
            Assert.Equal(HttpFailure.HeaderTooLong, client.Failure);
        }
    }
}
