// Builds an iSCSI Boot Firmware Table, table revision 1, in the layout of IBM/Microsoft's
// "iSCSI Boot Firmware Table (iBFT) as Defined in ACPI 3.0b Specification" (v1.02/1.03), which
// Linux (drivers/firmware/iscsi_ibft.c) and Windows read back. The table is a 36-byte ACPI
// header plus 12 reserved bytes, then the control structure, one initiator, NIC 0 and target 0,
// each starting on an 8-byte boundary as the specification requires, then a string area. Every
// multi-byte number is little-endian except the addresses (network order inside an IPv4-mapped
// IPv6 address) and the LUN (SAM byte order, as on the wire). Strings are (length, offset from
// the table start) pairs pointing at NUL-terminated bytes; an absent string is (0, 0). Nothing
// is allocated and nothing is written unless the whole table fits. docs/ibft.md has the
// field-by-field layout and where the table must be placed in memory.
using System;
using System.Buffers.Binary;
using Bootstage.Net;

namespace Bootstage.Boot.Ibft
{
    public enum IbftStatus
    {
        Ok,
        NoDescription,
        DestinationTooSmall,
        MissingInitiatorName,
        MissingTargetName,
        MissingNicAddress,
        BadTargetAddress,
        StringTooLong,
        StringContainsNul,
        BadOemId,
        BadMac,
        BadPrefixLength,
        BadPciLocation,
        IncompleteChap,
        ReverseChapWithoutChap,
    }

    public static class IbftTable
    {
        /// <summary>The only table revision written (and the only one Linux accepts).</summary>
        public const byte Revision = 1;

        /// <summary>Longest string accepted in any string field (DHCP text options are at most 255 bytes).</summary>
        public const int MaxStringLength = 255;

        /// <summary>Lowest physical address Linux scans for the signature (512 KiB).</summary>
        public const ulong SearchStart = 0x80000;

        /// <summary>End (exclusive) of Linux's scan: 1 MiB; the table must also end below it.</summary>
        public const ulong SearchEnd = 0x100000;

        /// <summary>The scan steps in 16 bytes, so the table must start on a 16-byte boundary.</summary>
        public const int Alignment = 16;

        /// <summary>The VGA window the scan jumps over: [0xA0000, 0xC0000).</summary>
        public const ulong VgaHoleStart = 0xA0000;
        public const ulong VgaHoleEnd = 0xC0000;

        /// <summary>Every structure starts on a multiple of this from the table start.</summary>
        public const int StructureAlignment = 8;

        private const int StringFieldCount = 7;

        // Layout of the fixed part (offsets from the table start).
        private const int ChecksumAt = 9;
        private const int OemIdAt = 10;
        private const int OemIdLength = 6;
        private const int OemTableIdAt = 16;
        private const int OemTableIdLength = 8;
        private const int OemRevisionAt = 24;
        private const int CreatorIdAt = 28;
        private const int CreatorRevisionAt = 32;
        private const int ControlAt = 48;

        private const int HeaderSize = 6;
        private const int AddressSize = 16;
        private const int ControlSize = 18;
        private const int InitiatorSize = 74;
        private const int NicSize = 102;
        private const int TargetSize = 54;

        private const int InitiatorAt = (ControlAt + ControlSize + StructureAlignment - 1) & ~(StructureAlignment - 1);
        private const int NicAt = (InitiatorAt + InitiatorSize + StructureAlignment - 1) & ~(StructureAlignment - 1);
        private const int TargetAt = (NicAt + NicSize + StructureAlignment - 1) & ~(StructureAlignment - 1);
        private const int StringsAt = (TargetAt + TargetSize + StructureAlignment - 1) & ~(StructureAlignment - 1);

        /// <summary>The largest table <see cref="TryFormat"/> can produce: every string at its maximum.</summary>
        public const int MaxLength = StringsAt + StringFieldCount * (MaxStringLength + 1);

        // Structure IDs and flags.
        private const byte ControlId = 1;
        private const byte InitiatorId = 2;
        private const byte NicId = 3;
        private const byte TargetId = 4;
        private const byte StructureVersion = 1;
        private const byte FlagBlockValid = 0x01;
        private const byte FlagBootSelected = 0x02;

        // NIC origin values (the Windows NL_PREFIX_ORIGIN numbers the specification refers to).
        private const byte OriginManual = 1;
        private const byte OriginDhcp = 3;

        private const byte ChapNone = 0;
        private const byte ChapOneWay = 1;
        private const byte ChapMutual = 2;

        /// <summary>"iBFT", the table signature.</summary>
        public static ReadOnlySpan<byte> Signature => "iBFT"u8;

        /// <summary>Creator ID written into the ACPI header.</summary>
        public static ReadOnlySpan<byte> CreatorId => "BSTG"u8;

