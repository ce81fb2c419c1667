// SCSI command descriptor blocks the SAN boot path sends, and parsers for their replies.
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

    /// <summary>Standard INQUIRY data (SPC-4 §6.6.2).</summary>
    public readonly ref struct InquiryData
    {
        public const byte DirectAccessBlockDevice = 0x00;
        public const byte CdDvdDevice = 0x05;
        public const byte UnknownDeviceType = 0x1F;

        /// <summary>Bytes up to and including the product revision, which SPC-4 requires of every target.</summary>
        public const int MinimumLength = 36;

        private readonly ReadOnlySpan<byte> _data;

        private InquiryData(ReadOnlySpan<byte> data)
        {
            _data = data;
        }

        /// <summary>0: a logical unit is connected; 1: supported but not connected; 3: no logical unit here.</summary>
        public byte PeripheralQualifier => (byte)(_data[0] >> 5);

        public byte DeviceType => (byte)(_data[0] & 0x1F);

        public bool IsLogicalUnitPresent => PeripheralQualifier == 0;

        public bool Removable => (_data[1] & 0x80) != 0;

        public byte Version => _data[2];

        public byte ResponseDataFormat => (byte)(_data[3] & 0x0F);

        public ReadOnlySpan<byte> Vendor => ScsiCdb.Trim(_data.Slice(8, 8));

        public ReadOnlySpan<byte> Product => ScsiCdb.Trim(_data.Slice(16, 16));

        public ReadOnlySpan<byte> Revision => ScsiCdb.Trim(_data.Slice(32, 4));

        public static bool TryParse(ReadOnlySpan<byte> data, out InquiryData inquiry)
        {
            inquiry = default;

            // The additional length (byte 4) counts the bytes after it; a target claiming fewer than
            // the mandatory 36 in total is not giving us the identification fields.
            if (data.Length < MinimumLength || data[4] + 5 < MinimumLength)
            {
                return false;
            }

            inquiry = new InquiryData(data);
            return true;
        }
    }

    /// <summary>The Unit Serial Number VPD page, 80h (SPC-4 §7.8.15).</summary>
    public readonly ref struct UnitSerialNumberPage
    {
        private readonly ReadOnlySpan<byte> _serial;

        private UnitSerialNumberPage(ReadOnlySpan<byte> serial)
        {
            _serial = serial;
        }

        /// <summary>The serial number with its padding removed; empty when the target has none.</summary>
        public ReadOnlySpan<byte> SerialNumber => _serial;

        /// <summary>False when the page is not 80h or was cut short (ask again with the header's required length).</summary>
        public static bool TryParse(ReadOnlySpan<byte> data, out UnitSerialNumberPage page)
        {
            page = default;
            if (!ScsiCdb.TryReadVpdHeader(data, out byte pageCode, out int requiredLength)
                || pageCode != ScsiCdb.UnitSerialNumberPageCode || requiredLength > data.Length)
            {
                return false;
            }

            page = new UnitSerialNumberPage(ScsiCdb.Trim(data.Slice(4, requiredLength - 4)));
            return true;
        }
    }

    public enum DesignatorCodeSet : byte
    {
        Binary = 1,
        Ascii = 2,
        Utf8 = 3,
    }

    public enum DesignatorType : byte
    {
        VendorSpecific = 0,
        T10VendorId = 1,
        Eui64 = 2,
        Naa = 3,
        RelativeTargetPort = 4,
        TargetPortGroup = 5,
        LogicalUnitGroup = 6,
        Md5LogicalUnitIdentifier = 7,
        ScsiNameString = 8,
        ProtocolSpecificPortIdentifier = 9,
    }

    public enum DesignatorAssociation : byte
    {
        LogicalUnit = 0,
        TargetPort = 1,
        TargetDevice = 2,
    }

    /// <summary>One designation descriptor of the Device Identification VPD page (SPC-4 §7.8.6.1).</summary>
    public readonly ref struct Designator
    {
        private readonly ReadOnlySpan<byte> _descriptor;

        internal Designator(ReadOnlySpan<byte> descriptor)
        {
            _descriptor = descriptor;
        }

        public byte ProtocolIdentifier => (byte)(_descriptor[0] >> 4);

        public DesignatorCodeSet CodeSet => (DesignatorCodeSet)(_descriptor[0] & 0x0F);

        /// <summary>PIV: whether <see cref="ProtocolIdentifier"/> means anything.</summary>
        public bool ProtocolIdentifierValid => (_descriptor[1] & 0x80) != 0;

        public DesignatorAssociation Association => (DesignatorAssociation)((_descriptor[1] >> 4) & 0x03);

        public DesignatorType Type => (DesignatorType)(_descriptor[1] & 0x0F);

        public ReadOnlySpan<byte> Identifier => _descriptor.Slice(4);
    }

    /// <summary>The Device Identification VPD page, 83h (SPC-4 §7.8.6).</summary>
    public readonly ref struct DeviceIdentificationPage
    {
        private readonly ReadOnlySpan<byte> _descriptors;

        private DeviceIdentificationPage(ReadOnlySpan<byte> descriptors)
        {
            _descriptors = descriptors;
        }

        /// <summary>False when the page is not 83h or was cut short (ask again with the header's required length).</summary>
        public static bool TryParse(ReadOnlySpan<byte> data, out DeviceIdentificationPage page)
        {
            page = default;
            if (!ScsiCdb.TryReadVpdHeader(data, out byte pageCode, out int requiredLength)
                || pageCode != ScsiCdb.DeviceIdentificationPageCode || requiredLength > data.Length)
            {
                return false;
            }

            page = new DeviceIdentificationPage(data.Slice(4, requiredLength - 4));
            return true;
        }

        public DesignatorEnumerator GetEnumerator() => new DesignatorEnumerator(_descriptors);

        /// <summary>
        /// Walks the designators in order. It stops early, setting <see cref="IsMalformed"/>, at a
        /// descriptor whose header or stated length runs past the page.
        /// </summary>
        public ref struct DesignatorEnumerator
        {
            private readonly ReadOnlySpan<byte> _descriptors;
            private int _next;
            private ReadOnlySpan<byte> _current;

            internal DesignatorEnumerator(ReadOnlySpan<byte> descriptors)
            {
                _descriptors = descriptors;
                _next = 0;
                _current = default;
                IsMalformed = false;
            }

            public bool IsMalformed { get; private set; }

            public Designator Current => new Designator(_current);

            public bool MoveNext()
            {
                int remaining = _descriptors.Length - _next;
                if (remaining == 0 || IsMalformed)
                {
                    return false;
                }

                if (remaining < 4 || 4 + _descriptors[_next + 3] > remaining)
                {
                    IsMalformed = true;
                    return false;
                }

                int length = 4 + _descriptors[_next + 3];
                _current = _descriptors.Slice(_next, length);
                _next += length;
                return true;
            }
        }
    }

    /// <summary>REPORT LUNS parameter data (SPC-4 §6.33): a byte count, 4 reserved bytes, 8-byte LUNs.</summary>
    public readonly ref struct ReportLunsData
    {
        private readonly ReadOnlySpan<byte> _luns;
        private readonly uint _listLength;

        private ReportLunsData(ReadOnlySpan<byte> luns, uint listLength)
        {
            _luns = luns;
            _listLength = listLength;
        }

        /// <summary>LUNs fully received; fewer than the target has when <see cref="IsTruncated"/>.</summary>
        public int Count => _luns.Length / 8;

        /// <summary>The allocation length was too small for the whole list: ask again with <see cref="RequiredLength"/>.</summary>
        public bool IsTruncated => (ulong)_luns.Length < _listLength;

        public ulong RequiredLength => 8 + (ulong)_listLength;

        /// <summary>The LUN at <paramref name="index"/> as a big-endian 8-byte number, as a root path's LUN is held.</summary>
        public bool TryGetLun(int index, out ulong lun)
        {
            if (index < 0 || index >= Count)
            {
                lun = 0;
                return false;
            }

            lun = BinaryPrimitives.ReadUInt64BigEndian(_luns.Slice(index * 8, 8));
            return true;
        }

        public bool Contains(ulong lun)
        {
            for (int i = 0; i < Count; i++)
            {
                if (BinaryPrimitives.ReadUInt64BigEndian(_luns.Slice(i * 8, 8)) == lun)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// False when the 8-byte header is missing or the list length is not a whole number of LUNs.
        /// A list longer than what arrived is not an error: the complete LUNs are kept.
        /// </summary>
        public static bool TryParse(ReadOnlySpan<byte> data, out ReportLunsData report)
        {
            report = default;
            if (data.Length < 8)
            {
                return false;
            }

            uint listLength = BinaryPrimitives.ReadUInt32BigEndian(data);
            if ((listLength & 7) != 0)
            {
                return false;
            }

            // The list length comes from the target and may be anything: take the smaller of it and
            // what arrived, and only whole 8-byte LUNs.
            int available = data.Length - 8;
            int usable = (ulong)available < listLength ? available : (int)listLength;
            report = new ReportLunsData(data.Slice(8, usable & ~7), listLength);
            return true;
        }

        public LunEnumerator GetEnumerator() => new LunEnumerator(_luns);

        public ref struct LunEnumerator
        {
            private readonly ReadOnlySpan<byte> _luns;
            private int _offset;

            internal LunEnumerator(ReadOnlySpan<byte> luns)
            {
                _luns = luns;
                _offset = -8;
            }

            public ulong Current => BinaryPrimitives.ReadUInt64BigEndian(_luns.Slice(_offset, 8));

            /// <summary>The current LUN as the 8 bytes the target sent.</summary>
            public ReadOnlySpan<byte> CurrentBytes => _luns.Slice(_offset, 8);

            public bool MoveNext()
            {
                if (_offset + 16 > _luns.Length)
                {
                    return false;
                }

                _offset += 8;
                return true;
            }
        }
    }

    /// <summary>READ CAPACITY(10) parameter data (SBC-3 §5.15.2).</summary>
    public readonly struct ReadCapacity10Data
    {
        public const int Length = 8;

        private ReadCapacity10Data(uint lastLba, uint blockLength)
        {
            LastLba = lastLba;
            BlockLength = blockLength;
        }

        public uint LastLba { get; }

        public uint BlockLength { get; }

        public ulong BlockCount => (ulong)LastLba + 1;

        /// <summary>The capacity does not fit 32 bits (the target reports FFFFFFFFh): use READ CAPACITY(16).</summary>
        public bool NeedsReadCapacity16 => LastLba == 0xFFFFFFFF;

        /// <summary>False on fewer than 8 bytes or a zero block length.</summary>
        public static bool TryParse(ReadOnlySpan<byte> data, out ReadCapacity10Data capacity)
        {
            capacity = default;
            if (data.Length < Length)
            {
                return false;
            }

            uint blockLength = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(4));
            if (blockLength == 0)
            {
                return false;
            }

            capacity = new ReadCapacity10Data(BinaryPrimitives.ReadUInt32BigEndian(data), blockLength);
            return true;
        }
    }

    /// <summary>READ CAPACITY(16) parameter data (SBC-3 §5.16.2).</summary>
    public readonly struct ReadCapacity16Data
    {
        /// <summary>The LBA and block length every reply must carry; the rest is optional here.</summary>
        public const int MinimumLength = 12;

        /// <summary>Bytes up to and including the provisioning and alignment fields.</summary>
        public const int DetailLength = 16;

        private ReadCapacity16Data(ulong lastLba, uint blockLength, bool hasDetails, byte protection, byte exponents, ushort provisioning)
        {
            LastLba = lastLba;
            BlockLength = blockLength;
            HasDetails = hasDetails;
            ProtectionEnabled = (protection & 0x01) != 0;
            ProtectionType = (byte)((protection >> 1) & 0x07);
            LogicalBlocksPerPhysicalBlockExponent = (byte)(exponents & 0x0F);
            ThinProvisioningEnabled = (provisioning & 0x8000) != 0;
            ThinProvisioningReadsZeros = (provisioning & 0x4000) != 0;
            LowestAlignedLba = (ushort)(provisioning & 0x3FFF);
        }

        public ulong LastLba { get; }

        public uint BlockLength { get; }

        /// <summary>Saturates at ulong.MaxValue for the (theoretical) last LBA of FFFF...FFFFh.</summary>
        public ulong BlockCount => LastLba == ulong.MaxValue ? ulong.MaxValue : LastLba + 1;

        /// <summary>True when bytes 12..15 arrived and the fields below mean something.</summary>
        public bool HasDetails { get; }

        public bool ProtectionEnabled { get; }

        public byte ProtectionType { get; }

        /// <summary>Physical block = 2^exponent logical blocks (a 4Kn-emulating 512e disk reports 3).</summary>
        public byte LogicalBlocksPerPhysicalBlockExponent { get; }

        /// <summary>LBPME: the logical unit is thin provisioned.</summary>
        public bool ThinProvisioningEnabled { get; }

        /// <summary>LBPRZ: unmapped blocks read as zeros.</summary>
        public bool ThinProvisioningReadsZeros { get; }

        public ushort LowestAlignedLba { get; }

        /// <summary>False on fewer than 12 bytes or a zero block length.</summary>
        public static bool TryParse(ReadOnlySpan<byte> data, out ReadCapacity16Data capacity)
        {
            capacity = default;
            if (data.Length < MinimumLength)
            {
                return false;
            }

            uint blockLength = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(8));
            if (blockLength == 0)
            {
                return false;
            }

            bool hasDetails = data.Length >= DetailLength;
            capacity = new ReadCapacity16Data(
                BinaryPrimitives.ReadUInt64BigEndian(data),
                blockLength,
                hasDetails,
                hasDetails ? data[12] : (byte)0,
                hasDetails ? data[13] : (byte)0,
                hasDetails ? BinaryPrimitives.ReadUInt16BigEndian(data.Slice(14)) : (ushort)0);
            return true;
        }
    }
}
