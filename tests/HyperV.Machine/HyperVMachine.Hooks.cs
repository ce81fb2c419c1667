// The instruction intercepts of the emulated machine. IN, OUT and CPUID reach Unicorn's instruction
// hooks (returning 1 from the CPUID hook skips the emulator's own answer). RDMSR and WRMSR do not:
// Unicorn 2.0.1 executes them itself and never faults on an unknown MSR, so every RDMSR (0F 32) and
// WRMSR (0F 30) inside the image's MSR plugs gets a code hook at its address that performs the access
// against the host model and advances RIP past it, or, for an MSR the host refuses, delivers #GP
// through the image's own IDT so its fault-fixup table does what it does on real hardware (Intel SDM
// vol. 3A §6.14 "Exception and Interrupt Handling in 64-bit Mode": the 16-byte gate, the stack aligned
// to 16, SS, RSP, RFLAGS, CS, RIP and the error code pushed, IF cleared by an interrupt gate).
// The hypercall page is code the hypervisor writes (VMCALL; RET): a code hook on its first byte makes
// the call against the host model in the x64 convention (TLFS §3.7: RCX control, RDX input GPA, R8
// output GPA, RAX result) and resumes at the RET. The PAUSE and HLT plugs give the host its turn.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Bootstage.HyperV.HostModel;
using Bootstage.Platform;

namespace Bootstage.HyperV.Machine
{
    public sealed class MachineCounters
    {
        public long MsrReads { get; internal set; }

        public long MsrWrites { get; internal set; }

        public long GeneralProtectionFaults { get; internal set; }

        public long Hypercalls { get; internal set; }

        public long Cpuids { get; internal set; }

        public long Pauses { get; internal set; }
    }

    public sealed unsafe partial class HyperVMachine
    {
        private const uint HypercallMsr = 0x40000001;
        private const int GeneralProtection = 13;
        private const uint ExtendedFeatures = 0x80000001;

        private const ulong InterruptFlag = 1 << 9;

        // Addresses the code hook acts on, and what each one is.
        private readonly System.Collections.Generic.Dictionary<ulong, SiteKind> _sites = new();

        private enum SiteKind
        {
            ReadMsr,
            WriteMsr,
            Pause,
            Halt,
        }

        private void AddPortAndCpuidHooks(IntPtr engine)
        {
            IntPtr self = GCHandle.ToIntPtr(_self);
            delegate* unmanaged<IntPtr, uint, int, IntPtr, uint> input = &OnIn;
            delegate* unmanaged<IntPtr, uint, int, uint, IntPtr, void> output = &OnOut;
            delegate* unmanaged<IntPtr, IntPtr, int> cpuid = &OnCpuid;
            Unicorn.Check(Unicorn.HookAddInstruction(engine, out nuint h1, Unicorn.HookInsn, input, self, 1, 0, Unicorn.InsnIn), "hook IN");
            Unicorn.Check(Unicorn.HookAddInstruction(engine, out nuint h2, Unicorn.HookInsn, output, self, 1, 0, Unicorn.InsnOut), "hook OUT");
            Unicorn.Check(Unicorn.HookAddInstruction(engine, out nuint h3, Unicorn.HookInsn, cpuid, self, 1, 0, Unicorn.InsnCpuid), "hook CPUID");
            _hooks.Add(h1);
            _hooks.Add(h2);
            _hooks.Add(h3);

            // Unicorn does not deliver exceptions through the guest's IDT: without this hook an exception
            // only ends the run with UC_ERR_EXCEPTION. With it, the vector and place are reported.
            delegate* unmanaged<IntPtr, uint, IntPtr, void> interrupt = &OnInterrupt;
            Unicorn.Check(Unicorn.HookAdd(engine, out nuint h4, Unicorn.HookIntr, interrupt, self, 1, 0), "hook interrupts");
            _hooks.Add(h4);
        }

        [UnmanagedCallersOnly]
        private static void OnInterrupt(IntPtr engine, uint vector, IntPtr self)
        {
            HyperVMachine machine = From(self);
            try
            {
                bool wide = engine == machine._engine64;
                if (!wide && machine._handOver != null)
                {
                    // The 32-bit CPU's fetch under the long-mode page tables it cannot walk: expected, see HyperVMachine.Entry.cs.
                    Unicorn.EmuStop(engine);
                    return;
                }

                ulong rip = ReadRegister(engine, wide ? Unicorn.Reg.Rip : Unicorn.Reg.Eip);
                machine._failure ??= $"CPU exception or interrupt {vector} at {machine.Describe(rip)} (cr2=0x{ReadRegister(engine, Unicorn.Reg.Cr2):X})";
                Unicorn.EmuStop(engine);
            }
            catch (Exception exception)
            {
                machine.Fail(engine, exception);
            }
        }

