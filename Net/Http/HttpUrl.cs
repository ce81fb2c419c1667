// An `http://host[:port][/path][?query]` URL (RFC 3986 §3, with the http scheme of RFC 9110
// §4.2.1): what a boot script source or a redirect's Location names. The host is a dotted IPv4
// address or a DNS name; user information, IPv6 literals and other schemes are refused; a
// fragment is dropped (it never goes to the server). Offsets into the caller's text, no copies.
using System;

namespace Bootstage.Net.Http
{
    public readonly ref struct HttpUrl
    {
        public const ushort DefaultPort = 80;

        private HttpUrl(ReadOnlySpan<byte> host, ushort port, ReadOnlySpan<byte> path)
        {
            Host = host;
            Port = port;
            Path = path;
        }

        public ReadOnlySpan<byte> Host { get; }

        public ushort Port { get; }

        /// <summary>The request target: path and query, "/" when the URL has none.</summary>
        public ReadOnlySpan<byte> Path { get; }

        public static bool TryParse(ReadOnlySpan<byte> text, out HttpUrl url)
        {
            url = default;
            if (text.Length < 7 || !StartsWithIgnoringCase(text, "http://"u8))
            {
                return false;
            }

            ReadOnlySpan<byte> rest = text.Slice(7);
            int fragment = rest.IndexOf((byte)'#');
            if (fragment >= 0)
            {
                rest = rest.Slice(0, fragment);
            }

            int authorityEnd = 0;
            while (authorityEnd < rest.Length && rest[authorityEnd] != (byte)'/' && rest[authorityEnd] != (byte)'?')
            {
                authorityEnd++;
            }

            ReadOnlySpan<byte> authority = rest.Slice(0, authorityEnd);
            if (authority.IndexOf((byte)'@') >= 0 || authority.IndexOf((byte)'[') >= 0)
            {
                return false;
            }

            ushort port = DefaultPort;
            int colon = authority.IndexOf((byte)':');
            ReadOnlySpan<byte> host = colon >= 0 ? authority.Slice(0, colon) : authority;
            if (colon >= 0 && colon + 1 < authority.Length && !TryParsePort(authority.Slice(colon + 1), out port))
            {
                return false;
            }

            if (host.Length == 0)
            {
                return false;
            }

            for (int i = 0; i < host.Length; i++)
            {
                byte c = host[i];
                bool allowed = (c >= (byte)'a' && c <= (byte)'z') || (c >= (byte)'A' && c <= (byte)'Z') || (c >= (byte)'0' && c <= (byte)'9')
                    || c == (byte)'.' || c == (byte)'-' || c == (byte)'_';
                if (!allowed)
                {
                    return false;
                }
            }

            ReadOnlySpan<byte> path = rest.Slice(authorityEnd);
            for (int i = 0; i < path.Length; i++)
            {
                // A request line cannot carry spaces or control bytes (RFC 9112 §3.2).
                if (path[i] <= (byte)' ' || path[i] >= 0x7F)
                {
                    return false;
                }
            }

            url = new HttpUrl(host, port, path.Length == 0 ? "/"u8 : path);
            return true;
        }

        private static bool TryParsePort(ReadOnlySpan<byte> text, out ushort port)
        {
            port = 0;
            uint value = 0;
            if (text.Length > 5)
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

            if (value == 0 || value > 65535)
            {
                return false;
            }

            port = (ushort)value;
            return true;
        }

        internal static bool StartsWithIgnoringCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowercase)
        {
            return text.Length >= lowercase.Length && EqualsIgnoringCase(text.Slice(0, lowercase.Length), lowercase);
        }

        internal static bool EqualsIgnoringCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowercase)
        {
            if (text.Length != lowercase.Length)
            {
                return false;
            }

            for (int i = 0; i < text.Length; i++)
            {
                byte c = text[i];
                if (c >= (byte)'A' && c <= (byte)'Z')
                {
                    c = (byte)(c | 0x20);
                }

                if (c != lowercase[i])
                {
                    return false;
                }
            }

            return true;
        }
    }
}
