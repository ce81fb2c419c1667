// The last resort: print a reason on COM1 without any allocation and stop the machine.
// Used for throws (there is no unwinder), failed runtime checks and exhausted memory.
namespace Internal.Runtime
{
    internal static unsafe class Panic
    {
        // QEMU's isa-debug-exit turns this into process status (0x7E << 1) | 1 = 253.
        internal const uint ExitCode = 0x7E;

        internal static void Fail(string reason)
        {
            Write("\r\n!!! PANIC: ");
            Write(reason);
            Write("\r\n");
            RuntimeImports.Exit(ExitCode);
            while (true)
            {
            }
        }

        internal static void Fail(string reason, ulong value)
        {
            Write("\r\n!!! PANIC: ");
            Write(reason);
            Write(" 0x");
            for (int shift = 60; shift >= 0; shift -= 4)
            {
                WriteChar("0123456789ABCDEF"[(int)((value >> shift) & 0xF)]);
            }

            Write("\r\n");
            RuntimeImports.Exit(ExitCode);
            while (true)
            {
            }
        }

        private static void Write(string text)
        {
            if ((object)text == null)
            {
                return;
            }

            for (int i = 0; i < text.Length; i++)
            {
                WriteChar(text[i]);
            }
        }

        private static void WriteChar(char c)
        {
            // COM1 line status bit 5: transmit holding register empty.
            while ((RuntimeImports.InByte(0x3FD) & 0x20) == 0)
            {
            }

            RuntimeImports.OutByte(0x3F8, (byte)c);
        }
    }
}
