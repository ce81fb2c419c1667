// Placeholder for the emulated Hyper-V Generation 1 machine (the real image on a CPU emulator
// whose hypervisor is the team's Hyper-V host model), which is being built separately. Until it
// has an entry point this runner can start, matrices may already name the backend and get a clear
// "not available" failure instead of an unknown-backend error.
using Bootstage.VmTest.Matrix;

namespace Bootstage.VmTest.Backends
{
    public sealed class EmulatedHyperVBackend : IVmBackend
    {
        public const string NotAvailable = "emulated Hyper-V machine backend (hyperv-emulated) is not available yet";

        public string Name => "hyperv-emulated";

        public string? Unavailable => NotAvailable;

        public IVmSession Start(VmSpec spec) => throw new BackendException(NotAvailable);
    }
}
