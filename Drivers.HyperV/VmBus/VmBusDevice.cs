// A device on VMBus: its offer, its channel and the driver bound to it. Named after its instance
// GUID in canonical text ("vmbus-xxxxxxxx-xxxx-..."), which stays the same across reconnections,
// while the relid may change.
using System;

namespace Bootstage.Drivers.HyperV.VmBus
{
    public sealed class VmBusDevice
    {
        public const int NameLength = 6 + VmBusGuid.TextLength;

        private readonly byte[] _name = new byte[NameLength];

        public VmBusDevice(VmBusConnection connection, in VmBusOffer offer, IVmBusDriver driver)
        {
            Connection = connection;
            Driver = driver;
            Channel = new VmBusChannel(connection, offer);
            "vmbus-"u8.CopyTo(_name);
            offer.InstanceId.Format(_name.AsSpan(6));
        }

        public VmBusConnection Connection { get; }

        public IVmBusDriver Driver { get; }

        public VmBusChannel Channel { get; }

        public ref readonly VmBusOffer Offer => ref Channel.Offer;

        /// <summary>ASCII name, e.g. "vmbus-f8615163-df3e-46c5-913f-f2d2f965ed0e".</summary>
        public ReadOnlySpan<byte> Name => _name;

        /// <summary>False once the host rescinded the offer or it did not come back after a reclaim.</summary>
        public bool Present { get; internal set; } = true;

        /// <summary>Free for the driver: its per-device state.</summary>
        public object? DriverState { get; set; }
    }
}
