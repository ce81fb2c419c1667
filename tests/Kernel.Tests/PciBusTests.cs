// PCI enumeration through configuration mechanism #1 on a simulated configuration space:
// absent slots, single- and multi-function devices, class codes.
using System.Collections.Generic;
using Bootstage.Kernel.Hardware;
using Bootstage.Platform.Testing;

namespace Bootstage.Kernel.Tests
{
    public class PciBusTests
    {
        private sealed class PciMachine : SimulatedPlatform
        {
            private readonly Dictionary<uint, uint> _config = new();
            private uint _address;

            public void AddFunction(int bus, int device, int function, ushort vendor, ushort deviceId, uint classCodeRevision, byte headerType)
            {
                uint baseAddress = 0x80000000u | ((uint)bus << 16) | ((uint)device << 11) | ((uint)function << 8);
                _config[baseAddress] = vendor | ((uint)deviceId << 16);
                _config[baseAddress | 0x08] = classCodeRevision;
                _config[baseAddress | 0x0C] = (uint)headerType << 16;
            }

            public override void OutDword(ushort port, uint value)
            {
                if (port == 0xCF8)
                {
                    _address = value;
                }
            }

            public override uint InDword(ushort port)
            {
                if (port != 0xCFC)
                {
                    return 0xFFFFFFFF;
                }

                return _config.TryGetValue(_address, out uint value) ? value : 0xFFFFFFFF;
            }
        }

        [Fact]
        public void Enumeration_finds_single_and_multi_function_devices_with_their_class()
        {
            using PciMachine machine = new PciMachine();
            machine.AddFunction(0, 0, 0, 0x8086, 0x1237, 0x06000002, 0x00);
            machine.AddFunction(0, 1, 0, 0x8086, 0x7000, 0x06010000, 0x80);
            machine.AddFunction(0, 1, 1, 0x8086, 0x7010, 0x01018000, 0x00);
            machine.AddFunction(0, 1, 3, 0x8086, 0x7113, 0x06800003, 0x00);
            // Function 2 of a single-function device must not be reported even if it decodes.
            machine.AddFunction(0, 3, 0, 0x1AF4, 0x1000, 0x02000000, 0x00);
            machine.AddFunction(0, 3, 2, 0x1AF4, 0x1000, 0x02000000, 0x00);
            machine.AddFunction(2, 0, 0, 0x1234, 0x5678, 0x0C030000, 0x00);

            PciBus bus = new PciBus(machine);
            PciDevice[] devices = new PciDevice[16];
            int count = bus.Enumerate(devices);
            Assert.Equal(6, count);
            Assert.Equal((ushort)0x1237, devices[0].DeviceId);
            Assert.Equal((byte)0x06, devices[1].ClassCode);
            Assert.Equal((byte)0x01, devices[1].Subclass);
            Assert.Equal((byte)1, devices[2].Address.Function);
            Assert.Equal((byte)0x80, devices[2].ProgIf);
            Assert.Equal((byte)3, devices[3].Address.Function);
            Assert.Equal((byte)2, devices[5].Address.Bus);
        }

        [Fact]
        public void More_devices_than_the_table_holds_are_counted_but_not_stored()
        {
            using PciMachine machine = new PciMachine();
            for (int device = 0; device < 5; device++)
            {
                machine.AddFunction(0, device, 0, 0x8086, (ushort)device, 0, 0);
            }

            PciDevice[] devices = new PciDevice[3];
            Assert.Equal(5, new PciBus(machine).Enumerate(devices));
            Assert.Equal((ushort)2, devices[2].DeviceId);
        }
    }
}
