// Maps a matrix's backend name to the backend that runs it. The runner asks through this
// interface so tests can put scripted fake VMs in place of real ones.
using System;

namespace Bootstage.VmTest.Backends
{
    public interface IBackendFactory
    {
        IVmBackend Get(string name);
    }

    public sealed class BackendFactory : IBackendFactory
    {
        private readonly QemuBackend _qemu = new QemuBackend();
        private readonly HyperVBackend _hyperV = new HyperVBackend();
        private readonly EmulatedHyperVBackend _emulated = new EmulatedHyperVBackend();

        public IVmBackend Get(string name) => name switch
        {
            "qemu" => _qemu,
            "hyperv" => _hyperV,
            "hyperv-emulated" => _emulated,
            _ => throw new ArgumentException($"unknown backend {name}", nameof(name)),
        };
    }
}
