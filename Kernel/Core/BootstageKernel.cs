// The boot stage's kernel: brings up the machine services and reports each step as a milestone
// line, then runs the boot flow. Networking and SAN boot arrive with their own issues; today the
// flow is the self-test mode or an orderly stop.
using System;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.NetVsc;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.Drivers.Net;
using Bootstage.Drivers.Virtio;
using Bootstage.Kernel.Console;
using Bootstage.Kernel.Hardware;
using Bootstage.Kernel.Memory;
using Bootstage.Kernel.Platform;
using Bootstage.Platform;

namespace Bootstage.Kernel.Core
{
    internal sealed unsafe class BootstageKernel : KernelBase
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
            if (_options.PanicTest != PanicTest.None)
            {
                TriggerPanic(_options.PanicTest);
            }

            if (_options.SelfTest)
            {
                _exitCode = SelfTestRunner.RunAll(_platform) ? 0u : 1u;
                return;
            }

            RunNetTest();
            BringUpNetwork();
            if (_network != null && !SanBoot.Run(_network, _lease, _bootNic, _platform))
            {
                _exitCode = 1;
                SanHandoff.FallThroughIfBooting();
            }
            else if (_network == null && new Bootstage.Boot.KernelCommandLine(Machine.CommandLine).TryGet("root-path"u8, out _))
            {
                Log.Milestone("san").Text(" status=failed reason=no network configuration").End();
                _exitCode = 1;
                SanHandoff.FallThroughIfBooting();
            }

            if (_options.HasScript)
            {
                Log.Warn("script= given, but boot scripts are not built yet");
            }

