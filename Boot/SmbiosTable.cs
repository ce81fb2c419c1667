// The SMBIOS pieces the boot path needs (DMTF DSP0134): the entry point in the BIOS area
// 0xF0000-0xFFFFF (`_SM_` 2.x with its `_DMI_` part, or `_SM3_` 3.x, on 16-byte boundaries,
// checksummed), and the System Information structure (type 1) for the system UUID, from which
// an initiator name is made when DHCP and the command line give none. Firmware data is treated
// as untrusted: every length is checked against the bytes actually given.
using System;
using System.Buffers.Binary;

namespace Bootstage.Boot
{
    public static class SmbiosTable
    {
        public const uint BiosAreaStart = 0xF0000;
        public const int BiosAreaLength = 0x10000;

        /// <summary>Finds the structure table's physical address and length in a copy of the BIOS area.</summary>
        public static bool TryFindEntryPoint(ReadOnlySpan<byte> biosArea, out ulong tableAddress, out int tableLength)
        {
            tableAddress = 0;
            tableLength = 0;
            for (int offset = 0; offset + 16 <= biosArea.Length; offset += 16)
            {
                ReadOnlySpan<byte> candidate = biosArea.Slice(offset);
                if (candidate.StartsWith("_SM3_"u8) && candidate.Length >= 0x18)
                {
                    int length = candidate[6];
                    if (length >= 0x18 && length <= candidate.Length && Checksum(candidate.Slice(0, length)))
                    {
                        tableLength = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(candidate.Slice(0x0C)), 0x100000u);
                        tableAddress = BinaryPrimitives.ReadUInt64LittleEndian(candidate.Slice(0x10));
                        return tableLength > 0;
                    }
                }

                if (candidate.StartsWith("_SM_"u8) && candidate.Length >= 0x1F)
                {
                    int length = candidate[5];
                    if (length >= 0x1F && length <= candidate.Length && Checksum(candidate.Slice(0, length))
                        && candidate.Slice(0x10).StartsWith("_DMI_"u8) && Checksum(candidate.Slice(0x10, 0x0F)))
                    {
                        tableLength = BinaryPrimitives.ReadUInt16LittleEndian(candidate.Slice(0x16));
                        tableAddress = BinaryPrimitives.ReadUInt32LittleEndian(candidate.Slice(0x18));
                        return tableLength > 0;
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// Copies the type 1 UUID (16 bytes as stored) out of the structure table. False when there
        /// is no type 1, it is too short to hold a UUID, or the UUID is all 0x00 or all 0xFF (the
        /// specification's "not present" and "not set").
        /// </summary>
        public static bool TryFindSystemUuid(ReadOnlySpan<byte> table, Span<byte> uuid)
        {
            int offset = 0;
            while (offset + 4 <= table.Length)
            {
                byte type = table[offset];
                int length = table[offset + 1];
                if (length < 4 || offset + length > table.Length)
                {
                    return false;
                }

                if (type == 1 && length >= 0x19)
                {
                    ReadOnlySpan<byte> value = table.Slice(offset + 8, 16);
                    if (IsAll(value, 0x00) || IsAll(value, 0xFF))
                    {
                        return false;
                    }

                    value.CopyTo(uuid);
                    return true;
                }

                if (type == 127)
                {
                    return false;
                }

                // Skip the formatted part, then the string set, which ends with two NULs.
                int strings = offset + length;
                while (strings + 1 < table.Length && (table[strings] != 0 || table[strings + 1] != 0))
                {
                    strings++;
                }

                offset = strings + 2;
            }

            return false;
        }

        private static bool Checksum(ReadOnlySpan<byte> data)
        {
            byte sum = 0;
            for (int i = 0; i < data.Length; i++)
            {
                sum += data[i];
            }

            return sum == 0;
        }

        private static bool IsAll(ReadOnlySpan<byte> data, byte value)
        {
            for (int i = 0; i < data.Length; i++)
            {
                if (data[i] != value)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
