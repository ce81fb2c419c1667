// The INT 13h disk service for SAN drives (Ralf Brown's Interrupt List, INT 13h; Phoenix "BIOS
// Enhanced Disk Drive Specification" 3.0; El Torito 1.0 for AH=4Bh/4Dh). The real-mode entry stub
// switches to long mode and hands the caller's registers here; the answer is Handled (registers
// hold the result, CF and AH set) or Chain (not our drive: the stub jumps to the vector it
// replaced, with DL possibly renumbered). This file: drives, numbering, dispatch and the CHS
// functions; the EDD and El Torito functions are in Int13Service.Extended.cs.
using System;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Int13
{
    public enum Int13Disposition
    {
        Handled,
        Chain,
    }

    public sealed partial class Int13Service
    {
        public const int MaxDrives = 4;

        /// <summary>BDA byte at 0040:0075: the number of hard disks the BIOS reports.</summary>
        public const ulong BdaDiskCount = 0x475;

        private const int SectorSize = 512;

        private readonly IRealModeMemory _memory;
        private readonly Int13Drive?[] _drives = new Int13Drive?[MaxDrives];
        private int _driveCount;
        private byte _remappedNatural;
        private byte _remappedTo;
        private IInt13Gate? _gate;

        public Int13Service(IRealModeMemory memory)
        {
            _memory = memory;
        }

        public int DriveCount => _driveCount;

        /// <summary>Work around every call we serve (Hyper-V: reclaim on entry, quiesce on exit).</summary>
        public IInt13Gate? Gate
        {
            get => _gate;
            set => _gate = value;
        }

        /// <summary>Calls served, and calls passed on to the previous handler.</summary>
        public ulong Served { get; private set; }

        public ulong Chained { get; private set; }

        /// <summary>
        /// Adds a drive. A hard disk number the BIOS already uses takes that number over: the
        /// BIOS's disk moves to the first free number (calls to it are renumbered and chained),
        /// and the BDA disk count grows by one, as iPXE's sanhook does.
        /// </summary>
        public bool Hook(Int13Drive drive)
        {
            if (_driveCount == MaxDrives || Find(drive.Number) != null)
            {
                return false;
            }

            _drives[_driveCount++] = drive;
            if (drive.Number >= 0x80 && drive.Number < 0xA0 && !drive.IsCdRom)
            {
                Span<byte> count = _memory.Map(BdaDiskCount, 1);
                if (!count.IsEmpty)
                {
                    byte natural = count[0];
                    if (drive.Number < 0x80 + natural && _remappedNatural == 0)
                    {
                        _remappedNatural = drive.Number;
                        _remappedTo = (byte)(0x80 + natural);
                    }

                    count[0] = (byte)(natural + 1);
                }
            }

            return true;
        }

        /// <summary>
        /// Gives every drive up (the loader returned and `keep-san` was not asked for): the BIOS's
        /// disk count loses the disks we added and a renumbered natural disk gets its number back.
        /// The caller restores the vector itself.
        /// </summary>
        public void UnhookAll()
        {
            int counted = 0;
            for (int i = 0; i < _driveCount; i++)
            {
                Int13Drive drive = _drives[i]!;
                if (drive.Number >= 0x80 && drive.Number < 0xA0 && !drive.IsCdRom)
                {
                    counted++;
                }

                _drives[i] = null;
            }

            Span<byte> count = _memory.Map(BdaDiskCount, 1);
            if (!count.IsEmpty && count[0] >= counted)
            {
                count[0] = (byte)(count[0] - counted);
            }

            _driveCount = 0;
            _remappedNatural = 0;
            _remappedTo = 0;
        }

        /// <summary>
        /// Where a further drive goes without moving anyone: for a disk the number after every
        /// disk the BIOS counts (our hooks included), for a CD-ROM the first of E0h-EFh we do
        /// not use; 0 when there is none.
        /// </summary>
        public byte NextFreeNumber(bool cdrom)
        {
            int number = 0xE0;
            int last = 0xEF;
            if (!cdrom)
            {
                Span<byte> count = _memory.Map(BdaDiskCount, 1);
                number = 0x80 + (count.IsEmpty ? _driveCount : count[0]);
                last = 0x8F;
            }

            while (number <= last && Find((byte)number) != null)
            {
                number++;
            }

            return number <= last && _driveCount < MaxDrives ? (byte)number : (byte)0;
        }

        public Int13Drive? Find(byte number)
        {
            for (int i = 0; i < _driveCount; i++)
            {
                if (_drives[i]!.Number == number)
                {
                    return _drives[i];
                }
            }

            return null;
        }

        /// <summary>Serves one INT 13h call.</summary>
        public Int13Disposition Handle(ref Int13Registers registers)
        {
            Int13Drive? drive = Find(registers.DL);
            if (drive == null)
            {
                if (_remappedNatural != 0 && registers.DL == _remappedTo)
                {
                    registers.DL = _remappedNatural;
                }

                Chained++;
                return Int13Disposition.Chain;
            }

            Served++;
            byte function = registers.AH;
            if (function == 0x15)
            {
                // AH=15h answers a drive type in AH (3: fixed disk), not a status.
                GetDiskType(drive, ref registers);
                registers.AH = 0x03;
                registers.Carry = false;
                drive.LastStatus = Int13Status.Success;
                return Int13Disposition.Handled;
            }

            _gate?.Enter();
            byte status = Dispatch(drive, function, ref registers);
            _gate?.Leave();
            if (function != 0x01)
            {
                drive.LastStatus = status;
            }

            registers.Carry = status != Int13Status.Success;

            // AH=41h answers its version in AH on success; everything else answers the status.
            registers.AH = function == 0x41 && status == Int13Status.Success ? ExtensionVersion : status;
            return Int13Disposition.Handled;
        }

        private byte Dispatch(Int13Drive drive, byte function, ref Int13Registers registers)
        {
            switch (function)
            {
                case 0x00:
                    return Int13Status.Success;
                case 0x01:
                    return drive.LastStatus;
                case 0x02:
                    return drive.IsCdRom ? Int13Status.Invalid : ChsTransfer(drive, ref registers, write: false);
                case 0x03:
                    return drive.IsCdRom ? Int13Status.Invalid : ChsTransfer(drive, ref registers, write: true);
                case 0x08:
                    return drive.IsCdRom ? Int13Status.Invalid : GetParameters(drive, ref registers);
                case 0x41:
                    return CheckExtensions(ref registers);
                case 0x42:
                    return ExtendedTransfer(drive, ref registers, write: false, verifyOnly: false);
                case 0x43:
                    return ExtendedTransfer(drive, ref registers, write: true, verifyOnly: false);
                case 0x44:
                    return ExtendedTransfer(drive, ref registers, write: false, verifyOnly: true);
                case 0x47:
                    return ExtendedTransfer(drive, ref registers, write: false, verifyOnly: true);
                case 0x48:
                    return GetExtendedParameters(drive, ref registers);
                case 0x4B:
                    return CdRomStatus(drive, ref registers);
                case 0x4D:
                    return CdRomBootCatalog(drive, ref registers);
                default:
                    return Int13Status.Invalid;
            }
        }

        // AH=02h/03h: AL sectors at cylinder CH | (CL[7:6] << 2), head DH, sector CL[5:0], ES:BX.
        private byte ChsTransfer(Int13Drive drive, ref Int13Registers registers, bool write)
        {
            int count = registers.AL;
            int cylinder = registers.CH | ((registers.CL & 0xC0) << 2);
            int sector = registers.CL & 0x3F;
            ulong buffer = Int13Registers.Linear(registers.Es, registers.BX);
            registers.AL = 0;
            if (count == 0 || !drive.Geometry.TryToLba(cylinder, registers.DH, sector, out ulong lba))
            {
                return Int13Status.Invalid;
            }

            byte status = Transfer(drive, lba, (uint)count, buffer, write);
            if (status == Int13Status.Success)
            {
                registers.AL = (byte)count;
            }

            return status;
        }

        // AH=08h: CH/CL the last cylinder and sectors per track, DH the last head, DL the disk count.
        private byte GetParameters(Int13Drive drive, ref Int13Registers registers)
        {
            Int13Geometry geometry = drive.Geometry;
            int lastCylinder = geometry.Cylinders - 1;
            registers.CH = (byte)lastCylinder;
            registers.CL = (byte)(geometry.SectorsPerTrack | ((lastCylinder >> 2) & 0xC0));
            registers.DH = (byte)(geometry.Heads - 1);
            Span<byte> count = _memory.Map(BdaDiskCount, 1);
            registers.DL = count.IsEmpty ? (byte)_driveCount : count[0];
            return Int13Status.Success;
        }

        // AH=15h: CX:DX the size in 512-byte sectors.
        private static void GetDiskType(Int13Drive drive, ref Int13Registers registers)
        {
            ulong sectors = drive.Disk.BlockCount * (drive.Disk.BlockSize / SectorSize);
            uint reported = sectors > uint.MaxValue ? uint.MaxValue : (uint)sectors;
            registers.CX = (ushort)(reported >> 16);
            registers.DX = (ushort)reported;
        }

        /// <summary>
        /// Moves <paramref name="count"/> blocks between the disk and memory at <paramref name="address"/>,
        /// a bounce buffer's worth at a time. Nothing outside the disk or outside memory is touched.
        /// </summary>
        private byte Transfer(Int13Drive drive, ulong lba, ulong count, ulong address, bool write)
        {
            IBlockDisk disk = drive.Disk;
            if (lba >= disk.BlockCount || count > disk.BlockCount - lba)
            {
                return Int13Status.SectorNotFound;
            }

            int blockSize = (int)disk.BlockSize;
            while (count > 0)
            {
                int blocks = count < (ulong)drive.BounceBlocks ? (int)count : drive.BounceBlocks;
                int bytes = blocks * blockSize;
                Span<byte> memory = _memory.Map(address, bytes);
                if (memory.IsEmpty)
                {
                    return Int13Status.Invalid;
                }

                byte status = write ? WriteChunk(disk, drive.Bounce, lba, blocks, memory) : ReadChunk(disk, drive.Bounce, lba, blocks, memory);
                if (status != Int13Status.Success)
                {
                    return status;
                }

                lba += (ulong)blocks;
                count -= (ulong)blocks;
                address += (ulong)bytes;
            }

            return Int13Status.Success;
        }

        private static byte ReadChunk(IBlockDisk disk, byte[] bounce, ulong lba, int blocks, Span<byte> memory)
        {
            IscsiStatus status = disk.Read(lba, blocks, bounce, 0);
            if (status != IscsiStatus.Success)
            {
                return Failure(status, Int13Status.SectorNotFound);
            }

            new ReadOnlySpan<byte>(bounce, 0, memory.Length).CopyTo(memory);
            return Int13Status.Success;
        }

        private static byte WriteChunk(IBlockDisk disk, byte[] bounce, ulong lba, int blocks, Span<byte> memory)
        {
            memory.CopyTo(bounce);
            IscsiStatus status = disk.Write(lba, blocks, bounce, 0);
            return status == IscsiStatus.Success ? Int13Status.Success : Failure(status, Int13Status.WriteFault);
        }

        // The BIOS code that best names why the SAN device gave up.
        private static byte Failure(IscsiStatus status, byte otherwise)
        {
            switch (status)
            {
                case IscsiStatus.Timeout:
                    return Int13Status.Timeout;
                case IscsiStatus.NotLoggedIn:
                case IscsiStatus.LoggedOut:
                    return Int13Status.ControllerFailure;
                default:
                    return otherwise;
            }
        }
    }
}
