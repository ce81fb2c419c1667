// The SAN boot handoff (what a root path does unless `skip-san-boot`): the
// opened SAN disk becomes BIOS drive 80h through
// the INT 13h service (Boot/Int13); our memory — the image, every page the allocator handed out
// (heap, DMA rings and buffers) and the real-mode blob — is hidden from the OS loader through an
// INT 15h service over the firmware's E820h map (Boot/Handoff); both vectors point at the
// real-mode blob; the disk's block 0 goes to 0000:7C00 and the machine drops to real mode and
// runs it with DL = 80h, as a BIOS starts a boot sector. From then on each INT 13h/15h call comes
// back up through KernelBiosUpcall, which first checks the resident canary (samples of our code,
// read-only data and the iBFT; a torn one is a named panic); the iBFT (Boot/Ibft) sits in the
// page below the blob. On
// Hyper-V the connection is quiesced before the jump and taken back around every INT 13h call
// (HyperVInt13Gate, tested in-process against the host model). The image moved itself to the top
// of memory at boot (boot.asm) and the allocator hands out pages top-down, so everything from
// 1 MiB up stays the loader's.
using System;
using System.Runtime;
using Bootstage.Boot.Handoff;
using Bootstage.Boot.Ibft;
using Bootstage.Boot.Int13;
using Bootstage.Boot.San;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.Kernel.Console;
using Bootstage.Kernel.Platform;

namespace Bootstage.Kernel.Core
{
    internal static unsafe class SanHandoff
    {
        public const byte Drive = 0x80;
        public const byte CdRomDrive = 0xE0;
        private const ulong BootSector = 0x7C00;
        private const ulong BaseMemoryKiB = 0x413;
        private const ulong IdentityMappedLimit = 0x100000000;
        private const ulong FirstMegabyte = 0x100000;
        private const ulong BaseMemoryEnd = 0xA0000;
        private const ulong ReservedPage = 4096;
        private const uint CanaryStride = 1024;

        private static Int13Service? s_service;
        private static Int15Service? s_int15;
        private static ResidentCanary? s_canary;
        private static readonly SanDevice?[] s_further = new SanDevice?[Int13Service.MaxDrives - 1];
        private static readonly byte[]?[] s_furtherBlock0 = new byte[]?[Int13Service.MaxDrives - 1];
        private static int s_furtherCount;
        private static ushort s_baseMemoryKiB;
        private static bool s_trace;
        private static HvHypervisor? s_hypervisor;
        private static VmBusBus? s_bus;

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

        /// <summary>
        /// Hooks INT 13h for <paramref name="disk"/> as drive <paramref name="number"/> and runs its boot
        /// sector; returns when that is impossible, or when the boot sector gives up (RETF, INT 18h,
        /// INT 19h): then the drives are unhooked unless `keep-san`. With `bios-trace` every INT
        /// 13h/15h call the loader makes is logged.
        /// </summary>
        public static void Boot(SanDevice disk, ReadOnlySpan<byte> block0, byte number, Int13DevicePath path, in BootOptions options, IbftDescription? ibft)
        {
            s_trace = options.BiosTrace;
            bool cdrom = disk.BlockSize == ElTorito.SectorSize;
            if (!BiosServices.IsInstalled || (!cdrom && (disk.BlockSize != 512 || block0.Length < 512 || block0[510] != 0x55 || block0[511] != 0xAA)))
            {
                Log.Milestone("san-boot").Text(" status=failed reason=").Text(!BiosServices.IsInstalled ? "no real-mode thunk" : "block 0 is not a boot sector").End();
                return;
            }

            // A CD-ROM LUN boots its El Torito no-emulation image (El Torito 1.0), by default as E0h.
            Int13Drive drive = new Int13Drive(number, disk);
            drive.Path = path;
            byte[]? image = cdrom ? LoadBootImage(disk, drive) : null;
            if (cdrom && image == null)
            {
                return;
            }

            // The iBFT goes in the page below the blob: inside the 512 KiB-1 MiB window OSes scan,
            // below the EBDA, and hidden with the blob (docs/ibft.md).
            ulong ibftAddress = BiosServices.Base - ReservedPage;
            int ibftLength = PublishIbft(ibft, ibftAddress);
            E820Map? map = HiddenMemoryMap(ibftAddress);
            if (map == null)
            {
                Log.Milestone("san-boot").Text(" status=failed reason=no memory map to hide ourselves in").End();
                return;
            }

            HookVectors(drive, map, block0);
            if (!ArmCanary(ibftAddress, ibftLength))
            {
                Log.Milestone("san-boot").Text(" status=failed reason=the resident canary could not be set").End();
                Unhook();
                return;
            }

            // The iBFT and the blob sit in the last 8 KiB of base memory: the loader must not take them.
            s_baseMemoryKiB = *(ushort*)BaseMemoryKiB;
            *(ushort*)BaseMemoryKiB = (ushort)(ibftAddress / 1024);
            uint entry = (uint)BootSector;
            if (image != null)
            {
                ulong load = (ulong)drive.BootLoadSegment * 16;
                int bytes = drive.BootLoadSectors * 512;
                new ReadOnlySpan<byte>(image, 0, bytes).CopyTo(new Span<byte>((void*)load, bytes));
                entry = (uint)drive.BootLoadSegment << 16;
            }
            else
            {
                block0.Slice(0, 512).CopyTo(new Span<byte>((void*)BootSector, 512));
            }

            Log.Milestone("san-boot").Text(" drive=0x").Hex(number, 2).Text(" base-kib=").Dec(BiosServices.Base / 1024)
                .Text(" free-from-1mib-kib=").Dec(map.UsableRunFrom(FirstMegabyte) / 1024)
                .Text(" e820-entries=").Dec((ulong)map.Count)
                .Text(" image=0x").Hex(Plugs.ImageStart()).Text("-0x").Hex(Plugs.ImageEnd() - 1)
                .Text(" pages=0x").Hex(Machine.Pages->LowWater).Text("-0x").Hex(Machine.Pages->HighWater - 1).End();
            s_hypervisor?.Quiesce();
            Plugs.RealModeBoot(number, entry);

            // The loader gave up (RETF, INT 18h or 19h). As with iPXE, its drives go away unless
            // `keep-san`, which leaves them (and our hidden memory) to the next boot device.
            Log.Milestone("san-boot").Text(" status=returned drive=0x").Hex(number, 2).Text(options.KeepSan ? " keep-san=yes" : " keep-san=no").End();
            if (!options.KeepSan)
            {
                Unhook();
            }
        }