        /// <summary>Writes the table; false (with nothing written) when the description is unusable or the destination too small.</summary>
        public static bool TryFormat(IbftDescription description, Span<byte> destination, out int written)
        {
            return Format(description, destination, out written) == IbftStatus.Ok;
        }

        /// <summary>
        /// Writes the table into the start of <paramref name="destination"/> and reports why when it
        /// cannot. On failure <paramref name="written"/> is 0 and the destination is untouched; on
        /// success only the first <paramref name="written"/> bytes are changed.
        /// </summary>
        public static IbftStatus Format(IbftDescription? description, Span<byte> destination, out int written)
        {
            written = 0;
            if (description == null)
            {
                return IbftStatus.NoDescription;
            }

            IbftStatus status = Validate(description);
            if (status != IbftStatus.Ok)
            {
                return status;
            }

            int length = MeasureLength(description);
            if (destination.Length < length)
            {
                return IbftStatus.DestinationTooSmall;
            }

            Span<byte> table = destination.Slice(0, length);
            table.Clear();
            WriteHeader(table, description);
            WriteControl(table);

            int heap = StringsAt;
            WriteInitiator(table, description, ref heap);
            WriteNic(table, description, ref heap);
            WriteTarget(table, description, ref heap);

            table[ChecksumAt] = (byte)(0 - Sum(table));
            written = length;
            return IbftStatus.Ok;
        }

        /// <summary>The exact length <see cref="Format"/> would write, or -1 when the description is unusable.</summary>
        public static int Measure(IbftDescription? description)
        {
            if (description == null || Validate(description) != IbftStatus.Ok)
            {
                return -1;
            }

            return MeasureLength(description);
        }

        /// <summary>Checks every rule <see cref="Format"/> enforces, without writing anything.</summary>
        public static IbftStatus Validate(IbftDescription description)
        {
            if (Bytes(description.InitiatorName).IsEmpty)
            {
                return IbftStatus.MissingInitiatorName;
            }

            if (Bytes(description.TargetName).IsEmpty)
            {
                return IbftStatus.MissingTargetName;
            }

            if (description.Ip.IsZero)
            {
                return IbftStatus.MissingNicAddress;
            }

            if (description.TargetIp.IsZero || description.TargetPort == 0)
            {
                return IbftStatus.BadTargetAddress;
            }

            if (Bytes(description.OemId).Length > OemIdLength || Bytes(description.OemTableId).Length > OemTableIdLength)
            {
                return IbftStatus.BadOemId;
            }

            if (Bytes(description.Mac).Length != 6)
            {
                return IbftStatus.BadMac;
            }

            if (description.PrefixLength > 32)
            {
                return IbftStatus.BadPrefixLength;
            }

            if (description.PciDevice > 31 || description.PciFunction > 7)
            {
                return IbftStatus.BadPciLocation;
            }

            IbftStatus text = CheckString(description.InitiatorName);
            if (text == IbftStatus.Ok)
            {
                text = CheckString(description.HostName);
            }

            if (text == IbftStatus.Ok)
            {
                text = CheckString(description.TargetName);
            }

            if (text == IbftStatus.Ok)
            {
                text = CheckString(description.ChapName);
            }

            if (text == IbftStatus.Ok)
            {
                text = CheckString(description.ChapSecret);
            }

            if (text == IbftStatus.Ok)
            {
                text = CheckString(description.ReverseChapName);
            }

            if (text == IbftStatus.Ok)
            {
                text = CheckString(description.ReverseChapSecret);
            }

            if (text != IbftStatus.Ok)
            {
                return text;
            }

            bool chap = !Bytes(description.ChapName).IsEmpty;
            bool reverse = !Bytes(description.ReverseChapName).IsEmpty;
            if (chap == Bytes(description.ChapSecret).IsEmpty || reverse == Bytes(description.ReverseChapSecret).IsEmpty)
            {
                return IbftStatus.IncompleteChap;
            }

            if (reverse && !chap)
            {
                return IbftStatus.ReverseChapWithoutChap;
            }

            return IbftStatus.Ok;
        }

        /// <summary>
        /// True when a table of <paramref name="length"/> bytes at physical <paramref name="address"/>
        /// is where a BIOS-booted OS looks for it: 16-byte aligned, inside [512 KiB, 1 MiB), ending
        /// below 1 MiB, and clear of the VGA window that Linux's scan skips.
        /// </summary>
        public static bool IsScannedPlacement(ulong address, int length)
        {
            if (length <= 0 || (address & (Alignment - 1)) != 0 || address < SearchStart || address >= SearchEnd)
            {
                return false;
            }

            ulong end = address + (ulong)length;
            if (end > SearchEnd - 1)
            {
                return false;
            }

            return end <= VgaHoleStart || address >= VgaHoleEnd;
        }

