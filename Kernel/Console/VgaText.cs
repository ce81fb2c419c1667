// The VGA text buffer (80x25 at physical 0xB8000, colour attribute per cell) with scrolling:
// the console a person sees in the Hyper-V or QEMU window.
namespace Bootstage.Kernel.Console
{
    internal static unsafe class VgaText
    {
        private const int Columns = 80;
        private const int Rows = 25;
        private const byte Attribute = 0x07; // light grey on black

        private static ushort* Buffer => (ushort*)0xB8000;

        private static int s_row;
        private static int s_column;

        internal static void Clear()
        {
            for (int i = 0; i < Columns * Rows; i++)
            {
                Buffer[i] = (ushort)(Attribute << 8 | ' ');
            }

            s_row = 0;
            s_column = 0;
        }

        internal static void Write(byte value)
        {
            if (value == (byte)'\n')
            {
                NewLine();
                return;
            }

            if (value == (byte)'\r')
            {
                s_column = 0;
                return;
            }

            Buffer[s_row * Columns + s_column] = (ushort)(Attribute << 8 | value);
            if (++s_column == Columns)
            {
                NewLine();
            }
        }

        private static void NewLine()
        {
            s_column = 0;
            if (++s_row < Rows)
            {
                return;
            }

            for (int i = 0; i < Columns * (Rows - 1); i++)
            {
                Buffer[i] = Buffer[i + Columns];
            }

            for (int i = Columns * (Rows - 1); i < Columns * Rows; i++)
            {
                Buffer[i] = (ushort)(Attribute << 8 | ' ');
            }

            s_row = Rows - 1;
        }
    }
}
