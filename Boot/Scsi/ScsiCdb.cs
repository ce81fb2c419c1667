// SCSI command descriptor blocks the SAN boot path sends (their replies: ScsiReplies.cs).
// Builders write into the caller's buffer and return the CDB length (-1 when it is too small);
// layouts follow SPC-4 (TEST UNIT READY, INQUIRY, REPORT LUNS, REQUEST SENSE, the unit serial
// number and device identification VPD pages) and SBC-3 (READ CAPACITY, READ, WRITE). Multi-byte
// fields are big-endian. Every parser is given exactly the bytes the target sent (the buffer
// sliced to the received length), checks every length it reads against them, and returns false
// on data too short or inconsistent to trust: a target's reply never makes us read out of bounds.
using System;
using System.Buffers.Binary;

namespace Bootstage.Boot.Scsi
{
    public static class ScsiCdb
    {
        public const byte TestUnitReadyOpcode = 0x00;
        public const byte RequestSenseOpcode = 0x03;
        public const byte InquiryOpcode = 0x12;
        public const byte ReadCapacity10Opcode = 0x25;
        public const byte Read10Opcode = 0x28;
        public const byte Write10Opcode = 0x2A;
        public const byte Read16Opcode = 0x88;
        public const byte Write16Opcode = 0x8A;
        public const byte ServiceActionIn16Opcode = 0x9E;
        public const byte ReadCapacity16ServiceAction = 0x10;
        public const byte ReportLunsOpcode = 0xA0;

        public const byte UnitSerialNumberPageCode = 0x80;
        public const byte DeviceIdentificationPageCode = 0x83;

        /// <summary>Blocks addressable by a 10-byte CDB: its LBA field is 32 bits wide.</summary>
        public const ulong TenByteLbaLimit = 0x1_0000_0000;

        public static int TestUnitReady(Span<byte> cdb) => Start(cdb, TestUnitReadyOpcode, 6);

        /// <summary>
        /// INQUIRY. With <paramref name="evpd"/> false the standard data is returned and SPC-4 requires
        /// the page code to be zero; with it true, the vital product data page named by the code.
        /// </summary>
        public static int Inquiry(bool evpd, byte pageCode, ushort allocationLength, Span<byte> cdb)
        {
            int length = Start(cdb, InquiryOpcode, 6);
            if (length > 0)
            {
                cdb[1] = evpd ? (byte)0x01 : (byte)0x00;
                cdb[2] = pageCode;
                BinaryPrimitives.WriteUInt16BigEndian(cdb.Slice(3), allocationLength);
            }

            return length;
        }

        public static int StandardInquiry(ushort allocationLength, Span<byte> cdb) => Inquiry(false, 0, allocationLength, cdb);

        public static int VpdInquiry(byte pageCode, ushort allocationLength, Span<byte> cdb) => Inquiry(true, pageCode, allocationLength, cdb);

        /// <summary>REPORT LUNS; SPC-4 wants an allocation length of at least 16.</summary>
        public static int ReportLuns(uint allocationLength, Span<byte> cdb, byte selectReport = 0)
        {
            int length = Start(cdb, ReportLunsOpcode, 12);
            if (length > 0)
            {
                cdb[2] = selectReport;
                BinaryPrimitives.WriteUInt32BigEndian(cdb.Slice(6), allocationLength);
            }

            return length;
        }

        public static int ReadCapacity10(Span<byte> cdb) => Start(cdb, ReadCapacity10Opcode, 10);

        /// <summary>READ CAPACITY(16): SERVICE ACTION IN(16) with service action 10h.</summary>
        public static int ReadCapacity16(uint allocationLength, Span<byte> cdb)
        {
            int length = Start(cdb, ServiceActionIn16Opcode, 16);
            if (length > 0)
            {
                cdb[1] = ReadCapacity16ServiceAction;
                BinaryPrimitives.WriteUInt32BigEndian(cdb.Slice(10), allocationLength);
            }

            return length;
        }

