// The boot stage's kernel: brings up the machine services, reporting each step as a milestone
// line, then runs the boot flow: the network (the Hyper-V synthetic NIC or virtio-net, DHCP or a
// static address), then with a root path the SAN boot (SanBoot, SanHandoff), or, if the SAN boot
// cannot happen, the BIOS's next boot device. The command line was parsed once (BootOptions); a
// test mode there replaces the boot flow (BootstageKernel.TestModes.cs). The reports are in
// BootstageKernel.Report.cs, the Hyper-V bring-up in BootstageKernel.HyperV.cs.
using System;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.Net;
using Bootstage.Drivers.Virtio;
using Bootstage.Kernel.Console;
using Bootstage.Kernel.Hardware;
using Bootstage.Kernel.Memory;
using Bootstage.Kernel.Platform;
using Bootstage.Platform;

namespace Bootstage.Kernel.Core
{
    internal sealed unsafe partial class BootstageKernel : KernelBase
    {
        internal const string Version = "0.1.0";

        // GUEST_OS_ID exists only under Hyper-V: on other CPUs RDMSR raises #GP. QEMU's TCG
        // never faults on RDMSR (it reads unknown MSRs as 0), so the probe also provokes a fault
        // it does raise: IA32_PKRS with reserved upper bits set, which #GPs on every CPU and in
        // TCG. Both go through the same fault-fixup table in the plugs.
        internal const uint ProbeAbsentMsr = 0x40000000;
        internal const uint ProbeFaultingWriteMsr = 0x6E1;
        internal const ulong ProbeFaultingWriteValue = 1UL << 32;

        private readonly MultibootInfo _info;
        private readonly BootOptions _options;
        private readonly BareMetalPlatform _platform;
        private HypervisorInfo _hypervisor;
        private Clock _clock;
        private PciBus _pciBus;
        private PciDevice[] _pciDevices;
        private int _pciCount;
        private VirtioNetDevice _virtioNet;
        private PciAddress _virtioAddress;
        private NetDevice _bootNic;
        private Bootstage.Net.NetInterface _network;
        private Bootstage.Net.Dhcp.DhcpLease _lease;
        private uint _exitCode;

        internal BootstageKernel(MultibootInfo info, BootOptions options)
        {
            _info = info;
            _options = options;
            _platform = new BareMetalPlatform(Machine.Pages);
        }

        protected internal override void BeforeRun()
        {
            ReportCommandLine();
            ReportMemory();
            if (_info.IsValid)
            {
                // The thunk costs nothing until used: the SAN handoff and the BIOS calls need it.
                BiosServices.Install(_info.MemoryLowerKiB);
            }

            if (_options.RealModeTest)
            {
                ReportBiosMemoryMap();
            }

            DetectCpu();
            ProbeMsrFaultRecovery();
            StartClock();
            EnumeratePci();
            ProbeHyperV();
            ProbeVirtioNet();
        }

        protected internal override void Run()
        {
            if (_options.Mode != BootMode.Boot)
            {
                _exitCode = RunTestMode() ? 0u : 1u;
                return;
            }

            BringUpNetwork();
            if (_network != null && _options.HasScript)
            {
                // A script drives the boot instead of the command line's root path, as with iPXE.
                bool onPciNic = _bootNic == _virtioNet;
                _exitCode = ScriptBoot.Run(_options.Script.In(Machine.CommandLine), _network, _lease, _bootNic, onPciNic, _virtioAddress, _platform, _options.BiosTrace) ? 0u : 1u;
            }
            else if (_network != null)
            {
                // The iBFT names a PCI NIC's location (virtio); a VMBus NIC has none.
                bool onPci = _bootNic == _virtioNet;
                if (!SanBoot.Run(_network, _lease, _bootNic, onPci, _virtioAddress, _platform, Machine.CommandLine, in _options))
                {
                    _exitCode = 1;
                    SanHandoff.FallThroughIfBooting(in _options);
                }
            }
            else if (_options.HasRootPath)
            {
                Log.Milestone("san").Text(" status=failed reason=no network configuration").End();
                _exitCode = 1;
                SanHandoff.FallThroughIfBooting(in _options);
            }

            Log.Info("nothing left to boot: no root path, or the SAN boot stopped where the command line asked");
        }

        protected internal override void AfterRun()
        {
            Log.Milestone("done").Text(" status=").Dec(_exitCode).Text(" heap-live-kib=")
                .Dec(System.Runtime.RuntimeExports.KernelHeap.LiveBytes / 1024).End();
            Entry.Shutdown(_exitCode);
        }

        // The PXE prefix (bootstage.pxe) hands over the ROM's DHCPACK as a Multiboot module named
        // "pxe-dhcp-ack"; it lies below 1 MiB, which the page allocator never hands out.
        private ReadOnlySpan<byte> PxeCachedAck()
        {
            for (uint i = 0; _info.IsValid && i < _info.ModuleCount; i++)
            {
                byte* name = _info.ModuleString(i);
                _info.GetModule(i, out uint start, out uint end);
                if (name != null && new ReadOnlySpan<byte>(name, 13).SequenceEqual("pxe-dhcp-ack\0"u8) && end > start && end - start <= 4096)
                {
                    return new ReadOnlySpan<byte>((void*)start, (int)(end - start));
                }
            }

            return default;
        }

        // virtio-net (QEMU/KVM): the first 1af4:1000 function, opened on its legacy I/O BAR.
        private void ProbeVirtioNet()
        {
            _virtioNet = VirtioNetProbe.Probe(_platform, _pciBus, new ReadOnlySpan<PciDevice>(_pciDevices, 0, _pciCount), out _virtioAddress);
        }

        // The boot NIC: the synthetic NIC chosen under Hyper-V, else virtio-net under QEMU/KVM.
        private void BringUpNetwork()
        {
            if (_bootNic == null && _virtioNet != null && _virtioNet.IsOpen)
            {
                _bootNic = _virtioNet;
            }

            if (_bootNic == null)
            {
                Log.Info("no network device to boot from");
                return;
            }

            _network = NetworkBringUp.Configure(_bootNic, _clock, _platform.ReadTimestampCounter(), PxeCachedAck(), out _lease);
        }
    }
}
