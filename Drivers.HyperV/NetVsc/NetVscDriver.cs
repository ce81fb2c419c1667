// The netvsc class driver: binds VMBus offers of the synthetic-network class to NetVscDevice.
// Several channels make several devices, each named after its instance GUID; a reset after a
// reclaim re-opens the same device object, keeping its statistics and upper-layer settings.
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.Drivers.Net;

namespace Bootstage.Drivers.HyperV.NetVsc
{
    public sealed class NetVscDriver : IVmBusDriver
    {
        public const int MaxDevices = 8;

        private readonly NetVscDevice?[] _devices = new NetVscDevice?[MaxDevices];
        private int _count;

        public VmBusGuid ClassId => VmBusClass.Network;

        public int DeviceCount => _count;

        public NetVscDevice Device(int index) => _devices[index]!;

        public HvStatus Probe(VmBusDevice device)
        {
            if (_count == MaxDevices)
            {
                return HvStatus.NoMemory;
            }

            NetVscDevice netvsc = new NetVscDevice(device);
            device.DriverState = netvsc;
            _devices[_count++] = netvsc;
            return netvsc.Open() == NetStatus.Success ? HvStatus.Success : HvStatus.ProtocolError;
        }

        public HvStatus Reset(VmBusDevice device)
        {
            if (device.DriverState is not NetVscDevice netvsc)
            {
                return HvStatus.InvalidParameter;
            }

            return netvsc.Reset() == NetStatus.Success ? HvStatus.Success : HvStatus.ProtocolError;
        }

        public void Remove(VmBusDevice device)
        {
            if (device.DriverState is NetVscDevice netvsc)
            {
                netvsc.MarkRemoved();
            }
        }
    }
}
