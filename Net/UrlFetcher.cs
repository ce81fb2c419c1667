// Fetches a file named by a URL, as a boot script's source (`script=`) or DHCP's boot file name
// gives it: `tftp://server[:port]/path` through TftpClient (one leading '/' is dropped, as iPXE
// does, so `tftp://server//abs` asks for `/abs`; the server is a dotted IPv4 address) and
// `http://...` through HttpClient. Poll-driven: the owner polls the interface, then this.
// DescribeFailure writes a one-line reason for the console. Scheme syntax: RFC 3986 §3.1
// (case-insensitive scheme), RFC 3617 for the tftp URI.
using System;
using Bootstage.Net.Http;
using Bootstage.Net.Tftp;

namespace Bootstage.Net
{
    public enum FetchState
    {
        Idle = 0,
        Running,
        Complete,
        Failed,
    }

    public sealed class UrlFetcher
    {
        public const ushort TftpLocalPort = 40069;

        private readonly NetInterface _interface;
        private readonly uint _seed;
        private TftpClient? _tftp;
        private HttpClient? _http;
        private bool _usingTftp;
        private bool _badUrl;

        /// <param name="seed">From the kernel's random source (HTTP's ports and sequence numbers).</param>
        public UrlFetcher(NetInterface networkInterface, uint seed)
        {
            _interface = networkInterface;
            _seed = seed;
        }

        public TftpClient? Tftp => _tftp;

        public HttpClient? Http => _http;

        public FetchState State
        {
            get
            {
                if (_badUrl)
                {
                    return FetchState.Failed;
                }

                if (_usingTftp && _tftp != null)
                {
                    return _tftp.State == TftpState.Complete ? FetchState.Complete : _tftp.State == TftpState.Failed ? FetchState.Failed
                        : _tftp.State == TftpState.Idle ? FetchState.Idle : FetchState.Running;
                }

                if (!_usingTftp && _http != null)
                {
                    return _http.State == HttpState.Complete ? FetchState.Complete : _http.State == HttpState.Failed ? FetchState.Failed
                        : _http.State == HttpState.Idle ? FetchState.Idle : FetchState.Running;
                }

                return FetchState.Idle;
            }
        }

        public bool IsDone => State == FetchState.Complete || State == FetchState.Failed;

        public bool Start(ReadOnlySpan<byte> url, IDownloadSink sink)
        {
            _badUrl = false;
            _tftp?.Close();
            if (HttpUrl.StartsWithIgnoringCase(url, "tftp://"u8))
            {
                _usingTftp = true;
                ReadOnlySpan<byte> rest = url.Slice(7);
                int slash = rest.IndexOf((byte)'/');
                ReadOnlySpan<byte> authority = slash >= 0 ? rest.Slice(0, slash) : rest;
                ReadOnlySpan<byte> path = slash >= 0 ? rest.Slice(slash + 1) : default;
                int colon = authority.IndexOf((byte)':');
                ushort port = TftpClient.ServerPort;
                if (colon >= 0 && !TryParsePort(authority.Slice(colon + 1), out port))
                {
                    _badUrl = true;
                    return false;
                }

                if (!Ipv4Address.TryParse(colon >= 0 ? authority.Slice(0, colon) : authority, out Ipv4Address server) || path.Length == 0)
                {
                    _badUrl = true;
                    return false;
                }

                _tftp ??= new TftpClient(_interface, TftpLocalPort);
                return _tftp.Start(server, path, sink, port: port);
            }

            _usingTftp = false;
            _http ??= new HttpClient(_interface, _seed);
            if (!_http.Start(url, sink))
            {
                _badUrl = true;
                return false;
            }

            return true;
        }

        public void Poll()
        {
            if (_usingTftp)
            {
                _tftp?.Poll();
            }
            else
            {
                _http?.Poll();
            }
        }

        /// <summary>"TFTP error 1 (file not found): &lt;server's message&gt;", "HTTP 404 Not Found", ...; returns the length.</summary>
        public int DescribeFailure(Span<byte> destination)
        {
            int length = 0;
            if (_badUrl)
            {
                return Append(destination, 0, "unsupported or malformed URL"u8);
            }

            if (_usingTftp && _tftp != null)
            {
                length = Append(destination, length, "TFTP "u8);
                switch (_tftp.Failure)
                {
                    case TftpFailure.ServerError:
                        length = Append(destination, length, "error "u8);
                        length = AppendNumber(destination, length, _tftp.ErrorCode);
                        length = Append(destination, length, " ("u8);
                        length = Append(destination, length, TftpError.Describe(_tftp.ErrorCode));
                        length = Append(destination, length, "): "u8);
                        return Append(destination, length, _tftp.ErrorMessage);
                    case TftpFailure.TimedOut:
                        return Append(destination, length, "timed out"u8);
                    case TftpFailure.TooLarge:
                        return Append(destination, length, "file too large for the buffer"u8);
                    case TftpFailure.BadOptionAck:
                        return Append(destination, length, "server acknowledged options wrongly"u8);
                    default:
                        return Append(destination, length, "failed"u8);
                }
            }

            if (_http != null)
            {
                length = Append(destination, length, "HTTP "u8);
                switch (_http.Failure)
                {
                    case HttpFailure.Status:
                        length = AppendNumber(destination, length, (uint)_http.StatusCode);
                        length = Append(destination, length, " "u8);
                        return Append(destination, length, _http.Reason);
                    case HttpFailure.ResolveFailed:
                        return Append(destination, length, "host name not resolved"u8);
                    case HttpFailure.ConnectFailed:
                        return Append(destination, length, "connection refused or unanswered"u8);
                    case HttpFailure.ConnectionLost:
                        return Append(destination, length, "connection lost"u8);
                    case HttpFailure.TimedOut:
                        return Append(destination, length, "timed out"u8);
                    case HttpFailure.TooManyRedirects:
                        return Append(destination, length, "too many redirects"u8);
                    case HttpFailure.TooLarge:
                        return Append(destination, length, "file too large for the buffer"u8);
                    case HttpFailure.UnsupportedCoding:
                        return Append(destination, length, "unsupported transfer coding"u8);
                    default:
                        return Append(destination, length, "malformed response or URL"u8);
                }
            }

            return length;
        }

        private static bool TryParsePort(ReadOnlySpan<byte> text, out ushort port)
        {
            port = 0;
            uint value = 0;
            if (text.Length == 0 || text.Length > 5)
            {
                return false;
            }

            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] < (byte)'0' || text[i] > (byte)'9')
                {
                    return false;
                }

                value = value * 10 + (uint)(text[i] - '0');
            }

            port = (ushort)value;
            return value != 0 && value <= 65535;
        }

        private static int Append(Span<byte> destination, int length, ReadOnlySpan<byte> text)
        {
            int count = text.Length < destination.Length - length ? text.Length : destination.Length - length;
            text.Slice(0, count).CopyTo(destination.Slice(length));
            return length + count;
        }

        private static int AppendNumber(Span<byte> destination, int length, uint value)
        {
            Span<byte> digits = stackalloc byte[10];
            int count = 0;
            do
            {
                digits[count++] = (byte)('0' + value % 10);
                value /= 10;
            }
            while (value != 0);

            while (count > 0 && length < destination.Length)
            {
                destination[length++] = digits[--count];
            }

            return length;
        }
    }
}
