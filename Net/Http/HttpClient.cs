// An HTTP/1.1 client for one GET at a time (RFC 9112 message syntax, RFC 9110 semantics) over
// our TCP: resolves the host through the interface's DNS server when it is a name, connects,
// sends `GET <path> HTTP/1.1` with Host and `Connection: close`, then reads the status line and
// header fields and a body framed by Content-Length, by the chunked coding, or by the close of
// the connection (RFC 9112 §6.3). Redirects (301, 302, 303, 307, 308) are followed up to
// MaxRedirects on a new connection. A status other than 2xx ends the fetch, named by its code
// and reason phrase. Poll-driven: the owner polls the interface, then this client.
// Response parsing lives in HttpClient.Response.cs.
using System;
using Bootstage.Drivers.Net;
using Bootstage.Net.Dns;
using Bootstage.Net.Tcp;

namespace Bootstage.Net.Http
{
    public enum HttpState
    {
        Idle = 0,
        Resolving,
        Connecting,
        Receiving,
        Complete,
        Failed,
    }

    public enum HttpFailure
    {
        None = 0,
        BadUrl,
        ResolveFailed,
        ConnectFailed,
        ConnectionLost,
        TimedOut,
        BadResponse,
        HeaderTooLong,
        UnsupportedCoding,
        Status,
        TooManyRedirects,
        BadRedirect,
        TooLarge,
    }

    public sealed partial class HttpClient
    {
        public const int MaxUrlLength = 1024;
        public const int MaxRedirects = 5;
        public const int MaxLineLength = 1024;
        public const int DefaultBufferSize = 64 * 1024;
        public const ulong DefaultIdleTimeoutMs = 30_000;
        private const ushort DnsPort = 53536;

        private readonly NetInterface _interface;
        private readonly TcpConnection _tcp;
        private readonly ulong _idleTimeoutMs;
        private readonly byte[] _url = new byte[MaxUrlLength];
        private readonly byte[] _nextUrl = new byte[MaxUrlLength];
        private readonly byte[] _request = new byte[MaxUrlLength * 2 + 128];
        private readonly byte[] _read = new byte[2048];
        private DnsResolver? _dns;
        private IDownloadSink? _sink;
        private int _urlLength;
        private int _requestLength;
        private int _requestSent;
        private ushort _nextLocalPort;
        private uint _sequence;
        private ulong _lastProgress;

        /// <param name="seed">From the kernel's random source: local ports and initial sequence numbers derive from it.</param>
        public HttpClient(NetInterface networkInterface, uint seed, int bufferSize = DefaultBufferSize, ulong idleTimeoutMs = DefaultIdleTimeoutMs)
        {
            _interface = networkInterface;
            _tcp = new TcpConnection(networkInterface, bufferSize);
            _idleTimeoutMs = idleTimeoutMs;
            _sequence = seed;
            _nextLocalPort = (ushort)(49152 + seed % 16000);
        }

        public HttpState State { get; private set; }

        public HttpFailure Failure { get; private set; }

        public bool IsDone => State == HttpState.Complete || State == HttpState.Failed;

        /// <summary>Redirects followed in this fetch.</summary>
        public int Redirects { get; private set; }

        /// <summary>The URL being (or last) fetched: the original, or where the redirects led.</summary>
        public ReadOnlySpan<byte> Url => new ReadOnlySpan<byte>(_url, 0, _urlLength);

        /// <summary>Starts fetching <paramref name="url"/> into <paramref name="sink"/>.</summary>
        public bool Start(ReadOnlySpan<byte> url, IDownloadSink sink)
        {
            _sink = sink;
            Redirects = 0;
            Failure = HttpFailure.None;
            if (url.Length > MaxUrlLength)
            {
                Fail(HttpFailure.BadUrl);
                return false;
            }

            url.CopyTo(_url);
            _urlLength = url.Length;
            return Begin();
        }

        public void Poll()
        {
            ulong now = _interface.Clock.Milliseconds;
            switch (State)
            {
                case HttpState.Resolving:
                    _dns!.Poll();
                    if (_dns.State == DnsState.Resolved)
                    {
                        Connect(_dns.Address);
                    }
                    else if (_dns.IsDone)
                    {
                        Fail(HttpFailure.ResolveFailed);
                    }

                    break;
                case HttpState.Connecting:
                case HttpState.Receiving:
                    _tcp.Poll();
                    Exchange(now);
                    break;
                default:
                    return;
            }

            // Read the clock again: a redirect above may have restarted the idle timer after `now`.
            if (!IsDone && _interface.Clock.Milliseconds - _lastProgress > _idleTimeoutMs)
            {
                Fail(HttpFailure.TimedOut);
            }
        }

        // (Re)starts the fetch of the URL in _url: a fresh response, a resolution or a connection.
        private bool Begin()
        {
            if (!HttpUrl.TryParse(Url, out HttpUrl url))
            {
                Fail(HttpFailure.BadUrl);
                return false;
            }

            _sink!.Reset();
            ResetResponse();
            if (_tcp.State != TcpState.Closed)
            {
                _tcp.Abort();
            }

            if (!BuildRequest(url))
            {
                Fail(HttpFailure.BadUrl);
                return false;
            }

            _lastProgress = _interface.Clock.Milliseconds;
            if (Ipv4Address.TryParse(url.Host, out Ipv4Address address))
            {
                return Connect(address);
            }

            _dns ??= new DnsResolver(_interface, DnsPort, (ushort)_sequence);
            if (!_dns.Start(url.Host))
            {
                Fail(HttpFailure.ResolveFailed);
                return false;
            }

            State = HttpState.Resolving;
            return true;
        }

