// The legacy (virtio 0.9.5 / transitional) PCI transport: the registers in I/O BAR0, as the
// Virtio 1.1 specification describes them in §4.1.4.8 "Legacy Interfaces: A Note on PCI Device
// Layout". With MSI-X disabled (we never enable it) the device-specific configuration starts at
// offset 20; all fields are in the guest's byte order (little-endian here). Every access goes
// through IPlatform port I/O, so tests can stand a simulated device behind it.
using Bootstage.Platform;

namespace Bootstage.Drivers.Virtio
{
    public sealed class VirtioPciLegacy
    {
        // Register offsets from BAR0.
        public const ushort DeviceFeaturesRegister = 0;   // u32, read-only
        public const ushort GuestFeaturesRegister = 4;    // u32
        public const ushort QueueAddressRegister = 8;     // u32, page frame number (4096-byte units)
        public const ushort QueueSizeRegister = 12;       // u16, read-only
        public const ushort QueueSelectRegister = 14;     // u16
        public const ushort QueueNotifyRegister = 16;     // u16, write the queue index
        public const ushort DeviceStatusRegister = 18;    // u8
        public const ushort IsrStatusRegister = 19;       // u8, read clears
        public const ushort DeviceConfigOffset = 20;      // device-specific, MSI-X disabled

        /// <summary>Size of the I/O window up to the device configuration.</summary>
        public const int RegisterWindow = DeviceConfigOffset;

        // Device status bits (§2.1).
        public const byte StatusAcknowledge = 1;
        public const byte StatusDriver = 2;
        public const byte StatusDriverOk = 4;
        public const byte StatusFailed = 128;

        // ISR status bits (§4.1.4.5).
        public const byte IsrQueue = 1;
        public const byte IsrConfigChange = 2;

        /// <summary>Legacy queue addresses are in 4096-byte units, whatever the guest's page size.</summary>
        public const int QueueAddressShift = 12;

        private const int ResetPolls = 1000;

        private readonly IPlatform _platform;
        private readonly ushort _ioBase;

        public VirtioPciLegacy(IPlatform platform, ushort ioBase)
        {
            _platform = platform;
            _ioBase = ioBase;
        }

        public IPlatform Platform => _platform;

        public ushort IoBase => _ioBase;

        public uint ReadDeviceFeatures() => _platform.InDword((ushort)(_ioBase + DeviceFeaturesRegister));

        public void WriteGuestFeatures(uint features) => _platform.OutDword((ushort)(_ioBase + GuestFeaturesRegister), features);

        public byte ReadStatus() => _platform.InByte((ushort)(_ioBase + DeviceStatusRegister));

        public void WriteStatus(byte status) => _platform.OutByte((ushort)(_ioBase + DeviceStatusRegister), status);

        /// <summary>Sets more status bits, keeping those already set (status bits only accumulate until a reset).</summary>
        public void AddStatus(byte bits) => WriteStatus((byte)(ReadStatus() | bits));

        /// <summary>Writes 0 to the status register and waits (bounded) until it reads back 0. False if it never did.</summary>
        public bool Reset()
        {
            WriteStatus(0);
            for (int i = 0; i < ResetPolls; i++)
            {
                if (ReadStatus() == 0)
                {
                    return true;
                }

                _platform.Pause();
            }

            return false;
        }

        /// <summary>Selects a queue and returns its size (0: the queue does not exist).</summary>
        public ushort SelectQueue(ushort queue)
        {
            _platform.OutWord((ushort)(_ioBase + QueueSelectRegister), queue);
            return _platform.InWord((ushort)(_ioBase + QueueSizeRegister));
        }

        /// <summary>Gives the selected queue its memory (page frame number); 0 takes it away.</summary>
        public void WriteQueueAddress(uint pageFrame) => _platform.OutDword((ushort)(_ioBase + QueueAddressRegister), pageFrame);

        public uint ReadQueueAddress() => _platform.InDword((ushort)(_ioBase + QueueAddressRegister));

        public void Notify(ushort queue) => _platform.OutWord((ushort)(_ioBase + QueueNotifyRegister), queue);

        /// <summary>Reads (and thereby clears) the interrupt status.</summary>
        public byte ReadIsr() => _platform.InByte((ushort)(_ioBase + IsrStatusRegister));

        public byte ReadConfigByte(int offset) => _platform.InByte((ushort)(_ioBase + DeviceConfigOffset + offset));

        public ushort ReadConfigWord(int offset) => _platform.InWord((ushort)(_ioBase + DeviceConfigOffset + offset));
    }
}