        /// <summary>The prefix length of a contiguous subnet mask, or -1 when the mask has holes.</summary>
        public static int PrefixLength(Ipv4Address mask)
        {
            uint value = mask.Value;
            int bits = 0;
            while (bits < 32 && (value & (0x80000000u >> bits)) != 0)
            {
                bits++;
            }

            uint expected = bits == 0 ? 0u : 0xFFFFFFFFu << (32 - bits);
            return value == expected ? bits : -1;
        }

        public static ReadOnlySpan<byte> Describe(IbftStatus status)
        {
            switch (status)
            {
                case IbftStatus.Ok: return "iBFT written"u8;
                case IbftStatus.NoDescription: return "iBFT has no description to write"u8;
                case IbftStatus.DestinationTooSmall: return "iBFT does not fit the buffer"u8;
                case IbftStatus.MissingInitiatorName: return "iBFT needs an initiator name"u8;
                case IbftStatus.MissingTargetName: return "iBFT needs a target name"u8;
                case IbftStatus.MissingNicAddress: return "iBFT needs the NIC's IPv4 address"u8;
                case IbftStatus.BadTargetAddress: return "iBFT needs the target's IPv4 address and a non-zero port"u8;
                case IbftStatus.StringTooLong: return "iBFT string is longer than 255 bytes"u8;
                case IbftStatus.StringContainsNul: return "iBFT string contains a NUL byte"u8;
                case IbftStatus.BadOemId: return "iBFT OEM ID is longer than 6 bytes or OEM table ID longer than 8"u8;
                case IbftStatus.BadMac: return "iBFT MAC address is not 6 bytes"u8;
                case IbftStatus.BadPrefixLength: return "iBFT subnet prefix is longer than 32 bits"u8;
                case IbftStatus.BadPciLocation: return "iBFT PCI device must be 0-31 and function 0-7"u8;
                case IbftStatus.IncompleteChap: return "iBFT CHAP name and secret must be given together"u8;
                case IbftStatus.ReverseChapWithoutChap: return "iBFT mutual CHAP needs one-way CHAP too"u8;
                default: return "unknown iBFT status"u8;
            }
        }

        private static ReadOnlySpan<byte> Bytes(byte[]? value) => new ReadOnlySpan<byte>(value);

        private static IbftStatus CheckString(byte[]? value)
        {
            ReadOnlySpan<byte> text = Bytes(value);
            if (text.Length > MaxStringLength)
            {
                return IbftStatus.StringTooLong;
            }

            return text.IndexOf((byte)0) >= 0 ? IbftStatus.StringContainsNul : IbftStatus.Ok;
        }

        private static int MeasureLength(IbftDescription d)
        {
            return StringsAt + Stored(d.InitiatorName) + Stored(d.HostName) + Stored(d.TargetName)
                + Stored(d.ChapName) + Stored(d.ChapSecret) + Stored(d.ReverseChapName) + Stored(d.ReverseChapSecret);
        }

        /// <summary>Bytes a string takes in the string area: its text and a NUL, or nothing when absent.</summary>
        private static int Stored(byte[]? value)
        {
            int length = Bytes(value).Length;
            return length == 0 ? 0 : length + 1;
        }

        private static void WriteHeader(Span<byte> table, IbftDescription d)
        {
            Signature.CopyTo(table);
            BinaryPrimitives.WriteUInt32LittleEndian(table.Slice(4), (uint)table.Length);
            table[8] = Revision;
            Bytes(d.OemId).CopyTo(table.Slice(OemIdAt, OemIdLength));
            Bytes(d.OemTableId).CopyTo(table.Slice(OemTableIdAt, OemTableIdLength));
            BinaryPrimitives.WriteUInt32LittleEndian(table.Slice(OemRevisionAt), 1);
            CreatorId.CopyTo(table.Slice(CreatorIdAt, 4));
            BinaryPrimitives.WriteUInt32LittleEndian(table.Slice(CreatorRevisionAt), 1);
        }

        private static void WriteStructureHeader(Span<byte> table, int at, byte id, int size, byte flags)
        {
            table[at] = id;
            table[at + 1] = StructureVersion;
            BinaryPrimitives.WriteUInt16LittleEndian(table.Slice(at + 2), (ushort)size);
            table[at + 4] = 0;
            table[at + 5] = flags;
        }

        private static void WriteControl(Span<byte> table)
        {
            // Flags 0: the OS may log in to every listed target (there is only one).
            WriteStructureHeader(table, ControlAt, ControlId, ControlSize, 0);
            Span<byte> control = table.Slice(ControlAt);
            BinaryPrimitives.WriteUInt16LittleEndian(control.Slice(6), 0);
            BinaryPrimitives.WriteUInt16LittleEndian(control.Slice(8), InitiatorAt);
            BinaryPrimitives.WriteUInt16LittleEndian(control.Slice(10), NicAt);
            BinaryPrimitives.WriteUInt16LittleEndian(control.Slice(12), TargetAt);

            // NIC 1 and target 1 stay 0: not present.
        }

