// The 32-bit Multiboot entry and the hand-over to the 64-bit engine. Unicorn's UC_MODE_32 CPU has no
// long mode: it masks EFER.LME (its CPU model reports no LM) and it does not switch decoding when a
// far jump loads a 64-bit code segment. So the 32-bit engine runs the entry code (which may first
// move the image elsewhere in memory) with one code hook over all addresses, which
// - performs RDMSR/WRMSR (0F 32 / 0F 30) of EFER against a value the machine keeps, and
// - at the instruction pair that turns long mode on, MOV CR0, EAX followed by JMP ptr16:32 (Intel SDM
//   vol. 3A §9.8.5 "Initializing IA-32e Mode": with CR4.PAE and EFER.LME set, setting CR0.PG
//   activates IA-32e mode; the far jump then loads the 64-bit code segment), records what that state
//   will be: EFER, CR4, CR3, the CR0 in EAX, GDTR, and the jump's target.
// The 64-bit engine starts at that target with that state. Where the target lies relative to the
// symbol long_mode_entry tells how far the image moved itself; every intercept site is shifted by it.
// The entry code is short, so hooking each of its instructions costs little; the 64-bit engine hooks
// only its intercept sites.
using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Bootstage.HyperV.Machine
{
    public sealed unsafe partial class HyperVMachine
    {
        private const uint Efer = 0xC0000080;

        // EFER as the entry code set it (the 32-bit CPU would drop LME).
        private ulong _entryEfer;
        private HandOver? _handOver;

        private void AddEntryHook(IntPtr engine)
        {
            delegate* unmanaged<IntPtr, ulong, uint, IntPtr, void> code = &OnEntryCode;
            Unicorn.Check(Unicorn.HookAdd(engine, out nuint hook, Unicorn.HookCode, code, GCHandle.ToIntPtr(_self), 1, 0), "hook entry code");
            _hooks.Add(hook);
        }

        [UnmanagedCallersOnly]
        private static void OnEntryCode(IntPtr engine, ulong address, uint size, IntPtr self)
        {
            HyperVMachine machine = From(self);
            try
            {
                machine.EntryInstruction(engine, address);
            }
            catch (Exception exception)
            {
                machine.Fail(engine, exception);
            }
        }

        private void EntryInstruction(IntPtr engine, ulong address)
        {
            if (_handOver != null || !_ram.TryGet(address, 10, out byte* code) || code[0] != 0x0F)
            {
                return;
            }

            if (code[1] == 0x30 || code[1] == 0x32)
            {
                EntryMsr(engine, address, code[1] == 0x30);
                return;
            }

            // MOV CR0, EAX; JMP ptr16:32 (EA, offset, selector).
            if (code[1] == 0x22 && code[2] == 0xC0 && code[3] == 0xEA)
            {
                ulong target = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(code + 4, 4));
                _handOver = HandOver.Capture(engine, _entryEfer, target);

                // The 32-bit CPU would fault at its first fetch under these page tables: stop it. Whatever it
                // still does before it stops is discarded with it.
                Unicorn.EmuStop(engine);
            }
        }

        private void EntryMsr(IntPtr engine, ulong site, bool write)
        {
            uint msr = (uint)ReadRegister(engine, Unicorn.Reg.Ecx);
            if (msr != Efer)
            {
                throw new InvalidOperationException($"the 32-bit entry code accesses MSR 0x{msr:X}; the machine models only EFER there");
            }

            if (write)
            {
                _entryEfer = (ReadRegister(engine, Unicorn.Reg.Edx) << 32) | (uint)ReadRegister(engine, Unicorn.Reg.Eax);
            }
            else
            {
                WriteRegister(engine, Unicorn.Reg.Eax, (uint)_entryEfer);
                WriteRegister(engine, Unicorn.Reg.Edx, _entryEfer >> 32);
            }

            WriteRegister(engine, Unicorn.Reg.Eip, site + 2);
        }

        /// <summary>The state IA-32e mode lives in, taken from the 32-bit engine just before it turns paging on.</summary>
        private sealed class HandOver
        {
            private ulong _efer;
            private ulong _cr0;
            private ulong _cr3;
            private ulong _cr4;
            private Unicorn.TableRegister _gdtr;

            public ulong LongModeEntry { get; private set; }

            public static HandOver Capture(IntPtr engine, ulong efer, ulong longModeEntry)
            {
                HandOver state = new HandOver
                {
                    _efer = efer,
                    _cr0 = ReadRegister(engine, Unicorn.Reg.Eax),
                    _cr3 = ReadRegister(engine, Unicorn.Reg.Cr3),
                    _cr4 = ReadRegister(engine, Unicorn.Reg.Cr4),
                    LongModeEntry = longModeEntry,
                };
                Unicorn.TableRegister gdtr;
                Unicorn.Check(Unicorn.RegRead(engine, Unicorn.Reg.Gdtr, &gdtr), "read GDTR");
                state._gdtr = gdtr;
                return state;
            }

            // EFER first, so that CR0.PG lands on a CPU that already has LME set; CR3 and CR4 before PG too.
            public void Apply(IntPtr engine)
            {
                Unicorn.MsrValue msr = new Unicorn.MsrValue { Id = Efer, Value = _efer };
                Unicorn.Check(Unicorn.RegWrite(engine, Unicorn.Reg.Msr, &msr), "write EFER");
                WriteRegister(engine, Unicorn.Reg.Cr4, _cr4);
                WriteRegister(engine, Unicorn.Reg.Cr3, _cr3);
                WriteRegister(engine, Unicorn.Reg.Cr0, _cr0);
                Unicorn.TableRegister gdtr = _gdtr;
                Unicorn.Check(Unicorn.RegWrite(engine, Unicorn.Reg.Gdtr, &gdtr), "write GDTR");
            }
        }
    }
}
