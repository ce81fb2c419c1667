// The port-I/O devices of the emulated Gen1 machine, as far as the image uses them:
// - COM1, a 16550 UART at 0x3F8 (TI/National PC16550D datasheet: DLAB in LCR bit 7 turns 0x3F8/0x3F9
//   into the divisor latch; MCR bit 4 is loopback, where a transmitted byte comes back in RBR instead
//   of leaving; LSR bit 0 data ready, bits 5/6 transmitter empty). The console checks the loopback
//   before it trusts the port, so a UART without it would silence the image.
// - PIT channel 2 and port 0x61 (Intel 8254 datasheet, mode 0 "interrupt on terminal count"; IBM AT
//   port B: bit 0 gates channel 2, bit 5 reads OUT2), enough for the clock's TSC calibration. The
//   count runs on the host's monotonic clock, as the TSC the emulator reports does.
// - PCI configuration mechanism 1 (PCI Local Bus 3.0 §3.2.2.3.2: address at 0xCF8, data at 0xCFC)
//   with no device behind it: every read of data is all ones, as on an empty bus.
// - QEMU's isa-debug-exit at 0xF4: the byte written is the image's exit code.
// Everything else reads as all ones and swallows writes (an ISA bus with nothing on it).
using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace Bootstage.HyperV.Machine
{
    public sealed class LegacyDevices
    {
        public const ushort Com1 = 0x3F8;
        public const ushort DebugExit = 0xF4;
        private const ushort PitChannel2 = 0x42;
        private const ushort PitCommand = 0x43;
        private const ushort PortB = 0x61;
        private const ushort PciAddress = 0xCF8;
        private const ushort PciData = 0xCFC;
        private const double PitHz = 1193182.0;

        private readonly Action<byte> _serialOut;
        private readonly Queue<byte> _receive = new();
        private readonly byte[] _uart = new byte[8];
        private ushort _divisor;
        private byte _portB;
        private ushort _pitCount;
        private bool _pitLowNext = true;
        private long _pitStart = -1;
        private uint _pciAddress;

        public LegacyDevices(Action<byte> serialOut)
        {
            _serialOut = serialOut;
        }

        /// <summary>The code written to the isa-debug-exit port, once the image wrote one.</summary>
        public int? ExitCode { get; private set; }

        /// <summary>Bytes that went out on COM1 (loopback bytes do not).</summary>
        public long SerialBytes { get; private set; }

        /// <summary>Whether the UART's loopback answered a byte (the console's presence check).</summary>
        public bool LoopbackUsed { get; private set; }

        public uint In(ushort port, int size)
        {
            if (port >= Com1 && port < Com1 + 8)
            {
                return ReadUart(port - Com1);
            }

            switch (port)
            {
                case PortB:
                    return (uint)((_portB & 0x0F) | (Out2() ? 0x20 : 0));
                case PciAddress when size == 4:
                    return _pciAddress;
                case >= PciData and <= PciData + 3:
                    return size == 4 ? 0xFFFFFFFF : size == 2 ? 0xFFFFu : 0xFFu;
                default:
                    return size == 4 ? 0xFFFFFFFF : size == 2 ? 0xFFFFu : 0xFFu;
            }
        }

        public void Out(ushort port, int size, uint value)
        {
            if (port >= Com1 && port < Com1 + 8)
            {
                WriteUart(port - Com1, (byte)value);
                return;
            }

            switch (port)
            {
                case DebugExit:
                    ExitCode ??= (int)(value & 0xFF);
                    break;
                case PortB:
                    _portB = (byte)value;
                    break;
                case PitCommand:
                    // Only channel 2, lobyte/hibyte, mode 0 is modelled; the command restarts the load sequence.
                    if ((value & 0xC0) == 0x80)
                    {
                        _pitLowNext = true;
                        _pitStart = -1;
                    }

                    break;
                case PitChannel2:
                    if (_pitLowNext)
                    {
                        _pitCount = (ushort)((_pitCount & 0xFF00) | (byte)value);
                    }
                    else
                    {
                        _pitCount = (ushort)((_pitCount & 0x00FF) | ((byte)value << 8));

                        // Mode 0 starts counting once the full count is written.
                        _pitStart = Stopwatch.GetTimestamp();
                    }

                    _pitLowNext = !_pitLowNext;
                    break;
                case PciAddress when size == 4:
                    _pciAddress = value;
                    break;
            }
        }

        // OUT2 in mode 0: low while counting, high from the terminal count on (and with the gate off, held).
        private bool Out2()
        {
            if (_pitStart < 0 || (_portB & 1) == 0)
            {
                return false;
            }

            double elapsed = Stopwatch.GetElapsedTime(_pitStart).TotalSeconds;
            int count = _pitCount == 0 ? 0x10000 : _pitCount;
            return elapsed * PitHz >= count;
        }

        private uint ReadUart(int register)
        {
            bool dlab = (_uart[3] & 0x80) != 0;
            switch (register)
            {
                case 0:
                    if (dlab)
                    {
                        return (byte)_divisor;
                    }

                    return _receive.Count > 0 ? _receive.Dequeue() : 0u;
                case 1:
                    return dlab ? (uint)(byte)(_divisor >> 8) : _uart[1];
                case 2:
                    // IIR: no interrupt pending, FIFOs enabled when FCR asked for them.
                    return (_uart[2] & 1) != 0 ? 0xC1u : 0x01u;
                case 5:
                    return (uint)(0x60 | (_receive.Count > 0 ? 1 : 0));
                case 6:
                    return 0xB0;
                default:
                    return _uart[register];
            }
        }

        private void WriteUart(int register, byte value)
        {
            bool dlab = (_uart[3] & 0x80) != 0;
            if (register == 0 && dlab)
            {
                _divisor = (ushort)((_divisor & 0xFF00) | value);
                return;
            }

            if (register == 1 && dlab)
            {
                _divisor = (ushort)((_divisor & 0x00FF) | (value << 8));
                return;
            }

            if (register == 0)
            {
                if ((_uart[4] & 0x10) != 0)
                {
                    LoopbackUsed = true;
                    _receive.Enqueue(value);
                    return;
                }

                SerialBytes++;
                _serialOut(value);
                return;
            }

            _uart[register] = value;
        }
    }
}
