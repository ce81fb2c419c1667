// The byte stream the transfer tests send: a position-dependent pattern, so any loss,
// duplication or reordering that reached the application shows up as mismatches.
using System;

namespace Bootstage.Integration.Tests
{
    internal static class StreamPattern
    {
        public static byte At(long position) => (byte)(position * 31 + (position >> 13));

        public static void Fill(Span<byte> buffer, long position)
        {
            for (int i = 0; i < buffer.Length; i++)
            {
                buffer[i] = At(position + i);
            }
        }

        public static long Mismatches(ReadOnlySpan<byte> buffer, long position)
        {
            long mismatches = 0;
            for (int i = 0; i < buffer.Length; i++)
            {
                if (buffer[i] != At(position + i))
                {
                    mismatches++;
                }
            }

            return mismatches;
        }
    }
}
