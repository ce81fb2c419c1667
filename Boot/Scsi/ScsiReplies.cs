// Parsers for the replies to the SAN boot path's SCSI commands: standard INQUIRY data, the unit
// serial number (0x80) and device identification (0x83) VPD pages (SPC-4 §6.6, §7.8), REPORT LUNS
// (SPC-4 §6.33) and READ CAPACITY(10)/(16) (SBC-3 §5.16, §5.17). Each is given exactly the bytes
// the target sent, checks every length it reads against them, and returns false on data too
// short or inconsistent to trust: a target's reply never makes us read out of bounds.
using System;
using System.Buffers.Binary;

namespace Bootstage.Boot.Scsi
{
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
