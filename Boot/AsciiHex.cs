// Hexadecimal digits in ASCII text, shared by every parser and formatter in Boot (root paths,
// CHAP values, iSCSI numbers, initiator names, MAC addresses). Lowercase on output; either case
// accepted on input.
namespace Bootstage.Boot
{
    public static class AsciiHex
    {
        /// <summary>The value of one hex digit, or -1 when the byte is not one.</summary>
        public static int Value(byte c)
        {
            if (c >= (byte)'0' && c <= (byte)'9')
            {
                return c - '0';
            }

            byte lower = (byte)(c | 0x20);
            return lower >= (byte)'a' && lower <= (byte)'f' ? lower - 'a' + 10 : -1;
        }

        /// <summary>The lowercase digit for a value 0..15.</summary>
        public static byte Digit(uint nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
    }
}
