// The CHS geometry INT 13h functions 02h/03h/08h/48h present for a disk that has none: taken from
// the partition table when the MBR has one (the largest head and sector numbers any entry's CHS
// addresses use, so a partitioning tool's translation is reproduced), else 255 heads of 63
// sectors, the common LBA-assist translation. Cylinders are what fits, at most 1024 for CHS.
// Sources: the MBR partition entry layout (16 bytes at 0x1BE: status, CHS start, type, CHS end,
// LBA start, length); EDD 3.0 for the 15,482,880-sector limit beyond which CHS is not valid.
using System;

namespace Bootstage.Boot.Int13
{
    public struct Int13Geometry
    {
        public const int DefaultHeads = 255;
        public const int DefaultSectorsPerTrack = 63;
        public const int MaxCylinders = 1024;

        /// <summary>Largest disk whose CHS geometry the EDD parameters may call valid.</summary>
        public const ulong MaxChsSectors = 15482880;

        private const int PartitionTable = 0x1BE;
        private const int PartitionEntrySize = 16;
        private const int SignatureOffset = 0x1FE;

        public int Heads;
        public int SectorsPerTrack;
        public int Cylinders;

        /// <summary>Geometry for a disk of <paramref name="blocks"/> 512-byte blocks whose block 0 is <paramref name="mbr"/>.</summary>
        public static Int13Geometry Guess(ReadOnlySpan<byte> mbr, ulong blocks)
        {
            int heads = 0;
            int sectors = 0;
            if (mbr.Length >= 512 && mbr[SignatureOffset] == 0x55 && mbr[SignatureOffset + 1] == 0xAA)
            {
                for (int i = 0; i < 4; i++)
                {
                    ReadOnlySpan<byte> entry = mbr.Slice(PartitionTable + i * PartitionEntrySize, PartitionEntrySize);
                    if (entry[4] == 0)
                    {
                        continue;
                    }

                    // CHS end: head at +5, sector (low 6 bits) at +6.
                    heads = Math.Max(heads, entry[5] + 1);
                    sectors = Math.Max(sectors, entry[6] & 0x3F);
                }
            }

            Int13Geometry geometry;
            geometry.Heads = heads > 0 ? heads : DefaultHeads;
            geometry.SectorsPerTrack = sectors > 0 ? sectors : DefaultSectorsPerTrack;
            ulong cylinders = blocks / (ulong)(geometry.Heads * geometry.SectorsPerTrack);
            geometry.Cylinders = cylinders == 0 ? 1 : cylinders > MaxCylinders ? MaxCylinders : (int)cylinders;
            return geometry;
        }

        /// <summary>The block a CHS address names, or false when the address lies outside the geometry.</summary>
        public bool TryToLba(int cylinder, int head, int sector, out ulong lba)
        {
            if (sector < 1 || sector > SectorsPerTrack || head >= Heads || cylinder >= Cylinders)
            {
                lba = 0;
                return false;
            }

            lba = ((ulong)cylinder * (ulong)Heads + (ulong)head) * (ulong)SectorsPerTrack + (ulong)(sector - 1);
            return true;
        }
    }
}