        /// <summary>REQUEST SENSE; the DESC bit asks for descriptor-format sense instead of fixed.</summary>
        public static int RequestSense(byte allocationLength, Span<byte> cdb, bool descriptorFormat = false)
        {
            int length = Start(cdb, RequestSenseOpcode, 6);
            if (length > 0)
            {
                cdb[1] = descriptorFormat ? (byte)0x01 : (byte)0x00;
                cdb[4] = allocationLength;
            }

            return length;
        }

        public static int Read10(uint lba, ushort blocks, Span<byte> cdb) => Transfer10(Read10Opcode, lba, blocks, cdb);

        public static int Write10(uint lba, ushort blocks, Span<byte> cdb) => Transfer10(Write10Opcode, lba, blocks, cdb);

        public static int Read16(ulong lba, uint blocks, Span<byte> cdb) => Transfer16(Read16Opcode, lba, blocks, cdb);

        public static int Write16(ulong lba, uint blocks, Span<byte> cdb) => Transfer16(Write16Opcode, lba, blocks, cdb);

        /// <summary>
        /// READ or WRITE in the shortest form that can carry the request: the 10-byte CDB while the
        /// whole range lies below block 2^32 (2 TiB at 512 bytes a block) and the count fits 16 bits,
        /// the 16-byte one otherwise. Older targets may lack the 16-byte commands, so small disks
        /// never need them.
        /// </summary>
        public static int ReadOrWrite(bool write, ulong lba, uint blocks, Span<byte> cdb)
        {
            // Written as lba <= limit - blocks so a huge LBA cannot wrap the sum around. The LBA
            // itself must fit 32 bits too: with a count of 0 the range test alone would let LBA
            // 2^32 through and truncate it to block 0.
            if (blocks <= 0xFFFF && lba <= TenByteLbaLimit - blocks && lba < TenByteLbaLimit)
            {
                return Transfer10(write ? Write10Opcode : Read10Opcode, (uint)lba, (ushort)blocks, cdb);
            }

            return Transfer16(write ? Write16Opcode : Read16Opcode, lba, blocks, cdb);
        }

        private static int Transfer10(byte opcode, uint lba, ushort blocks, Span<byte> cdb)
        {
            int length = Start(cdb, opcode, 10);
            if (length > 0)
            {
                BinaryPrimitives.WriteUInt32BigEndian(cdb.Slice(2), lba);
                BinaryPrimitives.WriteUInt16BigEndian(cdb.Slice(7), blocks);
            }

            return length;
        }

        private static int Transfer16(byte opcode, ulong lba, uint blocks, Span<byte> cdb)
        {
            int length = Start(cdb, opcode, 16);
            if (length > 0)
            {
                BinaryPrimitives.WriteUInt64BigEndian(cdb.Slice(2), lba);
                BinaryPrimitives.WriteUInt32BigEndian(cdb.Slice(10), blocks);
            }

            return length;
        }

        /// <summary>Zeroes the CDB (flags, group number and control byte all default to 0) and sets the opcode.</summary>
        private static int Start(Span<byte> cdb, byte opcode, int length)
        {
            if (cdb.Length < length)
            {
                return -1;
            }

            cdb.Slice(0, length).Clear();
            cdb[0] = opcode;
            return length;
        }

        /// <summary>A text field with the space (and NUL) padding SPC-4 puts around it removed.</summary>
        internal static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> field)
        {
            int start = 0;
            int end = field.Length;
            while (start < end && (field[start] == (byte)' ' || field[start] == 0))
            {
                start++;
            }

            while (end > start && (field[end - 1] == (byte)' ' || field[end - 1] == 0))
            {
                end--;
            }

            return field.Slice(start, end - start);
        }

        /// <summary>
        /// Reads a VPD page header (SPC-4 §7.8.1): the page code at byte 1 and the page length at
        /// 2..3. <paramref name="requiredLength"/> is what the whole page needs, so a caller whose
        /// allocation length was too small can ask again.
        /// </summary>
        public static bool TryReadVpdHeader(ReadOnlySpan<byte> data, out byte pageCode, out int requiredLength)
        {
            if (data.Length < 4)
            {
                pageCode = 0;
                requiredLength = 0;
                return false;
            }

            pageCode = data[1];
            requiredLength = 4 + BinaryPrimitives.ReadUInt16BigEndian(data.Slice(2));
            return true;
        }
    }
}
