// The SAN boot handoff (issue 11, first cut): the opened SAN disk becomes BIOS drive 80h through
// the INT 13h service (Boot/Int13), the IVT's INT 13h vector points at the real-mode blob, the
// disk's block 0 goes to 0000:7C00 and the machine drops to real mode and runs it with DL = 80h,
// as a BIOS starts a boot sector. From then on each INT 13h call comes back up through
// KernelInt13Upcall. Not yet: hiding our memory from the loader (INT 15h E820h hook), the iBFT,
// the Hyper-V quiesce, INT 18h on failure.
using System;
using System.Runtime;
using Bootstage.Boot.Int13;
using Bootstage.Boot.San;
using Bootstage.Kernel.Console;
using Bootstage.Kernel.Platform;

namespace Bootstage.Kernel.Core
{
    internal static unsafe class SanHandoff
    {
        public const byte Drive = 0x80;
        private const ulong BootSector = 0x7C00;
        private const ulong BaseMemoryKiB = 0x413;
        private const ulong IdentityMappedLimit = 0x100000000;

        private static Int13Service? s_service;

        private sealed class IdentityMemory : IRealModeMemory
        {
            public Span<byte> Map(ulong physicalAddress, int length)
            {
                if (length < 0 || physicalAddress >= IdentityMappedLimit || (ulong)length > IdentityMappedLimit - physicalAddress)
                {
                    return default;
                }

                return new Span<byte>((void*)physicalAddress, length);
            }
        }

        /// <summary>Hooks INT 13h for <paramref name="disk"/> and runs its boot sector; returns only when that is impossible.</summary>
        public static void Boot(SanDevice disk, ReadOnlySpan<byte> block0)
        {
            if (!BiosServices.IsInstalled || disk.BlockSize != 512 || block0.Length < 512 || block0[510] != 0x55 || block0[511] != 0xAA)
            {
                Log.Milestone("san-boot").Text(" status=failed reason=").Text(!BiosServices.IsInstalled ? "no real-mode thunk" : "block 0 is not a boot sector").End();
                return;
            }

            // From here the IVT and BDA (page 0) are mapped and INT 13h is ours.
            Plugs.RealModeHookInt13();
            Int13Service service = new Int13Service(new IdentityMemory());
            Int13Drive drive = new Int13Drive(Drive, disk) { Geometry = Int13Geometry.Guess(block0, disk.BlockCount) };
            service.Hook(drive);
            s_service = service;

            // The blob sits in the last 4 KiB of base memory: the loader must not take it.
            *(ushort*)BaseMemoryKiB = (ushort)(BiosServices.Base / 1024);
            block0.Slice(0, 512).CopyTo(new Span<byte>((void*)BootSector, 512));
            Log.Milestone("san-boot").Text(" drive=0x").Hex(Drive, 2).Text(" base-kib=").Dec(BiosServices.Base / 1024).End();
            Plugs.RealModeBoot(Drive);
        }

        /// <summary>An INT 13h call from real mode: 0 when served (registers hold the answer), 1 to chain.</summary>
        [RuntimeExport("KernelInt13Upcall")]
        internal static byte Int13Upcall(Int13Registers* registers)
        {
            Int13Service? service = s_service;
            if (service == null)
            {
                return 1;
            }

            return service.Handle(ref *registers) == Int13Disposition.Handled ? (byte)0 : (byte)1;
        }
    }
}
