// The kernel console: every byte goes to COM1 and is mirrored to the VGA text screen, each as
// selected by `console=` (serial, vga or both; both by default). Uses only static scalars, so it
// works from the first instruction of managed code, before the heap or module initialisation.
namespace Bootstage.Kernel.Console
{
    internal static class KernelConsole
    {
        private static bool s_serial;
        private static bool s_vga;

        internal static void Initialize(bool serial, bool vga)
        {
            s_serial = serial;
            s_vga = vga;
            if (serial)
            {
                SerialPort.Initialize();
            }

            if (vga)
            {
                VgaText.Clear();
            }
        }

        internal static void Select(bool serial, bool vga)
        {
            s_serial = serial;
            s_vga = vga;
        }

        internal static void Write(byte value)
        {
            if (value == (byte)'\n' && s_serial)
            {
                SerialPort.Write((byte)'\r');
            }

            if (s_serial)
            {
                SerialPort.Write(value);
            }

            if (s_vga)
            {
                VgaText.Write(value);
            }
        }
    }
}