        private static void WriteInitiator(Span<byte> table, IbftDescription d, ref int heap)
        {
            WriteStructureHeader(table, InitiatorAt, InitiatorId, InitiatorSize, FlagBlockValid | FlagBootSelected);

            // iSNS, SLP and both RADIUS servers: none, left as zero addresses.
            int at = InitiatorAt + HeaderSize + 4 * AddressSize;
            WriteString(table, at, d.InitiatorName, ref heap);
        }

        private static void WriteNic(Span<byte> table, IbftDescription d, ref int heap)
        {
            WriteStructureHeader(table, NicAt, NicId, NicSize, FlagBlockValid | FlagBootSelected);
            int at = NicAt + HeaderSize;
            WriteAddress(table.Slice(at, AddressSize), d.Ip);
            at += AddressSize;
            table[at++] = d.PrefixLength;
            table[at++] = d.FromDhcp ? OriginDhcp : OriginManual;
            WriteAddress(table.Slice(at, AddressSize), d.Gateway);
            at += AddressSize;
            WriteAddress(table.Slice(at, AddressSize), d.PrimaryDns);
            at += AddressSize;
            WriteAddress(table.Slice(at, AddressSize), d.SecondaryDns);
            at += AddressSize;
            WriteAddress(table.Slice(at, AddressSize), d.DhcpServer);
            at += AddressSize;
            BinaryPrimitives.WriteUInt16LittleEndian(table.Slice(at), d.Vlan);
            at += 2;
            Bytes(d.Mac).CopyTo(table.Slice(at, 6));
            at += 6;

            // Bus in the high byte, then device (5 bits) and function (3 bits): Linux splits it that way.
            ushort location = (ushort)((d.PciBus << 8) | (d.PciDevice << 3) | d.PciFunction);
            BinaryPrimitives.WriteUInt16LittleEndian(table.Slice(at), location);
            at += 2;
            WriteString(table, at, d.HostName, ref heap);
        }

        private static void WriteTarget(Span<byte> table, IbftDescription d, ref int heap)
        {
            WriteStructureHeader(table, TargetAt, TargetId, TargetSize, FlagBlockValid | FlagBootSelected);
            int at = TargetAt + HeaderSize;
            WriteAddress(table.Slice(at, AddressSize), d.TargetIp);
            at += AddressSize;
            BinaryPrimitives.WriteUInt16LittleEndian(table.Slice(at), d.TargetPort);
            at += 2;

            // The LUN keeps the byte order of the 8-byte LUN field of an iSCSI PDU (first level first).
            BinaryPrimitives.WriteUInt64BigEndian(table.Slice(at), d.Lun);
            at += 8;

            byte chapType = ChapNone;
            if (!Bytes(d.ReverseChapName).IsEmpty)
            {
                chapType = ChapMutual;
            }
            else if (!Bytes(d.ChapName).IsEmpty)
            {
                chapType = ChapOneWay;
            }

            table[at++] = chapType;
            table[at++] = 0; // NIC association: NIC 0.
            WriteString(table, at, d.TargetName, ref heap);
            WriteString(table, at + 4, d.ChapName, ref heap);
            WriteString(table, at + 8, d.ChapSecret, ref heap);
            WriteString(table, at + 12, d.ReverseChapName, ref heap);
            WriteString(table, at + 16, d.ReverseChapSecret, ref heap);
        }

        /// <summary>An IPv4 address as ::ffff:a.b.c.d; zero (absent) stays all zeros.</summary>
        private static void WriteAddress(Span<byte> field, Ipv4Address address)
        {
            if (address.IsZero)
            {
                return;
            }

            field[10] = 0xFF;
            field[11] = 0xFF;
            address.Write(field.Slice(12, 4));
        }

        /// <summary>
        /// Appends a string to the string area and points the (length, offset) field at it; the NUL
        /// after it is already there because the table was cleared. An absent string stays (0, 0).
        /// </summary>
        private static void WriteString(Span<byte> table, int field, byte[]? value, ref int heap)
        {
            ReadOnlySpan<byte> text = Bytes(value);
            if (text.IsEmpty)
            {
                return;
            }

            BinaryPrimitives.WriteUInt16LittleEndian(table.Slice(field), (ushort)text.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(table.Slice(field + 2), (ushort)heap);
            text.CopyTo(table.Slice(heap));
            heap += text.Length + 1;
        }

        private static byte Sum(ReadOnlySpan<byte> bytes)
        {
            byte sum = 0;
            for (int i = 0; i < bytes.Length; i++)
            {
                sum += bytes[i];
            }

            return sum;
        }
    }
}