        // The firmware's map (read through the BIOS itself, before INT 15h is ours) with everything
        // of ours cut out of it: the pages the allocator handed out, the image, the iBFT and the blob.
        private static E820Map? HiddenMemoryMap(ulong ibftAddress)
        {
            E820Map map = new E820Map();
            ulong low = Machine.Pages->LowWater;
            ulong high = Machine.Pages->HighWater;
            if (BiosServices.ReadE820(map) <= 0
                || !map.Hide(low, high > low ? high - low : 0)
                || !map.Hide(Plugs.ImageStart(), Plugs.ImageEnd() - Plugs.ImageStart())
                || !map.Hide(ibftAddress, BaseMemoryEnd - ibftAddress))
            {
                return null;
            }

            return map;
        }

        /// <summary>A further drive (`sanhook=`) to hook beside the boot drive; false when there is no room.</summary>
        public static bool AddDrive(SanDevice disk, byte[] block0)
        {
            if (s_furtherCount == s_further.Length)
            {
                return false;
            }

            s_further[s_furtherCount] = disk;
            s_furtherBlock0[s_furtherCount] = block0;
            s_furtherCount++;
            return true;
        }

        // Further drives take the next free numbers of their kind (Int13Service.NextFreeNumber:
        // after every disk the BIOS counts, CD-ROMs from E0h), as iPXE's sanhook drives do.
        private static void HookFurtherDrives(Int13Service service)
        {
            for (int i = 0; i < s_furtherCount; i++)
            {
                SanDevice disk = s_further[i]!;
                byte number = service.NextFreeNumber(disk.BlockSize == ElTorito.SectorSize);
                Int13Drive drive = new Int13Drive(number, disk);
                drive.Geometry = Int13Geometry.Guess(s_furtherBlock0[i], disk.BlockCount);
                if (number == 0 || !service.Hook(drive))
                {
                    Log.Milestone("san-hook").Text(" status=failed reason=no free drive number").End();
                    continue;
                }

                Log.Milestone("san-hook").Text(" drive=0x").Hex(number, 2).Text(" blocks=").Dec(disk.BlockCount)
                    .Text(" block-size=").Dec(disk.BlockSize).End();
            }
        }

        // From here the IVT and BDA (page 0) are mapped and INT 13h and 15h are ours.
        private static void HookVectors(Int13Drive drive, E820Map map, ReadOnlySpan<byte> block0)
        {
            IdentityMemory memory = new IdentityMemory();
            s_int15 = new Int15Service(map, memory);
            Plugs.RealModeHook(0x15);
            Plugs.RealModeHook(0x13);
            Int13Service service = new Int13Service(memory);
            drive.Geometry = Int13Geometry.Guess(block0, drive.Disk.BlockCount);
            service.Hook(drive);
            HookFurtherDrives(service);
            if (s_hypervisor != null && s_bus != null)
            {
                // Every INT 13h call takes the hypervisor interface back (reconnecting VMBus if an
                // enlightened loader took it) and quiesces it again before returning.
                service.Gate = new HyperVInt13Gate(s_hypervisor, s_bus);
            }

            s_service = service;
        }

