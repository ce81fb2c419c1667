// The EDD 3.0 functions of the INT 13h service (Phoenix "BIOS Enhanced Disk Drive Specification"
// 3.0: AH=41h check, 42h/43h/44h/47h through a disk address packet, 48h parameters) and the
// El Torito CD-ROM calls (El Torito 1.0: AH=4Bh status, AH=4Dh boot catalog). Every packet the
// caller points at is read through IRealModeMemory and checked before use.
using System;
using System.Buffers.Binary;

namespace Bootstage.Boot.Int13
{
    public sealed partial class Int13Service
    {
        /// <summary>AH=41h: extended access (42h-44h, 47h, 48h), EDD and 64-bit flat buffers, as EDD 3.0.</summary>
        public const ushort ExtensionSupport = 0x01 | 0x04 | 0x08;
        public const byte ExtensionVersion = 0x30;

        // Disk address packet: size, reserved, count (u8), reserved, buffer offset:segment, LBA,
        // then (EDD 3.0) a 64-bit flat buffer and (count 0xFF) a 32-bit long count.
        private const int DapMinimumSize = 16;
        private const int DapFlatBuffer = 16;
        private const int DapLongCount = 24;
        private const int DapFullSize = 32;
        private const byte DapUseLongCount = 0xFF;
        private const byte DapMaxShortCount = 0x7F;

        // Drive parameter buffer: size, flags, cylinders, heads, sectors per track, sectors (u64),
        // bytes per sector; from 30 bytes on a device parameter table pointer (FFFF:FFFF: none).
        private const int ParametersMinimumSize = 26;
        private const int ParametersWithDpte = 30;

        // Device path information (EDD 3.0 as revised by T13 D1572, the layout Linux's edd.h
        // reads): key BEDDh at 30, its length (44, key to checksum) at 32, host bus "PCI " at
        // 36, interface "SCSI    " at 40, interface path (bus, slot, function, channel) at 48,
        // device path (SCSI: target id u16, LUN u64) at 56, checksum at 73 making bytes 30-73 sum to 0.
        private const int ParametersWithDevicePath = 74;
        private const ushort DevicePathKey = 0xBEDD;
        private const byte DevicePathLength = 44;
        private const ushort FlagDmaTransparent = 0x01;
        private const ushort FlagChsValid = 0x02;
        private const ushort FlagRemovable = 0x04;

        private const int SpecificationPacketSize = 0x13;

        private static byte CheckExtensions(ref Int13Registers registers)
        {
            if (registers.BX != 0x55AA)
            {
                return Int13Status.Invalid;
            }

            registers.BX = 0xAA55;
            registers.CX = ExtensionSupport;
            return Int13Status.Success;
        }

        private byte ExtendedTransfer(Int13Drive drive, ref Int13Registers registers, bool write, bool verifyOnly)
        {
            ulong packetAddress = Int13Registers.Linear(registers.Ds, registers.SI);
            Span<byte> head = _memory.Map(packetAddress, DapMinimumSize);
            if (head.IsEmpty || head[0] < DapMinimumSize)
            {
                return Int13Status.Invalid;
            }

            int size = head[0] < DapFullSize ? head[0] : DapFullSize;
            Span<byte> packet = _memory.Map(packetAddress, size);
            if (!TryReadPacket(packet, out ulong lba, out ulong count, out ulong buffer))
            {
                return Int13Status.Invalid;
            }

            byte status;
            if (verifyOnly)
            {
                status = lba < drive.Disk.BlockCount && count <= drive.Disk.BlockCount - lba ? Int13Status.Success : Int13Status.SectorNotFound;
            }
            else
            {
                status = count == 0 ? Int13Status.Success : Transfer(drive, lba, count, buffer, write);
            }

            if (status != Int13Status.Success)
            {
                // Nothing is reported as transferred: the caller must not use a partial buffer.
                packet[2] = 0;
            }

            return status;
        }

        // Count 0x00-0x7F is the block count; 0xFF means "use the long count". A buffer of
        // FFFF:FFFF, or a long count, means "use the 64-bit flat buffer".
        private static bool TryReadPacket(ReadOnlySpan<byte> packet, out ulong lba, out ulong count, out ulong buffer)
        {
            lba = BinaryPrimitives.ReadUInt64LittleEndian(packet.Slice(8));
            byte shortCount = packet[2];
            ushort offset = BinaryPrimitives.ReadUInt16LittleEndian(packet.Slice(4));
            ushort segment = BinaryPrimitives.ReadUInt16LittleEndian(packet.Slice(6));
            bool flat = shortCount == DapUseLongCount || (segment == 0xFFFF && offset == 0xFFFF);
            count = shortCount;
            buffer = Int13Registers.Linear(segment, offset);
            if (shortCount > DapMaxShortCount && shortCount != DapUseLongCount)
            {
                return false;
            }

            if (flat)
            {
                if (packet.Length < DapFlatBuffer + 8)
                {
                    return false;
                }

                buffer = BinaryPrimitives.ReadUInt64LittleEndian(packet.Slice(DapFlatBuffer));
            }

            if (shortCount == DapUseLongCount)
            {
                if (packet.Length < DapLongCount + 4)
                {
                    return false;
                }

                count = BinaryPrimitives.ReadUInt32LittleEndian(packet.Slice(DapLongCount));
            }

            return true;
        }