        private bool Connect(Ipv4Address address)
        {
            HttpUrl.TryParse(Url, out HttpUrl url);
            ushort local = _nextLocalPort;
            _nextLocalPort = local >= 65000 ? (ushort)49152 : (ushort)(local + 1);
            _sequence = _sequence * 1664525 + 1013904223;
            if (_tcp.Connect(address, url.Port, local, _sequence) != NetStatus.Success)
            {
                Fail(HttpFailure.ConnectFailed);
                return false;
            }

            _requestSent = 0;
            State = HttpState.Connecting;
            return true;
        }

        // GET with the fields RFC 9112 §3.2 requires (Host) and one request per connection.
        private bool BuildRequest(HttpUrl url)
        {
            int length = 0;
            length = Append(length, "GET "u8);
            length = Append(length, url.Path);
            length = Append(length, " HTTP/1.1\r\nHost: "u8);
            length = Append(length, url.Host);
            if (url.Port != HttpUrl.DefaultPort)
            {
                length = Append(length, ":"u8);
                Span<byte> digits = stackalloc byte[5];
                int count = 0;
                uint value = url.Port;
                do
                {
                    digits[count++] = (byte)('0' + value % 10);
                    value /= 10;
                }
                while (value != 0);

                while (count > 0 && length < _request.Length)
                {
                    _request[length++] = digits[--count];
                }
            }

            length = Append(length, "\r\nUser-Agent: bootstage\r\nAccept: */*\r\nConnection: close\r\n\r\n"u8);
            _requestLength = length;
            return length < _request.Length;
        }

        private int Append(int length, ReadOnlySpan<byte> text)
        {
            int count = text.Length < _request.Length - length ? text.Length : _request.Length - length;
            text.Slice(0, count).CopyTo(new Span<byte>(_request, length, count));
            return length + count;
        }

        // Sends what remains of the request, then moves received bytes through the parser.
        private void Exchange(ulong now)
        {
            if (State == HttpState.Connecting)
            {
                if (_tcp.WasReset || _tcp.TimedOut || _tcp.State == TcpState.Closed)
                {
                    Fail(HttpFailure.ConnectFailed);
                    return;
                }

                if (!_tcp.IsEstablished)
                {
                    return;
                }

                State = HttpState.Receiving;
                _lastProgress = now;
            }

            if (_requestSent < _requestLength)
            {
                _requestSent += _tcp.Write(new ReadOnlySpan<byte>(_request, _requestSent, _requestLength - _requestSent));
            }

            while (State == HttpState.Receiving && _phase != Phase.Redirect)
            {
                int count = _tcp.Read(_read);
                if (count == 0)
                {
                    break;
                }

                _lastProgress = now;
                Feed(new ReadOnlySpan<byte>(_read, 0, count));
            }

            if (State == HttpState.Receiving && _phase == Phase.Redirect)
            {
                Redirect(Location);
            }
            else if (State == HttpState.Receiving && _tcp.Available == 0
                && (_tcp.RemoteClosed || _tcp.WasReset || _tcp.TimedOut || _tcp.State == TcpState.Closed))
            {
                // Everything the server sent has been read (a reset may follow a complete response,
                // but never ends a body framed by the close).
                EndOfConnection(_tcp.RemoteClosed && !_tcp.WasReset);
            }
        }

        // Follows a Location: an absolute http URL, or an absolute path on the same server.
        private void Redirect(ReadOnlySpan<byte> location)
        {
            if (Redirects >= MaxRedirects)
            {
                Fail(HttpFailure.TooManyRedirects);
                return;
            }

            int length;
            if (location.Length > 0 && location[0] == (byte)'/' && (location.Length == 1 || location[1] != (byte)'/'))
            {
                HttpUrl.TryParse(Url, out HttpUrl current);
                int authorityEnd = 7 + current.Host.Length;
                while (authorityEnd < _urlLength && _url[authorityEnd] != (byte)'/' && _url[authorityEnd] != (byte)'?' && _url[authorityEnd] != (byte)'#')
                {
                    authorityEnd++;
                }

                if (authorityEnd + location.Length > MaxUrlLength)
                {
                    Fail(HttpFailure.BadRedirect);
                    return;
                }

                new ReadOnlySpan<byte>(_url, 0, authorityEnd).CopyTo(_nextUrl);
                location.CopyTo(new Span<byte>(_nextUrl, authorityEnd, location.Length));
                length = authorityEnd + location.Length;
            }
            else if (HttpUrl.TryParse(location, out _) && location.Length <= MaxUrlLength)
            {
                location.CopyTo(_nextUrl);
                length = location.Length;
            }
            else
            {
                Fail(HttpFailure.BadRedirect);
                return;
            }

            Redirects++;
            new ReadOnlySpan<byte>(_nextUrl, 0, length).CopyTo(_url);
            _urlLength = length;
            Begin();
        }

        private void Finish()
        {
            State = HttpState.Complete;
            _tcp.Close();
        }

        private void Fail(HttpFailure failure)
        {
            Failure = failure;
            State = HttpState.Failed;
            if (_tcp.State != TcpState.Closed)
            {
                _tcp.Abort();
            }
        }
    }
}
