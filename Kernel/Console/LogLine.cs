// One log line under construction, written straight to the console as it is built: no string is
// formatted or allocated. A suppressed line (below the current level) swallows its pieces.
// Usage: Log.Begin(LogLevel.Info).Text("pci ").Hex(vendor, 4).End();
using System;

namespace Bootstage.Kernel.Console
{
    internal readonly ref struct LogLine
    {
        private readonly bool _enabled;

        internal LogLine(bool enabled)
        {
            _enabled = enabled;
        }

        public LogLine Text(string text)
        {
            if (_enabled && (object)text != null)
            {
                for (int i = 0; i < text.Length; i++)
                {
                    KernelConsole.Write((byte)text[i]);
                }
            }

            return this;
        }

        /// <summary>ASCII bytes; anything unprintable shows as '?', so hostile text cannot drive the terminal.</summary>
        public LogLine Ascii(ReadOnlySpan<byte> text)
        {
            if (_enabled)
            {
                for (int i = 0; i < text.Length; i++)
                {
                    byte c = text[i];
                    KernelConsole.Write(c >= 0x20 && c < 0x7F ? c : (byte)'?');
                }
            }

            return this;
        }

        public LogLine Char(char c)
        {
            if (_enabled)
            {
                KernelConsole.Write((byte)c);
            }

            return this;
        }

        public LogLine Dec(ulong value)
        {
            if (_enabled)
            {
                Span<byte> digits = stackalloc byte[20];
                int count = NumberFormat.Decimal(value, digits);
                for (int i = 0; i < count; i++)
                {
                    KernelConsole.Write(digits[i]);
                }
            }

            return this;
        }

        public LogLine Signed(long value)
        {
            if (value < 0)
            {
                Char('-');
                return Dec((ulong)(-value));
            }

            return Dec((ulong)value);
        }

        /// <summary>Lower-case hex, zero-padded to <paramref name="minDigits"/>, no prefix.</summary>
        public LogLine Hex(ulong value, int minDigits = 1)
        {
            if (_enabled)
            {
                Span<byte> digits = stackalloc byte[16];
                int count = NumberFormat.Hex(value, minDigits, digits);
                for (int i = 0; i < count; i++)
                {
                    KernelConsole.Write(digits[i]);
                }
            }

            return this;
        }

        public void End()
        {
            if (_enabled)
            {
                KernelConsole.Write((byte)'\n');
            }
        }
    }
}