        private byte GetExtendedParameters(Int13Drive drive, ref Int13Registers registers)
        {
            ulong address = Int13Registers.Linear(registers.Ds, registers.SI);
            Span<byte> head = _memory.Map(address, 2);
            if (head.IsEmpty)
            {
                return Int13Status.Invalid;
            }

            int size = BinaryPrimitives.ReadUInt16LittleEndian(head);
            if (size < ParametersMinimumSize)
            {
                return Int13Status.Invalid;
            }

            int filled = size >= ParametersWithDevicePath && drive.Path.OnPci ? ParametersWithDevicePath
                : size >= ParametersWithDpte ? ParametersWithDpte : ParametersMinimumSize;
            Span<byte> parameters = _memory.Map(address, filled);
            if (parameters.IsEmpty)
            {
                return Int13Status.Invalid;
            }

            IBlockDisk disk = drive.Disk;
            Int13Geometry geometry = drive.Geometry;
            bool chsValid = !drive.IsCdRom && disk.BlockCount <= Int13Geometry.MaxChsSectors;
            ushort flags = (ushort)(FlagDmaTransparent | (chsValid ? FlagChsValid : 0) | (drive.IsCdRom ? FlagRemovable : 0));
            BinaryPrimitives.WriteUInt16LittleEndian(parameters, (ushort)filled);
            BinaryPrimitives.WriteUInt16LittleEndian(parameters.Slice(2), flags);
            BinaryPrimitives.WriteUInt32LittleEndian(parameters.Slice(4), chsValid ? (uint)geometry.Cylinders : 0);
            BinaryPrimitives.WriteUInt32LittleEndian(parameters.Slice(8), chsValid ? (uint)geometry.Heads : 0);
            BinaryPrimitives.WriteUInt32LittleEndian(parameters.Slice(12), chsValid ? (uint)geometry.SectorsPerTrack : 0);
            BinaryPrimitives.WriteUInt64LittleEndian(parameters.Slice(16), disk.BlockCount);
            BinaryPrimitives.WriteUInt16LittleEndian(parameters.Slice(24), (ushort)disk.BlockSize);
            if (filled >= ParametersWithDpte)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(parameters.Slice(26), 0xFFFFFFFF);
            }

            if (filled >= ParametersWithDevicePath)
            {
                WriteDevicePath(drive, parameters.Slice(ParametersWithDpte, ParametersWithDevicePath - ParametersWithDpte));
            }

            return Int13Status.Success;
        }

        private static void WriteDevicePath(Int13Drive drive, Span<byte> path)
        {
            path.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(path, DevicePathKey);
            path[2] = DevicePathLength;
            "PCI "u8.CopyTo(path.Slice(6));
            "SCSI    "u8.CopyTo(path.Slice(10));
            path[18] = drive.Path.Bus;
            path[19] = drive.Path.Device;
            path[20] = drive.Path.Function;
            path[21] = 0xFF;                        // no channel: a NIC is not a dual-channel controller
            BinaryPrimitives.WriteUInt64BigEndian(path.Slice(28), drive.Path.Lun);
            byte sum = 0;
            for (int i = 0; i < path.Length - 1; i++)
            {
                sum += path[i];
            }

            path[path.Length - 1] = (byte)(0 - sum);
        }

        // AH=4Bh (AL=00h terminate emulation, 01h status only): the specification packet at DS:SI.
        // A no-emulation boot has nothing to terminate; both report how the CD-ROM was booted.
        private byte CdRomStatus(Int13Drive drive, ref Int13Registers registers)
        {
            if (!drive.IsCdRom || registers.AL > 1)
            {
                return Int13Status.Invalid;
            }

            Span<byte> packet = _memory.Map(Int13Registers.Linear(registers.Ds, registers.SI), SpecificationPacketSize);
            if (packet.IsEmpty)
            {
                return Int13Status.Invalid;
            }

            packet.Clear();
            packet[0] = SpecificationPacketSize;
            packet[1] = 0; // no emulation
            packet[2] = drive.Number;
            BinaryPrimitives.WriteUInt32LittleEndian(packet.Slice(4), drive.BootImageLba);
            BinaryPrimitives.WriteUInt16LittleEndian(packet.Slice(12), drive.BootLoadSegment);
            BinaryPrimitives.WriteUInt16LittleEndian(packet.Slice(14), drive.BootLoadSectors);
            return Int13Status.Success;
        }

        // AH=4Dh: command packet {size, sector count, u32 buffer, u16 first sector}: reads that
        // many 2048-byte sectors of the boot catalog into the flat buffer.
        private byte CdRomBootCatalog(Int13Drive drive, ref Int13Registers registers)
        {
            Span<byte> command = _memory.Map(Int13Registers.Linear(registers.Ds, registers.SI), 8);
            if (!drive.IsCdRom || drive.BootCatalogLba == 0 || command.IsEmpty || command[0] < 8)
            {
                return Int13Status.Invalid;
            }

            uint buffer = BinaryPrimitives.ReadUInt32LittleEndian(command.Slice(2));
            ushort start = BinaryPrimitives.ReadUInt16LittleEndian(command.Slice(6));
            return Transfer(drive, (ulong)drive.BootCatalogLba + start, command[1], buffer, write: false);
        }
    }
}
