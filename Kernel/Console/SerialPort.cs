// The 16550 UART at COM1 (I/O 0x3F8), 115200 baud 8N1, polled. The kernel's primary console:
// QEMU maps it to stdio, Hyper-V to a named pipe, and the tests read it.
using Bootstage.Kernel.Platform;

namespace Bootstage.Kernel.Console
{
    internal static class SerialPort
    {
        private const ushort Com1 = 0x3F8;
        private const ushort Data = Com1;
        private const ushort InterruptEnable = Com1 + 1;
        private const ushort FifoControl = Com1 + 2;
        private const ushort LineControl = Com1 + 3;
        private const ushort ModemControl = Com1 + 4;
        private const ushort LineStatus = Com1 + 5;
        private const byte TransmitEmpty = 0x20;

        private static bool s_present;

        internal static bool Present => s_present;

        /// <summary>Programs 115200 8N1 and checks, through the loopback mode, that a UART answers.</summary>
        internal static void Initialize()
        {
            Plugs.OutByte(InterruptEnable, 0x00);
            Plugs.OutByte(LineControl, 0x80); // DLAB on: the next two registers are the divisor
            Plugs.OutByte(Data, 0x01);         // 115200 / 1
            Plugs.OutByte(InterruptEnable, 0x00);
            Plugs.OutByte(LineControl, 0x03); // 8 data bits, no parity, 1 stop bit, DLAB off
            Plugs.OutByte(FifoControl, 0xC7); // FIFOs on and cleared, 14-byte threshold
            Plugs.OutByte(ModemControl, 0x1E); // loopback for the self-check
            Plugs.OutByte(Data, 0xAE);
            s_present = Plugs.InByte(Data) == 0xAE;
            Plugs.OutByte(ModemControl, 0x0F); // normal operation: DTR, RTS, OUT1, OUT2
        }

        internal static void Write(byte value)
        {
            if (!s_present)
            {
                return;
            }

            // Bounded wait: a wedged UART must not hang the boot.
            for (int spin = 0; spin < 100000 && (Plugs.InByte(LineStatus) & TransmitEmpty) == 0; spin++)
            {
                Plugs.Pause();
            }

            Plugs.OutByte(Data, value);
        }
    }
}
