// The enlightened loader actor (docs/hyperv.md §11; docs/architecture.md):
// what Windows Server 2016's winload does while our INT 13 service is still in use. It leaves
// GUEST_OS_ID alone, maps the SynIC message and event pages onto pages of its own, initiates VMBus
// contact itself (which closes every channel and frees every GPADL host-side, telling the previous
// owner nothing) and hands back with SIMP no longer the guest driver's — pointing at the loader's
// page, or disabled. It never needs SCONTROL cleared; if the guest did clear it, the loader hangs,
// which is what iPXE's hyperv.c reports of WS2016 (docs/hyperv.md §11).
using Bootstage.Platform;

namespace Bootstage.HyperV.HostModel
{
    /// <summary>What the loader leaves in SIMP/SIEFP when it hands back.</summary>
    public enum LoaderSimpMode
    {
        /// <summary>SIMP and SIEFP stay enabled on the loader's own pages.</summary>
        HostPage,

        /// <summary>SIMP and SIEFP point at the loader's pages with the enable bit clear.</summary>
        Disabled,
    }

    public enum LoaderOutcome
    {
        TookOver,

        /// <summary>SCONTROL was clear: the loader would hang; nothing was changed.</summary>
        Hung,
    }

    public unsafe partial class HyperVHost
    {
        private PhysicalRegion _loaderPages;

        /// <summary>Takeovers that completed.</summary>
        public int LoaderTakeoverCount { get; private set; }

        /// <summary>The guest-physical page the loader uses as its SIMP (0 before the first takeover).</summary>
        public ulong LoaderSimpAddress => _loaderPages.IsEmpty ? 0 : _loaderPages.PhysicalAddress;

        /// <summary>Runs the loader's takeover between two guest calls.</summary>
        public LoaderOutcome EnlightenedLoaderTakeover(LoaderSimpMode simpMode = LoaderSimpMode.HostPage)
        {
            AddTrace(TraceDirection.Host, TraceKind.Lifecycle, 0, $"enlightened loader starts ({simpMode})");
            if (!_synIc.ScontrolEnabled)
            {
                AddTrace(TraceDirection.Host, TraceKind.Fault, HvMsr.Scontrol, "SCONTROL is clear: the enlightened loader hangs");
                return LoaderOutcome.Hung;
            }

            // The loader is guest code too: its pages come from guest RAM, just not from the driver under test.
            if (_loaderPages.IsEmpty && AllocatePages(2, out _loaderPages) != PlatformStatus.Success)
            {
                return LoaderOutcome.Hung;
            }

            ulong simp = _loaderPages.PhysicalAddress;
            ulong siefp = _loaderPages.PhysicalAddress + PhysicalRegion.PageSize;
            // The loader is a well-behaved guest: it keeps the reserved-preserve bits.
            ulong simpReserved = _synIc.Simp & HvMsr.OverlayReserved;
            ulong siefpReserved = _synIc.Siefp & HvMsr.OverlayReserved;
            _synIc.Simp = simp | simpReserved | HvMsr.EnableBit;
            _synIc.Siefp = siefp | siefpReserved | HvMsr.EnableBit;
            SimpOwner = SimpOwner.Loader;

            // Whatever was queued for the old owner is consumed by the loader, along with the guest's unprocessed posts.
            _synIc.ClearQueue(VmBusConstants.MessageSint);
            _posted.Clear();
            VmBus.Reset("enlightened loader INITIATE_CONTACT");
            VmBus.Connect(BusOwner.Loader, HostProfiles.MaxVmBusVersion(Profile));
            if (simpMode == LoaderSimpMode.Disabled)
            {
                _synIc.Simp = simp | simpReserved;
                _synIc.Siefp = siefp | siefpReserved;
            }

            LoaderTakeoverCount++;
            AddTrace(TraceDirection.Host, TraceKind.Lifecycle, 0, $"enlightened loader hands back: SIMP 0x{_synIc.Simp:X}");
            return LoaderOutcome.TookOver;
        }
    }
}