        /// <summary>Finds the MSR instructions in the plugs and hooks them, and the pause and halt plugs.</summary>
        private void AddCodeHooks(IntPtr engine)
        {
            foreach (string plug in new[] { "plug_rdmsr", "plug_wrmsr" })
            {
                ulong start = _symbols[plug] + Relocation;
                ulong end = Math.Min(_symbols.NextAbove(start - Relocation + 1) + Relocation, start + 64);
                Span<byte> code = _ram.Slice(start, (int)(end - start));
                for (int i = 0; i + 1 < code.Length; i++)
                {
                    if (code[i] == 0x0F && (code[i + 1] == 0x32 || code[i + 1] == 0x30))
                    {
                        _sites[start + (ulong)i] = code[i + 1] == 0x32 ? SiteKind.ReadMsr : SiteKind.WriteMsr;
                    }
                }
            }

            if (_sites.Count == 0)
            {
                throw new InvalidOperationException("no RDMSR/WRMSR instruction found in plug_rdmsr/plug_wrmsr");
            }

            ExpectCode("plug_pause", new byte[] { 0xF3, 0x90, 0xC3 });
            ExpectCode("plug_hlt", new byte[] { 0xFB, 0xF4, 0xFA, 0xC3 });
            _sites[_symbols["plug_pause"] + Relocation] = SiteKind.Pause;
            _sites[_symbols["plug_hlt"] + Relocation] = SiteKind.Halt;
            foreach (ulong site in _sites.Keys)
            {
                HookCode(engine, site, site);
            }
        }

        /// <summary>One code hook over the image's loaded range (at its run address) that counts each instruction.</summary>
        private void AddProfileHook(IntPtr engine)
        {
            ulong start = _symbols["__image_start"];
            ulong end = _symbols["__load_end"];
            Profile = new InstructionProfile(start, end - start);
            delegate* unmanaged<IntPtr, ulong, uint, IntPtr, void> code = &OnProfiledInstruction;
            Unicorn.Check(Unicorn.HookAdd(engine, out nuint hook, Unicorn.HookCode, code, GCHandle.ToIntPtr(_self), start + Relocation, end + Relocation - 1), "hook profile");
            _hooks.Add(hook);
        }

        [UnmanagedCallersOnly]
        private static void OnProfiledInstruction(IntPtr engine, ulong address, uint size, IntPtr self)
        {
            HyperVMachine machine = From(self);
            machine.Profile!.Count(address - machine.Relocation - machine.Profile.LinkStart);
        }

        private void ExpectCode(string symbol, byte[] expected)
        {
            if (!_ram.Slice(_symbols[symbol] + Relocation, expected.Length).SequenceEqual(expected))
            {
                throw new InvalidOperationException($"{symbol} is not the code the machine intercepts ({Convert.ToHexString(expected)})");
            }
        }

        private void HookCode(IntPtr engine, ulong begin, ulong end)
        {
            delegate* unmanaged<IntPtr, ulong, uint, IntPtr, void> code = &OnCode;
            Unicorn.Check(Unicorn.HookAdd(engine, out nuint hook, Unicorn.HookCode, code, GCHandle.ToIntPtr(_self), begin, end), "hook code");
            _hooks.Add(hook);
        }

        private static HyperVMachine From(IntPtr self) => (HyperVMachine)GCHandle.FromIntPtr(self).Target!;

        // A callback must not let an exception into the emulator: record it and stop the machine.
        private void Fail(IntPtr engine, Exception exception)
        {
            _failure ??= "machine fault: " + exception;
            Unicorn.EmuStop(engine);
        }

        [UnmanagedCallersOnly]
        private static uint OnIn(IntPtr engine, uint port, int size, IntPtr self)
        {
            HyperVMachine machine = From(self);
            try
            {
                return machine.Devices.In((ushort)port, size);
            }
            catch (Exception exception)
            {
                machine.Fail(engine, exception);
                return 0xFFFFFFFF;
            }
        }

        [UnmanagedCallersOnly]
        private static void OnOut(IntPtr engine, uint port, int size, uint value, IntPtr self)
        {
            HyperVMachine machine = From(self);
            try
            {
                machine.Devices.Out((ushort)port, size, value);
                if (port == LegacyDevices.DebugExit)
                {
                    Unicorn.EmuStop(engine);
                }
            }
            catch (Exception exception)
            {
                machine.Fail(engine, exception);
            }
        }

