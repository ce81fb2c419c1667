// The kernel's reports on the machine it found, one milestone per step of the bring-up: the
// command line (secrets masked), memory, the BIOS's own E820h map (`realmode-test`), the CPU and
// any hypervisor, the MSR fault recovery, the clock and the PCI functions.
using System;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Kernel.Console;
using Bootstage.Kernel.Hardware;
using Bootstage.Kernel.Memory;
using Bootstage.Kernel.Platform;
using Bootstage.Platform;

namespace Bootstage.Kernel.Core
{
    internal sealed unsafe partial class BootstageKernel
    {
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
                .Text(" image=0x").Hex(Plugs.ImageStart()).Text("-0x").Hex(Plugs.ImageEnd() - 1)
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

        private static void WriteRegister(Span<byte> destination, int offset, uint value)
        {
            destination[offset] = (byte)value;
            destination[offset + 1] = (byte)(value >> 8);
            destination[offset + 2] = (byte)(value >> 16);
            destination[offset + 3] = (byte)(value >> 24);
        }
    }
}
