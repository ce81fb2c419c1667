// Integer to ASCII without allocation, for the log writers.
using System;

namespace Bootstage.Kernel.Console
{
    internal static class NumberFormat
    {
        /// <summary>Writes the decimal digits of <paramref name="value"/>; returns how many (needs 20 bytes).</summary>
        internal static int Decimal(ulong value, Span<byte> destination)
        {
            Span<byte> reversed = stackalloc byte[20];
            int count = 0;
            do
            {
                reversed[count++] = (byte)('0' + (int)(value % 10));
                value /= 10;
            }
            while (value != 0);

            for (int i = 0; i < count; i++)
            {
                destination[i] = reversed[count - 1 - i];
            }

            return count;
        }

        /// <summary>Writes lower-case hex digits, at least <paramref name="minDigits"/>; returns how many (needs 16 bytes).</summary>
        internal static int Hex(ulong value, int minDigits, Span<byte> destination)
        {
            int digits = 1;
            while (digits < 16 && (value >> (digits * 4)) != 0)
            {
                digits++;
            }

            if (digits < minDigits)
            {
                digits = minDigits > 16 ? 16 : minDigits;
            }

            for (int i = 0; i < digits; i++)
            {
                int nibble = (int)((value >> ((digits - 1 - i) * 4)) & 0xF);
                destination[i] = (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
            }

            return digits;
        }
    }
}