        [UnmanagedCallersOnly]
        private static int OnCpuid(IntPtr engine, IntPtr self)
        {
            HyperVMachine machine = From(self);
            try
            {
                return machine.Cpuid(engine) ? 1 : 0;
            }
            catch (Exception exception)
            {
                machine.Fail(engine, exception);
                return 1;
            }
        }

        [UnmanagedCallersOnly]
        private static void OnCode(IntPtr engine, ulong address, uint size, IntPtr self)
        {
            HyperVMachine machine = From(self);
            try
            {
                machine.Intercept(engine, address);
            }
            catch (Exception exception)
            {
                machine.Fail(engine, exception);
            }
        }

        /// <summary>
        /// The host model answers the leaves it defines: the vendor and feature leaves 0 and 1 (with
        /// the hypervisor-present bit) and the hypervisor range 0x40000000–0x400000FF. Every other leaf
        /// (extended leaves, long-mode support) is the emulated CPU's own. Returns true when answered.
        /// </summary>
        private bool Cpuid(IntPtr engine)
        {
            bool wide = engine == _engine64;
            uint leaf = (uint)ReadRegister(engine, wide ? Unicorn.Reg.Rax : Unicorn.Reg.Eax);
            uint subleaf = (uint)ReadRegister(engine, wide ? Unicorn.Reg.Rcx : Unicorn.Reg.Ecx);
            CpuidResult result;
            if (!wide && leaf == ExtendedFeatures)
            {
                // Unicorn's UC_MODE_32 CPU hides long mode (EDX bit 29) whatever model it is given, but the
                // machine's CPU is the 64-bit engine the entry code hands over to: say what it has, LM, NX
                // and SYSCALL, as the 32-bit entry checks before it enables long mode.
                result = new CpuidResult(0, 0, 0, (1u << 29) | (1u << 20) | (1u << 11));
            }
            else if (leaf > 1 && (leaf < 0x40000000 || leaf > 0x400000FF))
            {
                return false;
            }
            else
            {
                result = Host.Cpuid(leaf, subleaf);
            }

            Counters.Cpuids++;

            // CPUID zeroes the upper halves of RAX, RBX, RCX and RDX in 64-bit mode.
            WriteRegister(engine, wide ? Unicorn.Reg.Rax : Unicorn.Reg.Eax, result.Eax);
            WriteRegister(engine, wide ? Unicorn.Reg.Rbx : Unicorn.Reg.Ebx, result.Ebx);
            WriteRegister(engine, wide ? Unicorn.Reg.Rcx : Unicorn.Reg.Ecx, result.Ecx);
            WriteRegister(engine, wide ? Unicorn.Reg.Rdx : Unicorn.Reg.Edx, result.Edx);
            return true;
        }

        private void Intercept(IntPtr engine, ulong address)
        {
            if (_hypercallPagesHooked.Contains(address))
            {
                Hypercall(engine, address);
                return;
            }

            if (!_sites.TryGetValue(address, out SiteKind kind))
            {
                return;
            }

            switch (kind)
            {
                case SiteKind.ReadMsr:
                    ReadMsr(engine, address);
                    break;
                case SiteKind.WriteMsr:
                    WriteMsr(engine, address);
                    break;
                case SiteKind.Pause:
                    // The spin-wait hint is where the host runs beside a polling guest; PAUSE itself is a no-op.
                    Counters.Pauses++;
                    Host.Pause();
                    break;
                case SiteKind.Halt:
                    // Nothing in this machine raises interrupts: HLT would never end. The host's turn is the
                    // wake-up; resume at the plug's RET, after STI/HLT/CLI, with interrupts still off.
                    Host.Halt();
                    WriteRegister(engine, Unicorn.Reg.Rip, address + 3);
                    break;
            }
        }

        private void ReadMsr(IntPtr engine, ulong site)
        {
            uint msr = (uint)ReadRegister(engine, Unicorn.Reg.Rcx);
            Counters.MsrReads++;
            if (Host.ReadMsr(msr, out ulong value) != PlatformStatus.Success)
            {
                InjectGeneralProtection(engine, site);
                return;
            }

            WriteRegister(engine, Unicorn.Reg.Rax, (uint)value);
            WriteRegister(engine, Unicorn.Reg.Rdx, value >> 32);
            WriteRegister(engine, Unicorn.Reg.Rip, site + 2);
        }

