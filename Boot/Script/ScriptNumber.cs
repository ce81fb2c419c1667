// Numbers in boot script arguments, read as iPXE's parse_integer reads them (C's strtoul with
// base 0): `0x`/`0X` prefix for hexadecimal, a leading `0` for octal, decimal otherwise; the whole
// text must be the number. Used for --drive, sleep and exit.
using System;

namespace Bootstage.Boot.Script
{
    public static class ScriptNumber
    {
        public static bool TryParse(ReadOnlySpan<byte> text, out uint value)
        {
            value = 0;
            uint radix = 10;
            int position = 0;
            if (text.Length > 2 && text[0] == (byte)'0' && (text[1] | 0x20) == (byte)'x')
            {
                radix = 16;
                position = 2;
            }
            else if (text.Length > 1 && text[0] == (byte)'0')
            {
                radix = 8;
                position = 1;
            }

            if (position >= text.Length)
            {
                return false;
            }

            ulong total = 0;
            for (; position < text.Length; position++)
            {
                int digit = AsciiHex.Value(text[position]);
                if (digit < 0 || (uint)digit >= radix)
                {
                    return false;
                }

                total = total * radix + (uint)digit;
                if (total > 0xFFFFFFFF)
                {
                    return false;
                }
            }

            value = (uint)total;
            return true;
        }
    }
}
