// The INT 13h gate on Hyper-V (docs/hyperv.md §11): on entry the hypervisor interface is taken
// back — quietly when it is as our last quiesce left it, or by re-establishing VMBus and
// resetting every device when an enlightened loader took it (the NIC keeps its MAC, addresses
// and the iSCSI session above it) — and on exit it is quiesced again, so the loader never finds
// our SynIC live while it runs.
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.VmBus;

namespace Bootstage.Boot.Int13
{
    public sealed class HyperVInt13Gate : IInt13Gate
    {
        private readonly HvHypervisor _hypervisor;
        private readonly VmBusBus _bus;

        public HyperVInt13Gate(HvHypervisor hypervisor, VmBusBus bus)
        {
            _hypervisor = hypervisor;
            _bus = bus;
        }

        /// <summary>The outcome of the last Enter; a failure leaves the SAN device to time out and report it.</summary>
        public HvStatus LastStatus { get; private set; }

        /// <summary>Entries that found the connection taken and re-established VMBus.</summary>
        public ulong Reconnects { get; private set; }

        public void Enter()
        {
            LastStatus = _hypervisor.Reclaim(out bool reclaimed);
            if (LastStatus == HvStatus.Success && reclaimed)
            {
                Reconnects++;
                LastStatus = _bus.Reset();
            }
        }

        public void Leave()
        {
            _hypervisor.Quiesce();
        }
    }
}
