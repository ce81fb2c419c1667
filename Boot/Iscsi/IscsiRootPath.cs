// The iSCSI root path a DHCP server hands out in option 17 (RFC 4173 §5):
// "iscsi:" <server> ":" <protocol> ":" <port> ":" <lun> ":" <targetname>. The server is a
// host name, a dotted quad, or an IPv6 literal in brackets (the brackets protect its colons).
// The protocol is empty or 6 (TCP, the only transport iSCSI defines), the port defaults to
// 3260, the LUN is up to four '-'-separated groups of hex digits, each one 16-bit level of the
// 8-byte SAM LUN (empty means LUN 0), and the target name is everything after the fifth colon,
// colons included. Parsing keeps slices of the caller's text: no allocation, and the parsed
// path lives no longer than that text.
using System;
using Bootstage.Boot;
using System.Buffers.Binary;
using Bootstage.Net;

namespace Bootstage.Boot.Iscsi
{
    public enum RootPathStatus
    {
        Ok,
        NotIscsi,
        MissingField,
        EmptyServer,
        BadProtocol,
        BadPort,
        BadLun,
        EmptyTargetName,
        BadBracket,
    }

    public readonly ref struct IscsiRootPath
    {
        public const ushort DefaultPort = 3260;

        /// <summary>IANA protocol number of TCP, the protocol field's only meaningful value.</summary>
        public const int TcpProtocol = 6;

        /// <summary>Longest text <see cref="FormatLun"/> writes: four groups of four digits and three dashes.</summary>
        public const int MaxLunTextLength = 19;

        private readonly ReadOnlySpan<byte> _server;
        private readonly ReadOnlySpan<byte> _protocol;
        private readonly ReadOnlySpan<byte> _targetName;
        private readonly ushort _port;
        private readonly ulong _lun;
        private readonly bool _isIpv6Literal;

        private IscsiRootPath(ReadOnlySpan<byte> server, bool isIpv6Literal, ReadOnlySpan<byte> protocol, ushort port, ulong lun, ReadOnlySpan<byte> targetName)
        {
            _server = server;
            _isIpv6Literal = isIpv6Literal;
            _protocol = protocol;
            _port = port;
            _lun = lun;
            _targetName = targetName;
        }

        /// <summary>Host name, dotted quad or IPv6 literal, without the brackets.</summary>
        public ReadOnlySpan<byte> Server => _server;

        /// <summary>True when the server was written in brackets, i.e. is an IPv6 address.</summary>
        public bool IsIpv6Literal => _isIpv6Literal;

        /// <summary>The protocol field as written (empty or "6"); kept for logging only.</summary>
        public ReadOnlySpan<byte> Protocol => _protocol;

        public ushort Port => _port;

        /// <summary>The 8-byte SAM LUN read as one big-endian number (LUN 1 is 0x0001_0000_0000_0000).</summary>
        public ulong LunValue => _lun;

        public ReadOnlySpan<byte> TargetName => _targetName;

        /// <summary>Writes the LUN as the 8 bytes an iSCSI PDU carries; false when the destination is shorter.</summary>
        public bool TryWriteLun(Span<byte> destination) => BinaryPrimitives.TryWriteUInt64BigEndian(destination, _lun);

        /// <summary>
        /// The server as an IPv4 address when it is a dotted quad; false for an IPv6 literal or a
        /// host name, which the caller resolves through DNS.
        /// </summary>
        public bool TryGetIpv4(out Ipv4Address address)
        {
            if (_isIpv6Literal)
            {
                address = default;
                return false;
            }

            return Ipv4Address.TryParse(_server, out address);
        }

        /// <summary>
        /// True when both paths name the same server, port, LUN and target. The protocol text is not
        /// compared: empty and "6" both mean TCP.
        /// </summary>
        public bool ValueEquals(IscsiRootPath other)
        {
            return _isIpv6Literal == other._isIpv6Literal && _port == other._port && _lun == other._lun
                && _server.SequenceEqual(other._server) && _targetName.SequenceEqual(other._targetName);
        }

        public static RootPathStatus TryParse(ReadOnlySpan<byte> text, out IscsiRootPath path)
        {
            path = default;

            // URI schemes are case-insensitive (RFC 3986 §3.1), so "ISCSI:" is accepted too.
            ReadOnlySpan<byte> scheme = "iscsi:"u8;
            if (text.Length < scheme.Length)
            {
                return RootPathStatus.NotIscsi;
            }

            for (int i = 0; i < scheme.Length; i++)
            {
                if (ToLower(text[i]) != scheme[i])
                {
                    return RootPathStatus.NotIscsi;
                }
            }

            ReadOnlySpan<byte> rest = text.Slice(scheme.Length);

            // Split first and judge the fields afterwards, so a path that is structurally short is
            // reported as such rather than as whichever field happened to come out empty.
            ReadOnlySpan<byte> server;
            bool isIpv6Literal = false;
            if (rest.Length > 0 && rest[0] == (byte)'[')
            {
                int close = rest.IndexOf((byte)']');
                if (close < 0)
                {
                    return RootPathStatus.BadBracket;
                }

                server = rest.Slice(1, close - 1);
                rest = rest.Slice(close + 1);
                if (rest.IsEmpty)
                {
                    return RootPathStatus.MissingField;
                }

                if (rest[0] != (byte)':')
                {
                    return RootPathStatus.BadBracket;
                }

                rest = rest.Slice(1);
                isIpv6Literal = true;
            }
            else
            {
                server = NextField(rest, out int consumed);
                if (consumed < 0)
                {
                    return RootPathStatus.MissingField;
                }

                rest = rest.Slice(consumed);
            }

            ReadOnlySpan<byte> protocol = NextField(rest, out int protocolEnd);
            if (protocolEnd < 0)
            {
                return RootPathStatus.MissingField;
            }

            rest = rest.Slice(protocolEnd);
            ReadOnlySpan<byte> portText = NextField(rest, out int portEnd);
            if (portEnd < 0)
            {
                return RootPathStatus.MissingField;
            }

            rest = rest.Slice(portEnd);
            ReadOnlySpan<byte> lunText = NextField(rest, out int lunEnd);
            if (lunEnd < 0)
            {
                return RootPathStatus.MissingField;
            }

            ReadOnlySpan<byte> targetName = rest.Slice(lunEnd);

            // An empty server would mean "discover the target" (SLP/iSNS), which we do not do.
            if (server.IsEmpty)
            {
                return RootPathStatus.EmptyServer;
            }

            if (isIpv6Literal ? !IsIpv6Text(server) : (server.Contains((byte)'[') || server.Contains((byte)']')))
            {
                return RootPathStatus.BadBracket;
            }

            if (!protocol.IsEmpty && (!TryParseDecimal(protocol, 3, out uint protocolNumber) || protocolNumber != TcpProtocol))
            {
                return RootPathStatus.BadProtocol;
            }

            ushort port = DefaultPort;
            if (!portText.IsEmpty)
            {
                if (!TryParseDecimal(portText, 5, out uint portNumber) || portNumber == 0 || portNumber > 65535)
                {
                    return RootPathStatus.BadPort;
                }

                port = (ushort)portNumber;
            }

            if (!TryParseLun(lunText, out ulong lun))
            {
                return RootPathStatus.BadLun;
            }

            if (targetName.IsEmpty)
            {
                return RootPathStatus.EmptyTargetName;
            }

            path = new IscsiRootPath(server, isIpv6Literal, protocol, port, lun, targetName);
            return RootPathStatus.Ok;
        }

        /// <summary>
        /// Parses RFC 4173's LUN text: empty is LUN 0; otherwise one to four '-'-separated groups of
        /// one to four hex digits, the first group being the first (most significant) 16-bit level.
        /// </summary>
        public static bool TryParseLun(ReadOnlySpan<byte> text, out ulong lun)
        {
            lun = 0;
            if (text.IsEmpty)
            {
                return true;
            }

            int group = 0;
            int digits = 0;
            uint level = 0;
            for (int i = 0; i <= text.Length; i++)
            {
                if (i == text.Length || text[i] == (byte)'-')
                {
                    // An empty group ("1--2", "-1", "1-") is a typo, not a zero level.
                    if (digits == 0 || group == 4)
                    {
                        lun = 0;
                        return false;
                    }

                    lun |= (ulong)level << (48 - 16 * group);
                    group++;
                    digits = 0;
                    level = 0;
                    continue;
                }

                int value = AsciiHex.Value(text[i]);
                if (value < 0 || digits == 4)
                {
                    lun = 0;
                    return false;
                }

                level = (level << 4) | (uint)value;
                digits++;
            }

            return true;
        }

        /// <summary>
        /// Writes a LUN as lowercase hex groups without leading zeros, dropping trailing zero levels
        /// ("0", "1", "1-2"); returns the length, or -1 when the destination is too small.
        /// </summary>
        public static int FormatLun(ulong lun, Span<byte> destination)
        {
            int levels = 4;
            while (levels > 1 && ((lun >> (48 - 16 * (levels - 1))) & 0xFFFF) == 0)
            {
                levels--;
            }

            int position = 0;
            for (int group = 0; group < levels; group++)
            {
                if (group > 0)
                {
                    if (position >= destination.Length)
                    {
                        return -1;
                    }

                    destination[position++] = (byte)'-';
                }

                uint level = (uint)(lun >> (48 - 16 * group)) & 0xFFFF;
                int shift = 12;
                while (shift > 0 && ((level >> shift) & 0xF) == 0)
                {
                    shift -= 4;
                }

                for (; shift >= 0; shift -= 4)
                {
                    if (position >= destination.Length)
                    {
                        return -1;
                    }

                    destination[position++] = AsciiHex.Digit((level >> shift) & 0xF);
                }
            }

            return position;
        }

        /// <summary>
        /// Writes the canonical text "iscsi:server::port:lun:target": the protocol left empty, the
        /// port only when it is not 3260, an IPv6 server back in brackets. Returns the length, or -1
        /// when the destination is too small.
        /// </summary>
        public int Format(Span<byte> destination)
        {
            int position = 0;
            if (!Append(destination, ref position, "iscsi:"u8))
            {
                return -1;
            }

            if (_isIpv6Literal && !Append(destination, ref position, "["u8))
            {
                return -1;
            }

            if (!Append(destination, ref position, _server))
            {
                return -1;
            }

            if (_isIpv6Literal && !Append(destination, ref position, "]"u8))
            {
                return -1;
            }

            if (!Append(destination, ref position, "::"u8))
            {
                return -1;
            }

            if (_port != DefaultPort)
            {
                int written = FormatDecimal(_port, destination.Slice(position));
                if (written < 0)
                {
                    return -1;
                }

                position += written;
            }

            if (!Append(destination, ref position, ":"u8))
            {
                return -1;
            }

            int lunLength = FormatLun(_lun, destination.Slice(position));
            if (lunLength < 0)
            {
                return -1;
            }

            position += lunLength;
            if (!Append(destination, ref position, ":"u8) || !Append(destination, ref position, _targetName))
            {
                return -1;
            }

            return position;
        }

        public static ReadOnlySpan<byte> Describe(RootPathStatus status)
        {
            switch (status)
            {
                case RootPathStatus.Ok: return "root path is valid"u8;
                case RootPathStatus.NotIscsi: return "root path does not start with \"iscsi:\""u8;
                case RootPathStatus.MissingField: return "root path lacks fields: expected iscsi:<server>:<protocol>:<port>:<lun>:<target>"u8;
                case RootPathStatus.EmptyServer: return "root path names no server (target discovery is not supported)"u8;
                case RootPathStatus.BadProtocol: return "root path protocol must be empty or 6 (TCP)"u8;
                case RootPathStatus.BadPort: return "root path port must be a decimal number from 1 to 65535"u8;
                case RootPathStatus.BadLun: return "root path LUN must be up to four '-'-separated groups of 1 to 4 hex digits"u8;
                case RootPathStatus.EmptyTargetName: return "root path names no target"u8;
                case RootPathStatus.BadBracket: return "root path server has an unterminated '[' or a malformed bracketed IPv6 address"u8;
                default: return "unknown root path status"u8;
            }
        }

        /// <summary>
        /// The text before the next ':'; <paramref name="consumed"/> counts it and the colon, or is -1
        /// when no colon is left.
        /// </summary>
        private static ReadOnlySpan<byte> NextField(ReadOnlySpan<byte> rest, out int consumed)
        {
            int colon = rest.IndexOf((byte)':');
            if (colon < 0)
            {
                consumed = -1;
                return default;
            }

            consumed = colon + 1;
            return rest.Slice(0, colon);
        }

        /// <summary>
        /// A plausible IPv6 literal: hex digits, colons and dots (an embedded IPv4 tail), at least one
        /// colon. Full validation is left to whoever turns it into an address.
        /// </summary>
        private static bool IsIpv6Text(ReadOnlySpan<byte> text)
        {
            bool colon = false;
            for (int i = 0; i < text.Length; i++)
            {
                byte c = text[i];
                if (c == (byte)':')
                {
                    colon = true;
                }
                else if (c != (byte)'.' && AsciiHex.Value(c) < 0)
                {
                    return false;
                }
            }

            return colon;
        }

        private static bool TryParseDecimal(ReadOnlySpan<byte> text, int maxDigits, out uint value)
        {
            value = 0;
            if (text.IsEmpty || text.Length > maxDigits)
            {
                return false;
            }

            for (int i = 0; i < text.Length; i++)
            {
                byte c = text[i];
                if (c < (byte)'0' || c > (byte)'9')
                {
                    value = 0;
                    return false;
                }

                value = value * 10 + (uint)(c - '0');
            }

            return true;
        }

        private static int FormatDecimal(uint value, Span<byte> destination)
        {
            int digits = 1;
            for (uint rest = value / 10; rest != 0; rest /= 10)
            {
                digits++;
            }

            if (digits > destination.Length)
            {
                return -1;
            }

            for (int i = digits - 1; i >= 0; i--)
            {
                destination[i] = (byte)('0' + value % 10);
                value /= 10;
            }

            return digits;
        }

        private static bool Append(Span<byte> destination, ref int position, ReadOnlySpan<byte> text)
        {
            if (text.Length > destination.Length - position)
            {
                return false;
            }

            text.CopyTo(destination.Slice(position));
            position += text.Length;
            return true;
        }

        private static byte ToLower(byte c) => c >= (byte)'A' && c <= (byte)'Z' ? (byte)(c + 32) : c;
    }
}
