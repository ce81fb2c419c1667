// The TargetAddress key (RFC 7143 §13.8): `domainname[:port][,portal-group-tag]`, where the
// domain name is a host name, a dotted quad, or an IPv6 literal in brackets. A login redirect
// (status class 1) carries one; an empty port means the well-known 3260.
using System;

namespace Bootstage.Boot.Iscsi
{
    public static class IscsiTargetAddress
    {
        public const ushort DefaultPort = 3260;

        /// <summary>Copies the host (brackets removed) into <paramref name="host"/>; false for malformed text.</summary>
        public static bool TryParse(ReadOnlySpan<byte> text, Span<byte> host, out int hostLength, out ushort port)
        {
            hostLength = 0;
            port = DefaultPort;
            int comma = text.IndexOf((byte)',');
            if (comma >= 0)
            {
                text = text.Slice(0, comma);
            }

            ReadOnlySpan<byte> name;
            ReadOnlySpan<byte> rest;
            if (text.Length > 0 && text[0] == (byte)'[')
            {
                int close = text.IndexOf((byte)']');
                if (close < 0)
                {
                    return false;
                }

                name = text.Slice(1, close - 1);
                rest = text.Slice(close + 1);
            }
            else
            {
                int colon = text.IndexOf((byte)':');
                name = colon < 0 ? text : text.Slice(0, colon);
                rest = colon < 0 ? default : text.Slice(colon);
            }

            if (name.Length == 0 || name.Length > host.Length)
            {
                return false;
            }

            if (rest.Length > 0)
            {
                if (rest[0] != (byte)':' || rest.Length == 1)
                {
                    return false;
                }

                if (!IscsiTextReader.TryParseNumber(rest.Slice(1), out uint number) || number == 0 || number > 65535)
                {
                    return false;
                }

                port = (ushort)number;
            }

            name.CopyTo(host);
            hostLength = name.Length;
            return true;
        }
    }
}