        // The El Torito default entry's image, read in whole 2048-byte sectors (its count is in
        // 512-byte units; the caller copies just that much), and only if it fits below 512 KiB.
        private static byte[]? LoadBootImage(SanDevice disk, Int13Drive drive)
        {
            ElToritoStatus status = ElTorito.Describe(disk, drive, new byte[ElTorito.SectorSize]);
            ulong load = (ulong)drive.BootLoadSegment * 16;
            int bytes = drive.BootLoadSectors * 512;
            if (status != ElToritoStatus.Ok || load < 0x500 || load + (ulong)bytes > 0x80000)
            {
                Log.Milestone("san-boot").Text(" status=failed reason=no bootable El Torito image (").Dec((ulong)status).Text(")").End();
                return null;
            }

            int sectors = (bytes + ElTorito.SectorSize - 1) / ElTorito.SectorSize;
            byte[] image = new byte[sectors * ElTorito.SectorSize];
            if (disk.Read(drive.BootImageLba, sectors, image, 0) != Bootstage.Boot.Iscsi.IscsiStatus.Success)
            {
                Log.Milestone("san-boot").Text(" status=failed reason=the El Torito image could not be read").End();
                return null;
            }

            return image;
        }

        /// <summary>The Hyper-V connection to quiesce at the handoff and around every INT 13h call.</summary>
        public static void UseHyperV(HvHypervisor hypervisor, VmBusBus bus)
        {
            s_hypervisor = hypervisor;
            s_bus = bus;
        }

        /// <summary>
        /// A SAN boot that cannot happen (the failure is already logged) leaves the machine to the
        /// BIOS's next boot device, as a failed boot sector does: INT 18h, which does not return.
        /// When no boot was asked for (BootOptions.WantsSanBoot), or without the real-mode thunk, it returns
        /// and the image stops.
        /// </summary>
        public static void FallThroughIfBooting(in BootOptions options)
        {
            if (!options.WantsSanBoot || !BiosServices.IsInstalled)
            {
                return;
            }

            Log.Milestone("san-boot").Text(" status=failed next=int18").End();
            Int13Registers registers = default;
            BiosServices.Call(0x18, ref registers);
        }

        // Everything HookVectors and Boot changed in the loader's world, undone: the vectors, the
        // BDA's disk count and base memory size. Our memory is the BIOS's again.
        private static void Unhook()
        {
            Plugs.RealModeUnhook(0x13);
            Plugs.RealModeUnhook(0x15);
            s_service?.UnhookAll();
            if (s_baseMemoryKiB != 0)
            {
                *(ushort*)BaseMemoryKiB = s_baseMemoryKiB;
            }

            s_service = null;
            s_int15 = null;
            s_canary = null;
        }

        // Sampled last, after every allocation of the handoff: the image's code and read-only data
        // (the Multiboot header at its very start included, where a loader writing upwards into
        // us lands first) and the iBFT, which nobody may change.
        private static bool ArmCanary(ulong ibftAddress, int ibftLength)
        {
            ResidentCanary canary = new ResidentCanary(new IdentityMemory());
            if (!canary.Add(Plugs.ImageStart(), Plugs.ReadOnlyEnd() - Plugs.ImageStart(), CanaryStride)
                || (ibftLength > 0 && !canary.Add(ibftAddress, (ulong)ibftLength, sizeof(ulong))))
            {
                return false;
            }

            s_canary = canary;
            return true;
        }

        private static int PublishIbft(IbftDescription? description, ulong address)
        {
            Span<byte> table = new Span<byte>((void*)address, (int)ReservedPage);
            table.Clear();
            if (description == null)
            {
                Log.Milestone("ibft").Text(" status=skipped reason=the target has no IPv4 address to publish").End();
                return 0;
            }

            IbftStatus status = IbftTable.Format(description, table, out int written);
            if (status != IbftStatus.Ok)
            {
                Log.Milestone("ibft").Text(" status=failed reason=").Ascii(IbftTable.Describe(status)).End();
                return 0;
            }

            Log.Milestone("ibft").Text(" at=0x").Hex(address, 5).Text(" length=").Dec((ulong)written).End();
            return written;
        }

        /// <summary>An INT 13h or 15h call from real mode: 0 when served (registers hold the answer), 1 to chain.</summary>
        [RuntimeExport("KernelBiosUpcall")]
        internal static byte BiosUpcall(uint vector, Int13Registers* registers)
        {
            if (s_trace)
            {
                Log.Begin(LogLevel.Info).Text("bios int 0x").Hex(vector, 2).Text(" eax=0x").Hex(registers->Eax, 8).Text(" edx=0x").Hex(registers->Edx, 8).End();
            }

            Int13Disposition disposition = Int13Disposition.Chain;
            if (vector == 0x13 && s_canary != null && !s_canary.Check(out ulong tornAt))
            {
                // Whatever wrote there may have hit code we are about to run: stop, and say where.
                Internal.Runtime.Panic.Fail("resident image torn: something wrote into memory the E820h map hides, at", tornAt);
            }

            if (vector == 0x13 && s_service != null)
            {
                disposition = s_service.Handle(ref *registers);
            }
            else if (vector == 0x15 && s_int15 != null)
            {
                disposition = s_int15.Handle(ref *registers);
            }

            return disposition == Int13Disposition.Handled ? (byte)0 : (byte)1;
        }
    }
}
