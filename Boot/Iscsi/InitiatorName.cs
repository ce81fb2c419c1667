// The iSCSI initiator name this boot stage logs in with, and the check that a configured one is
// well formed. Preference order: the configured name (DHCP option 203 or a setting), then one
// built under our own naming authority from the DHCP host name, the SMBIOS system UUID, or the
// NIC's MAC address, so that a machine keeps the same name across boots without configuration.
// Name syntax follows RFC 7143 §4.2.7 and RFC 3721/3722: "iqn." yyyy-mm "." reversed domain
// [":" anything], "eui." 16 hex digits, or "naa." 16 or 32 hex digits; at most 223 bytes.
using System;
using Bootstage.Boot;

namespace Bootstage.Boot.Iscsi
{
    /// <summary>Where <see cref="InitiatorName.Choose(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, out InitiatorNameSource)"/> took the name from.</summary>
    public enum InitiatorNameSource
    {
        None,
        Configured,
        Hostname,
        SmbiosUuid,
        MacAddress,
    }

    public enum InitiatorNameStatus
    {
        Ok,
        Empty,
        TooLong,
        UnknownType,
        BadDate,
        BadNamingAuthority,
        BadCharacter,
        BadHex,
    }

    public static class InitiatorName
    {
        /// <summary>RFC 7143 §6.1: an iSCSI name is at most 223 bytes of UTF-8.</summary>
        public const int MaxLength = 223;

        /// <summary>Canonical text of a 16-byte UUID: 8-4-4-4-12 hex digits.</summary>
        public const int UuidTextLength = 36;

        /// <summary>Our naming authority, under which generated names live.</summary>
        public static ReadOnlySpan<byte> Prefix => "iqn.2026-11.org.bootstage:"u8;

        /// <summary>As the six-argument form, without a MAC address.</summary>
        public static int Choose(ReadOnlySpan<byte> configured, ReadOnlySpan<byte> hostname, ReadOnlySpan<byte> uuid16OrEmpty, Span<byte> destination)
        {
            return Choose(configured, hostname, uuid16OrEmpty, default, destination, out _);
        }

        public static int Choose(ReadOnlySpan<byte> configured, ReadOnlySpan<byte> hostname, ReadOnlySpan<byte> uuid16OrEmpty, ReadOnlySpan<byte> macOrEmpty, Span<byte> destination)
        {
            return Choose(configured, hostname, uuid16OrEmpty, macOrEmpty, destination, out _);
        }

        /// <summary>
        /// Writes the initiator name into <paramref name="destination"/>. Returns its length, 0 when
        /// no source gave a name, or -1 when the destination is too small. A configured name that
        /// fails <see cref="Validate"/> is skipped in favour of a generated one; the caller logs
        /// Validate's description so the administrator learns why their name was not used.
        /// </summary>
        public static int Choose(ReadOnlySpan<byte> configured, ReadOnlySpan<byte> hostname, ReadOnlySpan<byte> uuid16OrEmpty, ReadOnlySpan<byte> macOrEmpty, Span<byte> destination, out InitiatorNameSource source)
        {
            source = InitiatorNameSource.None;

            configured = UntilNul(configured);
            if (!configured.IsEmpty && Validate(configured) == InitiatorNameStatus.Ok)
            {
                source = InitiatorNameSource.Configured;
                return configured.TryCopyTo(destination) ? configured.Length : -1;
            }

            ReadOnlySpan<byte> prefix = Prefix;
            hostname = UntilNul(hostname);
            if (!hostname.IsEmpty)
            {
                // Long FQDNs are cut so the whole name stays within the 223-byte limit.
                int length = Math.Min(hostname.Length, MaxLength - prefix.Length);
                source = InitiatorNameSource.Hostname;
                if (prefix.Length + length > destination.Length)
                {
                    return -1;
                }

                prefix.CopyTo(destination);
                for (int i = 0; i < length; i++)
                {
                    destination[prefix.Length + i] = HostnameCharacter(hostname[i]);
                }

                return prefix.Length + length;
            }

            // SMBIOS marks an unset UUID as all zeros, and one that is settable but unset as all
            // ones; neither identifies the machine, so both fall through to the MAC address.
            if (uuid16OrEmpty.Length == 16 && !AllBytesAre(uuid16OrEmpty, 0x00) && !AllBytesAre(uuid16OrEmpty, 0xFF))
            {
                source = InitiatorNameSource.SmbiosUuid;
                if (prefix.Length + UuidTextLength > destination.Length)
                {
                    return -1;
                }

                prefix.CopyTo(destination);
                return prefix.Length + FormatSmbiosUuid(uuid16OrEmpty, destination.Slice(prefix.Length));
            }

            if (macOrEmpty.Length == 6 && !AllBytesAre(macOrEmpty, 0x00))
            {
                source = InitiatorNameSource.MacAddress;
                if (prefix.Length + 17 > destination.Length)
                {
                    return -1;
                }

                prefix.CopyTo(destination);
                int position = prefix.Length;
                for (int i = 0; i < 6; i++)
                {
                    // Dashes, not colons: the name reads the same as a hostname-derived one would.
                    if (i > 0)
                    {
                        destination[position++] = (byte)'-';
                    }

                    destination[position++] = AsciiHex.Digit((uint)macOrEmpty[i] >> 4);
                    destination[position++] = AsciiHex.Digit((uint)macOrEmpty[i] & 0xF);
                }

                return position;
            }

            return 0;
        }

