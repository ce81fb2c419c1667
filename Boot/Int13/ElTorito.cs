// El Torito ("El Torito" Bootable CD-ROM Format Specification 1.0, Phoenix/IBM 1995): how a CD
// image says what to boot. Sector 17 (2048-byte sectors) holds the Boot Record Volume Descriptor
// {type 0, "CD001", version 1, "EL TORITO SPECIFICATION", ..., u32 boot catalog sector at 0x47};
// the catalog starts with a validation entry {header 1, platform, id string, checksum word that
// makes the 16 words sum to 0, 55 AA} and the initial/default entry {0x88 bootable, media type
// (0 = no emulation), load segment (0 = 07C0h), system type, sector count in 512-byte units,
// u32 image sector}. Only a bootable no-emulation default entry is accepted: that is what a SAN
// boot from a CD-ROM LUN runs, as iPXE's sanboot does. Every field read is checked first.
using System;
using System.Buffers.Binary;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Int13
{
    public struct ElToritoBootEntry
    {
        public uint CatalogLba;
        public uint ImageLba;
        public ushort LoadSegment;

        /// <summary>512-byte sectors to load (the field counts "virtual" sectors).</summary>
        public ushort LoadSectors;
    }

    public enum ElToritoStatus
    {
        Ok,
        ReadFailed,
        NoBootRecord,
        BadCatalog,
        NotBootable,
        Emulated,
    }

    public static class ElTorito
    {
        public const uint BootRecordLba = 17;
        public const int SectorSize = 2048;
        public const ushort DefaultLoadSegment = 0x07C0;

        private const int CatalogPointer = 0x47;
        private const int EntrySize = 32;
        private const byte Bootable = 0x88;
        private const byte NoEmulation = 0;

        /// <summary>The catalog sector a Boot Record Volume Descriptor names.</summary>
        public static bool TryReadBootRecord(ReadOnlySpan<byte> sector, out uint catalogLba)
        {
            catalogLba = 0;
            if (sector.Length < CatalogPointer + 4 || sector[0] != 0 || !sector.Slice(1, 5).SequenceEqual("CD001"u8) || sector[6] != 1
                || !sector.Slice(7, 23).SequenceEqual("EL TORITO SPECIFICATION"u8))
            {
                return false;
            }

            catalogLba = BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(CatalogPointer));
            return catalogLba != 0;
        }

        /// <summary>Validates the catalog's first entry and reads the default entry after it.</summary>
        public static ElToritoStatus TryReadDefaultEntry(ReadOnlySpan<byte> catalog, out ElToritoBootEntry entry)
        {
            entry = default;
            if (catalog.Length < 2 * EntrySize || catalog[0] != 1 || catalog[30] != 0x55 || catalog[31] != 0xAA)
            {
                return ElToritoStatus.BadCatalog;
            }

            ushort sum = 0;
            for (int i = 0; i < EntrySize; i += 2)
            {
                sum += BinaryPrimitives.ReadUInt16LittleEndian(catalog.Slice(i));
            }

            if (sum != 0)
            {
                return ElToritoStatus.BadCatalog;
            }

            ReadOnlySpan<byte> initial = catalog.Slice(EntrySize, EntrySize);
            if (initial[0] != Bootable)
            {
                return ElToritoStatus.NotBootable;
            }

            if ((initial[1] & 0x0F) != NoEmulation)
            {
                return ElToritoStatus.Emulated;
            }

            ushort segment = BinaryPrimitives.ReadUInt16LittleEndian(initial.Slice(2));
            entry.LoadSegment = segment == 0 ? DefaultLoadSegment : segment;
            entry.LoadSectors = BinaryPrimitives.ReadUInt16LittleEndian(initial.Slice(6));
            entry.ImageLba = BinaryPrimitives.ReadUInt32LittleEndian(initial.Slice(8));
            return entry.LoadSectors == 0 ? ElToritoStatus.NotBootable : ElToritoStatus.Ok;
        }

        /// <summary>Reads the boot record and catalog of a 2048-byte-block disk into a drive's El Torito fields.</summary>
        public static ElToritoStatus Describe(IBlockDisk disk, Int13Drive drive, byte[] scratch)
        {
            if (disk.BlockSize != SectorSize || scratch.Length < SectorSize || disk.BlockCount <= BootRecordLba)
            {
                return ElToritoStatus.NoBootRecord;
            }

            if (disk.Read(BootRecordLba, 1, scratch, 0) != IscsiStatus.Success)
            {
                return ElToritoStatus.ReadFailed;
            }

            if (!TryReadBootRecord(new ReadOnlySpan<byte>(scratch, 0, SectorSize), out uint catalogLba) || catalogLba >= disk.BlockCount)
            {
                return ElToritoStatus.NoBootRecord;
            }

            if (disk.Read(catalogLba, 1, scratch, 0) != IscsiStatus.Success)
            {
                return ElToritoStatus.ReadFailed;
            }

            ElToritoStatus status = TryReadDefaultEntry(new ReadOnlySpan<byte>(scratch, 0, SectorSize), out ElToritoBootEntry entry);
            if (status != ElToritoStatus.Ok)
            {
                return status;
            }

            if (entry.ImageLba >= disk.BlockCount)
            {
                return ElToritoStatus.BadCatalog;
            }

            drive.BootCatalogLba = catalogLba;
            drive.BootImageLba = entry.ImageLba;
            drive.BootLoadSegment = entry.LoadSegment;
            drive.BootLoadSectors = entry.LoadSectors;
            return ElToritoStatus.Ok;
        }
    }
}
