// iSCSI binary values as login text carries them (RFC 7143 §6.1, "binary-value" and
// "large-binary-value"): CHAP's challenge CHAP_C and response CHAP_R (RFC 7143 §12.1.3) arrive
// either as "0x"/"0X" followed by hexadecimal digits or as "0b"/"0B" followed by base64 (RFC 4648
// §4, standard alphabet, '=' padding). §6.1 allows an odd number of hex digits, the first digit
// then standing alone as the high byte's low nibble, so "0x123" is the two bytes 01 23.
//
// Everything works on ASCII bytes in caller-supplied spans: no strings, no allocation. Malformed
// input gives -1, never an exception, because a target's text is untrusted.
using System;
using Bootstage.Boot;

namespace Bootstage.Boot.Crypto
{
    public static class ChapValue
    {
        private const int PrefixLength = 2;

        /// <summary>
        /// Decodes a hex ("0x") or base64 ("0b") binary value into <paramref name="destination"/>.
        /// Returns the number of bytes written, or -1 when the prefix is missing, nothing follows
        /// it, a character is outside the encoding, the base64 padding is misplaced, or the value
        /// does not fit in <paramref name="destination"/>.
        /// </summary>
        public static int Decode(ReadOnlySpan<byte> text, Span<byte> destination)
        {
            if (text.Length <= PrefixLength || text[0] != (byte)'0')
            {
                return -1;
            }

            byte kind = text[1];
            ReadOnlySpan<byte> body = text.Slice(PrefixLength);
            if (kind == (byte)'x' || kind == (byte)'X')
            {
                return DecodeHex(body, destination);
            }

            if (kind == (byte)'b' || kind == (byte)'B')
            {
                return DecodeBase64(body, destination);
            }

            return -1;
        }

        /// <summary>The length <see cref="Encode"/> produces for a value of <paramref name="valueLength"/> bytes.</summary>
        public static int EncodedLength(int valueLength) => PrefixLength + (2 * valueLength);

        /// <summary>
        /// Writes <paramref name="value"/> as "0x" and two lowercase hex digits per byte. Returns
        /// the number of bytes written, or -1 (writing nothing) when <paramref name="destination"/>
        /// is shorter than <see cref="EncodedLength"/>.
        /// </summary>
        public static int Encode(ReadOnlySpan<byte> value, Span<byte> destination)
        {
            int length = EncodedLength(value.Length);
            if (destination.Length < length)
            {
                return -1;
            }

            destination[0] = (byte)'0';
            destination[1] = (byte)'x';
            for (int i = 0; i < value.Length; i++)
            {
                destination[PrefixLength + (2 * i)] = AsciiHex.Digit((uint)value[i] >> 4);
                destination[PrefixLength + (2 * i) + 1] = AsciiHex.Digit((uint)value[i] & 0xF);
            }

            return length;
        }

        private static int DecodeHex(ReadOnlySpan<byte> digits, Span<byte> destination)
        {
            int length = (digits.Length + 1) / 2;
            if (length > destination.Length)
            {
                return -1;
            }

            // With an odd count the first digit is a byte on its own; after that digits pair up.
            int position = 0;
            int written = 0;
            if ((digits.Length & 1) != 0)
            {
                int single = AsciiHex.Value(digits[0]);
                if (single < 0)
                {
                    return -1;
                }

                destination[written++] = (byte)single;
                position = 1;
            }

            while (position < digits.Length)
            {
                int high = AsciiHex.Value(digits[position]);
                int low = AsciiHex.Value(digits[position + 1]);
                if (high < 0 || low < 0)
                {
                    return -1;
                }

                destination[written++] = (byte)((high << 4) | low);
                position += 2;
            }

            return written;
        }

        private static int DecodeBase64(ReadOnlySpan<byte> encoded, Span<byte> destination)
        {
            // At most two '=' and only at the very end; they must complete the last quantum of
            // four characters. A lone trailing character (one sextet) cannot form a byte.
            int padding = 0;
            while (padding < encoded.Length && encoded[encoded.Length - 1 - padding] == (byte)'=')
            {
                padding++;
            }

            int significant = encoded.Length - padding;
            int remainder = significant & 3;
            if (significant == 0 || padding > 2 || remainder == 1)
            {
                return -1;
            }

            if (padding > 0 && ((remainder == 2 && padding != 2) || (remainder == 3 && padding != 1) || remainder == 0))
            {
                return -1;
            }

            // Every full quantum of four characters is three bytes; a tail of 2 or 3 gives 1 or 2.
            int length = ((significant >> 2) * 3) + (remainder == 0 ? 0 : remainder - 1);
            if (length > destination.Length)
            {
                return -1;
            }

            // Accumulate six bits per character and emit a byte whenever eight are ready. Bits
            // left over at the end belong to no byte; RFC 4648 §3.5 lets decoders ignore them.
            uint accumulator = 0;
            int bits = 0;
            int written = 0;
            for (int i = 0; i < significant; i++)
            {
                int sextet = Base64Value(encoded[i]);
                if (sextet < 0)
                {
                    return -1;
                }

                accumulator = (accumulator << 6) | (uint)sextet;
                bits += 6;
                if (bits >= 8)
                {
                    bits -= 8;
                    destination[written++] = (byte)(accumulator >> bits);
                    accumulator &= (1u << bits) - 1;
                }
            }

            return written;
        }

        // RFC 4648 table 1: A-Z, a-z, 0-9, '+', '/'. '=' is padding, handled by the caller.
        private static int Base64Value(byte c)
        {
            if (c >= (byte)'A' && c <= (byte)'Z')
            {
                return c - 'A';
            }

            if (c >= (byte)'a' && c <= (byte)'z')
            {
                return c - 'a' + 26;
            }

            if (c >= (byte)'0' && c <= (byte)'9')
            {
                return c - '0' + 52;
            }

            if (c == (byte)'+')
            {
                return 62;
            }

            if (c == (byte)'/')
            {
                return 63;
            }

            return -1;
        }
    }
}
