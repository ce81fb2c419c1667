// The VMBus driver model: a class driver binds to offers by class GUID. Probe opens the device;
// Reset re-opens it after the connection was reclaimed (the old channel and GPADLs are gone, the
// driver's upper-layer state must survive); Remove releases it when its offer disappears.
using Bootstage.Drivers.HyperV.Hypervisor;

namespace Bootstage.Drivers.HyperV.VmBus
{
    public interface IVmBusDriver
    {
        VmBusGuid ClassId { get; }

        HvStatus Probe(VmBusDevice device);

        HvStatus Reset(VmBusDevice device);

        void Remove(VmBusDevice device);
    }
}