        private void WriteMsr(IntPtr engine, ulong site)
        {
            uint msr = (uint)ReadRegister(engine, Unicorn.Reg.Rcx);
            ulong value = (ReadRegister(engine, Unicorn.Reg.Rdx) << 32) | (uint)ReadRegister(engine, Unicorn.Reg.Rax);
            Counters.MsrWrites++;
            if (Host.WriteMsr(msr, value) != PlatformStatus.Success)
            {
                InjectGeneralProtection(engine, site);
                return;
            }

            WriteRegister(engine, Unicorn.Reg.Rip, site + 2);
            if (msr == HypercallMsr && Host.HypercallEnabled && _hypercallPagesHooked.Add(Host.HypercallPageAddress))
            {
                // The stub exists from now on. The hook goes in at once, from inside this callback: stopping
                // the engine instead would be undone by the RIP write above (Unicorn 2.0.1 clears a stop
                // request when it restarts after a PC change). The page has never run as code, so no
                // translated block of it exists that would miss the hook.
                HookCode(engine, Host.HypercallPageAddress, Host.HypercallPageAddress);
            }
        }

        private void Hypercall(IntPtr engine, ulong page)
        {
            // A page that is no longer the hypercall page is plain guest memory again: let it run.
            if (!Host.HypercallEnabled || Host.HypercallPageAddress != page)
            {
                return;
            }

            Counters.Hypercalls++;
            ulong control = ReadRegister(engine, Unicorn.Reg.Rcx);
            ulong input = ReadRegister(engine, Unicorn.Reg.Rdx);
            ulong output = ReadRegister(engine, Unicorn.Reg.R8);
            ulong result = Host.Hypercall(Host.PhysicalToVirtual(page), control, input, output);
            WriteRegister(engine, Unicorn.Reg.Rax, result);

            // Past the 3-byte VMCALL, onto the stub's RET.
            WriteRegister(engine, Unicorn.Reg.Rip, page + 3);
        }

        /// <summary>Delivers #GP(0) for the instruction at <paramref name="rip"/> through the guest's IDT.</summary>
        private void InjectGeneralProtection(IntPtr engine, ulong rip)
        {
            Counters.GeneralProtectionFaults++;
            Unicorn.TableRegister idtr;
            Unicorn.Check(Unicorn.RegRead(engine, Unicorn.Reg.Idtr, &idtr), "read IDTR");
            ulong gate = idtr.Base + (GeneralProtection * 16);
            Span<byte> descriptor = _ram.Slice(gate, 16);
            if ((descriptor[5] & 0x80) == 0)
            {
                throw new InvalidOperationException("#GP with no present IDT gate 13: the guest would triple-fault");
            }

            ulong handler = Unsafe.ReadUnaligned<ushort>(ref descriptor[0])
                | ((ulong)Unsafe.ReadUnaligned<ushort>(ref descriptor[6]) << 16)
                | ((ulong)Unsafe.ReadUnaligned<uint>(ref descriptor[8]) << 32);
            int ist = descriptor[4] & 7;
            ulong oldRsp = ReadRegister(engine, Unicorn.Reg.Rsp);
            ulong rsp = oldRsp;
            if (ist != 0)
            {
                Unicorn.TableRegister tr;
                Unicorn.Check(Unicorn.RegRead(engine, Unicorn.Reg.Tr, &tr), "read TR");
                rsp = _ram.ReadUInt64(tr.Base + 0x24 + (ulong)((ist - 1) * 8));
            }

            ulong rflags = ReadRegister(engine, Unicorn.Reg.Rflags);
            rsp &= ~0xFUL;
            // CS is the image's one 64-bit code selector (boot.asm): this engine was entered at long_mode_entry,
            // not through the far jump, so its own CS register never held the selector.
            ulong[] frame = { 0, rip, 0x08, rflags, oldRsp, ReadRegister(engine, Unicorn.Reg.Ss) };
            rsp -= (ulong)(frame.Length * 8);
            for (int i = 0; i < frame.Length; i++)
            {
                _ram.WriteUInt64(rsp + (ulong)(i * 8), frame[i]);
            }

            WriteRegister(engine, Unicorn.Reg.Rsp, rsp);

            // An interrupt gate (type 0xE) clears IF; every gate clears TF, NT and RF.
            ulong clear = 0x100 | 0x4000 | 0x10000 | ((descriptor[5] & 0x0F) == 0x0E ? InterruptFlag : 0);
            WriteRegister(engine, Unicorn.Reg.Rflags, rflags & ~clear);
            WriteRegister(engine, Unicorn.Reg.Rip, handler);
        }
    }
}