            Log.Info("nothing to boot yet: INT 13, the iBFT and the handoff to the OS loader are not built in");
        }

        protected internal override void AfterRun()
        {
            Log.Milestone("done").Text(" status=").Dec(_exitCode).Text(" heap-live-kib=")
                .Dec(System.Runtime.RuntimeExports.KernelHeap.LiveBytes / 1024).End();
            Entry.Shutdown(_exitCode);
        }

        private static void TriggerPanic(PanicTest test)
        {
            Log.Warn("panic-test requested: stopping the machine on purpose");
            if (test == PanicTest.PageFault)
            {
                int* nowhere = null;
                Log.Begin(LogLevel.Info).Dec((ulong)*(nowhere + 1)).End();
            }

            throw new InvalidOperationException("panic-test: managed throw");
        }

        private void ReportCommandLine()
        {
            // Word by word, so CHAP secrets can be masked: they must never reach a log.
            LogLine line = Log.Begin(LogLevel.Info).Text("command line:");
            Bootstage.Boot.KernelCommandLine.Enumerator words = new Bootstage.Boot.KernelCommandLine(Machine.CommandLine).GetEnumerator();
            while (words.MoveNext())
            {
                line.Char(' ').Ascii(words.Key);
                if (Bootstage.Boot.KernelCommandLine.IsSecret(words.Key))
                {
                    line.Text("=***");
                }
                else if (words.Value.Length > 0)
                {
                    line.Char('=').Ascii(words.Value);
                }
            }

            line.End();
            if (_options.UnknownConsole)
            {
                Log.Warn("console= takes serial, vga or both; using both");
            }

            if (_options.UnknownLogLevel)
            {
                Log.Warn("loglevel= takes debug, info, warn or error; using info");
            }

            if (_info.IsValid && _info.LoaderName != null)
            {
                byte* name = _info.LoaderName;
                int length = 0;
                while (length < 64 && name[length] != 0)
                {
                    length++;
                }

                Log.Begin(LogLevel.Info).Text("loader: ").Ascii(new ReadOnlySpan<byte>(name, length)).End();
            }
        }

        private void ReportMemory()
        {
            PageAllocator* pages = Machine.Pages;
            if (_info.IsValid && _info.Has(MultibootInfo.FlagMemoryMap))
            {
                uint cursor = 0;
                while (_info.NextMemoryRegion(ref cursor, out ulong baseAddress, out ulong length, out uint type))
                {
                    Log.Begin(LogLevel.Debug).Text("e820 ").Hex(baseAddress, 9).Char('-').Hex(baseAddress + length - 1, 9)
                        .Text(" type=").Dec(type).End();
                }
            }

            Log.Milestone("memory")
                .Text(" usable-kib=").Dec(Machine.FirmwareUsableBytes / 1024)
                .Text(" free-kib=").Dec(pages->FreeBytes / 1024)
                .Text(" heap-kib=").Dec(Machine.HeapBytes / 1024)
                .Text(" ranges=").Dec((ulong)pages->RangeCount)
                .End();
        }

        // The BIOS's own E820h map, read through the real-mode thunk, beside the loader's.
        private void ReportBiosMemoryMap()
        {
            if (!BiosServices.IsInstalled)
            {
                Log.Milestone("e820").Text(" status=failed reason=no base memory for the real-mode thunk").End();
                return;
            }

            Bootstage.Boot.Handoff.E820Map map = new Bootstage.Boot.Handoff.E820Map();
            int entries = BiosServices.ReadE820(map);
            ulong usable = 0;
            for (int i = 0; i < map.Count; i++)
            {
                if (map[i].Type == Bootstage.Boot.Handoff.E820Entry.Usable)
                {
                    usable += map[i].Length;
                }
            }

            Log.Milestone("e820").Text(" entries=").Dec((ulong)(entries < 0 ? 0 : entries)).Text(" usable-kib=").Dec(usable / 1024).End();
        }

        private void DetectCpu()
        {
            CpuidResult vendor = _platform.Cpuid(0, 0);
            Span<byte> text = stackalloc byte[12];
            WriteRegister(text, 0, vendor.Ebx);
            WriteRegister(text, 4, vendor.Edx);
            WriteRegister(text, 8, vendor.Ecx);
            _hypervisor = HypervisorDetection.Detect(_platform);
            // hv= names the Hyper-V interface (what the drivers need); hypervisor= any hypervisor at
            // all (QEMU TCG sets the CPUID bit and answers "TCGTCGTCGTCG").
            LogLine line = Log.Milestone("cpu").Text(" vendor=").Ascii(text);
            if (!_hypervisor.Present)
            {
                line.Text(" hypervisor=none hv=none").End();
                return;
            }

            Span<byte> hvVendor = stackalloc byte[12];
            int length = _hypervisor.WriteVendor(hvVendor);
            line.Text(" hypervisor=").Ascii(hvVendor.Slice(0, length))
                .Text(_hypervisor.HasHyperVInterface ? " hv=hyperv" : " hv=none")
                .Text(" hv-max-leaf=0x").Hex(_hypervisor.MaxLeaf)
                .Text(" hv-features=0x").Hex(_hypervisor.Features)
                .End();
        }

        private void ProbeMsrFaultRecovery()
        {
            PlatformStatus read = _platform.ReadMsr(ProbeAbsentMsr, out ulong value);
            PlatformStatus write = _platform.WriteMsr(ProbeFaultingWriteMsr, ProbeFaultingWriteValue);
            Log.Milestone("msr-probe").Text(" rdmsr=0x").Hex(ProbeAbsentMsr)
                .Text(read == PlatformStatus.Fault ? " rdmsr-status=fault" : " rdmsr-status=read")
                .Text(" rdmsr-value=0x").Hex(value)
                .Text(" wrmsr=0x").Hex(ProbeFaultingWriteMsr)
                .Text(write == PlatformStatus.Fault ? " wrmsr-status=fault" : " wrmsr-status=written").End();
        }

        private void StartClock()
        {
            _clock = new Clock(_platform, _hypervisor.HasTimeRefCount);
            bool calibrated = _clock.Calibrate();
            Log.Milestone("clock")
                .Text(_clock.UsesReferenceCounter ? " source=hv-reference" : " source=tsc")
                .Text(calibrated ? " calibrated=pit" : " calibrated=none")
                .Text(" tsc-mhz=").Dec(_clock.TscPerMicrosecond)
                .End();
        }

        private void EnumeratePci()
        {
            PciBus bus = new PciBus(_platform);
            PciDevice[] devices = new PciDevice[64];
            int count = bus.Enumerate(devices);
            int shown = count < devices.Length ? count : devices.Length;
            _pciBus = bus;
            _pciDevices = devices;
            _pciCount = shown;
            for (int i = 0; i < shown; i++)
            {
                PciDevice device = devices[i];
                Log.Begin(LogLevel.Info).Text("pci ").Hex(device.Address.Bus, 2).Char(':').Hex(device.Address.Device, 2)
                    .Char('.').Hex(device.Address.Function).Char(' ').Hex(device.VendorId, 4).Char(':').Hex(device.DeviceId, 4)
                    .Text(" class=").Hex(device.ClassCode, 2).Hex(device.Subclass, 2).Hex(device.ProgIf, 2).End();
            }

            Log.Milestone("pci").Text(" devices=").Dec((ulong)count).End();
        }

        // The Hyper-V bring-up: hypervisor interface, VMBus connection, offers. Absent under QEMU.
        private void ProbeHyperV()
        {
            HvHypervisor hypervisor = new HvHypervisor(_platform);
            HvStatus status = hypervisor.Initialize();
            if (status != HvStatus.Success)
            {
                Log.Milestone("hyperv").Text(status == HvStatus.NotPresent ? " status=absent" : " status=refused")
                    .Text(" reason=0x").Hex((ulong)status).End();
                if (status == HvStatus.FirmwareOwnsHypervisor)
                {
                    Log.Error("Hyper-V: GUEST_OS_ID says Generation 2 firmware owns the hypervisor interface; not touching it");
                }

                return;
            }

            VmBusConnection connection = new VmBusConnection(hypervisor);
            status = connection.Connect();
            if (status == HvStatus.VersionRefused)
            {
                Log.Error("VMBus: the host refused protocol 3.0 (WIN8_1); hosts older than Windows Server 2012 R2 are not supported");
            }

            if (status == HvStatus.Success)
            {
                status = connection.RequestOffers();
            }

            if (status != HvStatus.Success)
            {
                Log.Milestone("vmbus").Text(" status=failed reason=0x").Hex((ulong)status).End();
                return;
            }

            Span<byte> text = stackalloc byte[VmBusGuid.TextLength];
            for (int i = 0; i < connection.OfferCount; i++)
            {
                ref readonly VmBusOffer offer = ref connection.Offer(i);
                LogLine line = Log.Begin(LogLevel.Info).Text("vmbus offer relid=").Dec(offer.RelId).Text(" class=");
                line.Ascii(text.Slice(0, offer.ClassId.Format(text))).Text(" instance=");
                line.Ascii(text.Slice(0, offer.InstanceId.Format(text))).End();
            }

            Log.Milestone("vmbus").Text(" version=0x").Hex(connection.Version).Text(" offers=").Dec((ulong)connection.OfferCount).End();

            VmBusBus bus = new VmBusBus(connection);
            NetVscDriver netvsc = new NetVscDriver();
            bus.Register(netvsc);
            bus.ProbeAll();
            SanHandoff.UseHyperV(hypervisor, bus);
            Span<byte> mac = stackalloc byte[MacAddress.TextLength];
            for (int i = 0; i < netvsc.DeviceCount; i++)
            {
                NetVscDevice nic = netvsc.Device(i);
                nic.Mac.Format(mac);
                LogLine line = Log.Begin(nic.IsOpen ? LogLevel.Info : LogLevel.Error).Ascii(nic.Name).Text(nic.IsOpen ? " up" : " failed");
                if (!nic.IsOpen)
                {
                    line.Text(" step=").Ascii(NetVscStepNames.Of(nic.FailedStep));
                }

                line.Text(" mac=").Ascii(mac).Text(nic.Link == LinkState.Up ? " link=up" : " link=down").Text(" nvsp=0x").Hex(nic.NvspVersion).End();
            }

            Log.Milestone("netvsc").Text(" devices=").Dec((ulong)netvsc.DeviceCount).End();
            _bootNic = SelectBootNic(netvsc);
        }

        // virtio-net (QEMU/KVM): the first 1af4:1000 function, opened on its legacy I/O BAR.
        private void ProbeVirtioNet()
        {
            _virtioNet = VirtioNetProbe.Probe(_platform, _pciBus, new ReadOnlySpan<PciDevice>(_pciDevices, 0, _pciCount));
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

            _network = NetworkBringUp.Configure(_bootNic, _clock, _platform.ReadTimestampCounter(), out _lease);
            if (new Bootstage.Boot.KernelCommandLine(Machine.CommandLine).TryGet("nettest"u8, out ReadOnlySpan<byte> test)
                && TcpNetTest.TryRun(test, _network, _clock, _platform.ReadTimestampCounter(), out bool passed) && !passed)
            {
                _exitCode = 1;
            }
        }

        // `nettest=arp`: prove virtio-net's transmit and receive paths against QEMU's slirp gateway.
        private void RunNetTest()
        {
            if (!new Bootstage.Boot.KernelCommandLine(Machine.CommandLine).TryGet("nettest"u8, out ReadOnlySpan<byte> test))
            {
                return;
            }

            if (!test.SequenceEqual("arp"u8))
            {
                if (!test.StartsWith("tcp-"u8))
                {
                    Log.Begin(LogLevel.Warn).Text("nettest=").Ascii(test).Text(" is unknown; nettest takes arp, tcp-echo:<port>[:<bytes>] or tcp-rx:<port>[:<bytes>]").End();
                }

                return;
            }

            if (_virtioNet == null)
            {
                Log.Milestone("arp-test").Text(" result=no-device").End();
                _exitCode = 1;
                return;
            }

            if (!VirtioNetProbe.RunArpTest(_platform, _virtioNet, _clock))
            {
                _exitCode = 1;
            }
        }

        // `bootnic=<mac|instance uuid>` picks among several NICs; otherwise the first with link up.
        private static NetDevice SelectBootNic(NetVscDriver netvsc)
        {
            NetDevice[] nics = new NetDevice[NetVscDriver.MaxDevices];
            for (int i = 0; i < netvsc.DeviceCount; i++)
            {
                nics[i] = netvsc.Device(i);
            }

            new Bootstage.Boot.KernelCommandLine(Machine.CommandLine).TryGet("bootnic"u8, out ReadOnlySpan<byte> selector);
            int chosen = Bootstage.Boot.BootNicSelector.Select(selector, nics, netvsc.DeviceCount);
            if (chosen < 0)
            {
                Log.Begin(LogLevel.Error).Text("bootnic=").Ascii(selector).Text(" matches no network device").End();
                Log.Milestone("bootnic").Text(" device=none").End();
                return null;
            }

            Log.Milestone("bootnic").Text(" device=").Ascii(nics[chosen].Name).End();
            return nics[chosen];
        }

        private static void WriteRegister(Span<byte> destination, int offset, uint value)
        {
            destination[offset] = (byte)value;
            destination[offset + 1] = (byte)(value >> 8);
            destination[offset + 2] = (byte)(value >> 16);
            destination[offset + 3] = (byte)(value >> 24);
        }
    }
}
