// PCI configuration space through configuration mechanism #1 (PCI Local Bus Specification 3.0
// §3.2.2.3.2): write the bus/device/function/register address to 0xCF8, access the dword at
// 0xCFC. Enumeration walks every bus, device and function (functions 1-7 only for multi-function
// devices) and reports devices whose vendor id is not 0xFFFF.
using Bootstage.Platform;

namespace Bootstage.Kernel.Hardware
{
    internal readonly struct PciAddress
    {
        public PciAddress(byte bus, byte device, byte function)
        {
            Bus = bus;
            Device = device;
            Function = function;
        }

        public byte Bus { get; }

        public byte Device { get; }

        public byte Function { get; }
    }

    internal readonly struct PciDevice
    {
        public PciDevice(PciAddress address, ushort vendorId, ushort deviceId, byte classCode, byte subclass, byte progIf, byte headerType)
        {
            Address = address;
            VendorId = vendorId;
            DeviceId = deviceId;
            ClassCode = classCode;
            Subclass = subclass;
            ProgIf = progIf;
            HeaderType = headerType;
        }

        public PciAddress Address { get; }

        public ushort VendorId { get; }

        public ushort DeviceId { get; }

        public byte ClassCode { get; }

        public byte Subclass { get; }

        public byte ProgIf { get; }

        public byte HeaderType { get; }
    }

    internal sealed class PciBus
    {
        private const ushort ConfigAddress = 0xCF8;
        private const ushort ConfigData = 0xCFC;

        private readonly IPlatform _platform;

        internal PciBus(IPlatform platform)
        {
            _platform = platform;
        }

        internal uint ReadConfig(PciAddress address, byte offset)
        {
            _platform.OutDword(ConfigAddress, Encode(address, offset));
            return _platform.InDword(ConfigData);
        }

        internal void WriteConfig(PciAddress address, byte offset, uint value)
        {
            _platform.OutDword(ConfigAddress, Encode(address, offset));
            _platform.OutDword(ConfigData, value);
        }

        internal const byte CommandRegister = 0x04;
        internal const ushort CommandIoSpace = 0x0001;
        internal const ushort CommandMemorySpace = 0x0002;
        internal const ushort CommandBusMaster = 0x0004;
        internal const byte FirstBarRegister = 0x10;
        internal const uint BarIoSpace = 0x1;

        /// <summary>Base address register <paramref name="index"/> (0-5) of a type-0 header, raw.</summary>
        internal uint ReadBar(PciAddress address, int index)
        {
            return ReadConfig(address, (byte)(FirstBarRegister + 4 * index));
        }

        /// <summary>The I/O port base of an I/O-space BAR; false when the BAR maps memory or is unassigned.</summary>
        internal bool TryGetIoBar(PciAddress address, int index, out ushort ioBase)
        {
            uint bar = ReadBar(address, index);
            ioBase = (ushort)(bar & 0xFFFC);
            return (bar & BarIoSpace) != 0 && ioBase != 0;
        }

        /// <summary>Sets bits in the command register (low half of dword 0x04); the status half is written as 0, which leaves its write-1-to-clear bits alone.</summary>
        internal ushort EnableCommand(PciAddress address, ushort bits)
        {
            ushort command = (ushort)(ReadConfig(address, CommandRegister) | bits);
            WriteConfig(address, CommandRegister, command);
            return (ushort)ReadConfig(address, CommandRegister);
        }

        /// <summary>Visits every present function; returns how many there were (at most <paramref name="devices"/>.Length are stored).</summary>
        internal int Enumerate(System.Span<PciDevice> devices)
        {
            int found = 0;
            for (int bus = 0; bus < 256; bus++)
            {
                for (int device = 0; device < 32; device++)
                {
                    PciAddress first = new PciAddress((byte)bus, (byte)device, 0);
                    if ((ushort)ReadConfig(first, 0) == 0xFFFF)
                    {
                        continue;
                    }

                    byte headerType = (byte)(ReadConfig(first, 0x0C) >> 16);
                    int functions = (headerType & 0x80) != 0 ? 8 : 1;
                    for (int function = 0; function < functions; function++)
                    {
                        PciAddress address = new PciAddress((byte)bus, (byte)device, (byte)function);
                        uint id = ReadConfig(address, 0);
                        if ((ushort)id == 0xFFFF)
                        {
                            continue;
                        }

                        if (found < devices.Length)
                        {
                            uint classRegister = ReadConfig(address, 0x08);
                            byte header = (byte)(ReadConfig(address, 0x0C) >> 16);
                            devices[found] = new PciDevice(address, (ushort)id, (ushort)(id >> 16),
                                (byte)(classRegister >> 24), (byte)(classRegister >> 16), (byte)(classRegister >> 8), header);
                        }

                        found++;
                    }
                }
            }

            return found;
        }

        private static uint Encode(PciAddress address, byte offset)
        {
            return 0x80000000u | ((uint)address.Bus << 16) | ((uint)address.Device << 11) | ((uint)address.Function << 8) | (uint)(offset & 0xFC);
        }
    }
}