        /// <summary>
        /// Writes an SMBIOS system UUID (SMBIOS 2.6+ §7.2.1) as lowercase 8-4-4-4-12 text. SMBIOS
        /// stores the first three fields little-endian, so those bytes are swapped to print the UUID
        /// as the firmware setup screen and the OS show it. Returns 36, or -1 when the input is not
        /// 16 bytes or the destination is too small.
        /// </summary>
        public static int FormatSmbiosUuid(ReadOnlySpan<byte> uuid16, Span<byte> destination)
        {
            if (uuid16.Length != 16 || destination.Length < UuidTextLength)
            {
                return -1;
            }

            ReadOnlySpan<byte> order = UuidPrintOrder;
            int position = 0;
            for (int i = 0; i < 16; i++)
            {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                {
                    destination[position++] = (byte)'-';
                }

                byte value = uuid16[order[i]];
                destination[position++] = AsciiHex.Digit((uint)value >> 4);
                destination[position++] = AsciiHex.Digit((uint)value & 0xF);
            }

            return position;
        }

        /// <summary>Stored byte printed at each position: time_low, time_mid and time_hi swapped, the rest as stored.</summary>
        private static ReadOnlySpan<byte> UuidPrintOrder => new byte[] { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

        public static bool IsValid(ReadOnlySpan<byte> name) => Validate(name) == InitiatorNameStatus.Ok;

        /// <summary>Checks the syntax of an iSCSI name (RFC 7143 §4.2.7.2, RFC 3721 §1).</summary>
        public static InitiatorNameStatus Validate(ReadOnlySpan<byte> name)
        {
            if (name.IsEmpty)
            {
                return InitiatorNameStatus.Empty;
            }

            if (name.Length > MaxLength)
            {
                return InitiatorNameStatus.TooLong;
            }

            // RFC 3722's stringprep folds case, so "IQN." and upper-case letters name the same thing
            // as their lower-case forms: accepted, and sent as configured.
            if (StartsWithIgnoreCase(name, "iqn."u8))
            {
                return ValidateIqn(name.Slice(4));
            }

            if (StartsWithIgnoreCase(name, "eui."u8))
            {
                return IsHex(name.Slice(4), 16) ? InitiatorNameStatus.Ok : InitiatorNameStatus.BadHex;
            }

            if (StartsWithIgnoreCase(name, "naa."u8))
            {
                ReadOnlySpan<byte> digits = name.Slice(4);
                return IsHex(digits, 16) || IsHex(digits, 32) ? InitiatorNameStatus.Ok : InitiatorNameStatus.BadHex;
            }

            return InitiatorNameStatus.UnknownType;
        }

        public static ReadOnlySpan<byte> Describe(InitiatorNameStatus status)
        {
            switch (status)
            {
                case InitiatorNameStatus.Ok: return "initiator name is valid"u8;
                case InitiatorNameStatus.Empty: return "initiator name is empty"u8;
                case InitiatorNameStatus.TooLong: return "initiator name is longer than 223 bytes"u8;
                case InitiatorNameStatus.UnknownType: return "initiator name does not start with iqn., eui. or naa."u8;
                case InitiatorNameStatus.BadDate: return "iqn. name lacks a yyyy-mm date (month 01 to 12) followed by '.'"u8;
                case InitiatorNameStatus.BadNamingAuthority: return "iqn. name lacks a reversed domain name (letters, digits, '-' between dots)"u8;
                case InitiatorNameStatus.BadCharacter: return "initiator name holds a character other than letters, digits, '-', '.' and ':'"u8;
                case InitiatorNameStatus.BadHex: return "eui. name needs 16 hex digits, naa. name 16 or 32"u8;
                default: return "unknown initiator name status"u8;
            }
        }

        /// <summary>Checks what follows "iqn.": yyyy-mm "." naming-authority [":" unique-string].</summary>
        private static InitiatorNameStatus ValidateIqn(ReadOnlySpan<byte> rest)
        {
            if (rest.Length < 8 || !IsDigit(rest[0]) || !IsDigit(rest[1]) || !IsDigit(rest[2]) || !IsDigit(rest[3])
                || rest[4] != (byte)'-' || !IsDigit(rest[5]) || !IsDigit(rest[6]) || rest[7] != (byte)'.')
            {
                return InitiatorNameStatus.BadDate;
            }

            int month = (rest[5] - '0') * 10 + (rest[6] - '0');
            if (month < 1 || month > 12)
            {
                return InitiatorNameStatus.BadDate;
            }

            rest = rest.Slice(8);
            int colon = rest.IndexOf((byte)':');
            ReadOnlySpan<byte> authority = colon >= 0 ? rest.Slice(0, colon) : rest;

            // Dot-separated labels, none empty: "org.example", not "org..example" or ".org".
            int labelLength = 0;
            for (int i = 0; i <= authority.Length; i++)
            {
                if (i == authority.Length || authority[i] == (byte)'.')
                {
                    if (labelLength == 0)
                    {
                        return InitiatorNameStatus.BadNamingAuthority;
                    }

                    labelLength = 0;
                    continue;
                }

                byte c = authority[i];
                if (!IsAsciiLetterOrDigit(c) && c != (byte)'-')
                {
                    return InitiatorNameStatus.BadNamingAuthority;
                }

                labelLength++;
            }

            if (colon >= 0)
            {
                ReadOnlySpan<byte> unique = rest.Slice(colon + 1);
                for (int i = 0; i < unique.Length; i++)
                {
                    byte c = unique[i];

                    // Bytes from 0x80 up are UTF-8 of the non-ASCII characters RFC 3722 permits.
                    if (!IsAsciiLetterOrDigit(c) && c != (byte)'-' && c != (byte)'.' && c != (byte)':' && c < 0x80)
                    {
                        return InitiatorNameStatus.BadCharacter;
                    }
                }
            }

            return InitiatorNameStatus.Ok;
        }

        /// <summary>Lowercases a host name byte and maps anything outside [a-z0-9.-] to '-'.</summary>
        private static byte HostnameCharacter(byte c)
        {
            if (c >= (byte)'A' && c <= (byte)'Z')
            {
                return (byte)(c + 32);
            }

            if ((c >= (byte)'a' && c <= (byte)'z') || IsDigit(c) || c == (byte)'.' || c == (byte)'-')
            {
                return c;
            }

            return (byte)'-';
        }

        /// <summary>DHCP options and firmware strings are sometimes NUL-terminated: stop at the first NUL.</summary>
        private static ReadOnlySpan<byte> UntilNul(ReadOnlySpan<byte> text)
        {
            int end = text.IndexOf((byte)0);
            return end >= 0 ? text.Slice(0, end) : text;
        }

        private static bool AllBytesAre(ReadOnlySpan<byte> bytes, byte value)
        {
            for (int i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] != value)
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsHex(ReadOnlySpan<byte> text, int length)
        {
            if (text.Length != length)
            {
                return false;
            }

            for (int i = 0; i < text.Length; i++)
            {
                byte c = text[i];
                if (!IsDigit(c) && !(c >= (byte)'a' && c <= (byte)'f') && !(c >= (byte)'A' && c <= (byte)'F'))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowerPrefix)
        {
            if (text.Length < lowerPrefix.Length)
            {
                return false;
            }

            for (int i = 0; i < lowerPrefix.Length; i++)
            {
                byte c = text[i];
                if (c >= (byte)'A' && c <= (byte)'Z')
                {
                    c = (byte)(c + 32);
                }

                if (c != lowerPrefix[i])
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsDigit(byte c) => c >= (byte)'0' && c <= (byte)'9';

        private static bool IsAsciiLetterOrDigit(byte c) => IsDigit(c) || (c >= (byte)'a' && c <= (byte)'z') || (c >= (byte)'A' && c <= (byte)'Z');
    }
}
