// An iBFT reader written for the tests from the table layout (IBM/Microsoft iBFT revision 1,
// as Linux's drivers/firmware/iscsi_ibft.c reads it), independent of the builder: every offset
// here is a literal from the specification, not a constant of IbftTable. It follows the control
// structure's offsets the way an OS does and checks the rules Linux checks before trusting them.
using System;
using System.Buffers.Binary;
using System.Text;

namespace Bootstage.Boot.Tests.Ibft
{
    internal readonly struct IbftStructure
    {
        public IbftStructure(int offset, byte id, byte version, ushort length, byte index, byte flags)
        {
            Offset = offset;
            Id = id;
            Version = version;
            Length = length;
            Index = index;
            Flags = flags;
        }

        public int Offset { get; }
        public byte Id { get; }
        public byte Version { get; }
        public ushort Length { get; }
        public byte Index { get; }
        public byte Flags { get; }
    }

    /// <summary>One (length, offset) string field as stored, plus the text it points at.</summary>
    internal readonly struct IbftString
    {
        public IbftString(ushort length, ushort offset, string? text, bool nulTerminated)
        {
            Length = length;
            Offset = offset;
            Text = text;
            NulTerminated = nulTerminated;
        }

        public ushort Length { get; }
        public ushort Offset { get; }
        public string? Text { get; }
        public bool NulTerminated { get; }
        public bool Absent => Length == 0 && Offset == 0;
    }

    internal sealed class IbftReader
    {
        private readonly byte[] _table;

        public IbftReader(ReadOnlySpan<byte> table)
        {
            _table = table.ToArray();
        }

        public ReadOnlySpan<byte> Bytes => _table;

        public string Signature => Encoding.ASCII.GetString(_table, 0, 4);
        public uint Length => BinaryPrimitives.ReadUInt32LittleEndian(_table.AsSpan(4));
        public byte Revision => _table[8];
        public byte Checksum => _table[9];
        public ReadOnlySpan<byte> OemId => _table.AsSpan(10, 6);
        public ReadOnlySpan<byte> OemTableId => _table.AsSpan(16, 8);
        public ReadOnlySpan<byte> Reserved => _table.AsSpan(36, 12);

        // Control structure: right after the 48-byte header.
        public IbftStructure Control => Header(48);
        public ushort Extensions => U16(48 + 6);
        public ushort InitiatorOffset => U16(48 + 8);
        public ushort Nic0Offset => U16(48 + 10);
        public ushort Target0Offset => U16(48 + 12);
        public ushort Nic1Offset => U16(48 + 14);
        public ushort Target1Offset => U16(48 + 16);

        public IbftStructure Initiator => Header(InitiatorOffset);
        public IbftStructure Nic => Header(Nic0Offset);
        public IbftStructure Target => Header(Target0Offset);

        // Initiator: header, iSNS, SLP, RADIUS 1 and 2 (16 bytes each), then the name.
        public ReadOnlySpan<byte> InitiatorAddress(int which) => _table.AsSpan(InitiatorOffset + 6 + 16 * which, 16);
        public IbftString InitiatorName => String(InitiatorOffset + 70);

        // NIC: header, IP, prefix, origin, gateway, DNS 1, DNS 2, DHCP, VLAN, MAC, PCI BDF, host name.
        public ReadOnlySpan<byte> NicIp => _table.AsSpan(Nic0Offset + 6, 16);
        public byte NicPrefix => _table[Nic0Offset + 22];
        public byte NicOrigin => _table[Nic0Offset + 23];
        public ReadOnlySpan<byte> NicGateway => _table.AsSpan(Nic0Offset + 24, 16);
        public ReadOnlySpan<byte> NicPrimaryDns => _table.AsSpan(Nic0Offset + 40, 16);
        public ReadOnlySpan<byte> NicSecondaryDns => _table.AsSpan(Nic0Offset + 56, 16);
        public ReadOnlySpan<byte> NicDhcp => _table.AsSpan(Nic0Offset + 72, 16);
        public ushort NicVlan => U16(Nic0Offset + 88);
        public ReadOnlySpan<byte> NicMac => _table.AsSpan(Nic0Offset + 90, 6);
        public ushort NicPciBdf => U16(Nic0Offset + 96);
        public IbftString NicHostName => String(Nic0Offset + 98);

        // Target: header, IP, port, LUN, CHAP type, NIC association, five strings.
        public ReadOnlySpan<byte> TargetIp => _table.AsSpan(Target0Offset + 6, 16);
        public ushort TargetPort => U16(Target0Offset + 22);
        public ReadOnlySpan<byte> TargetLun => _table.AsSpan(Target0Offset + 24, 8);
        public byte TargetChapType => _table[Target0Offset + 32];
        public byte TargetNicAssociation => _table[Target0Offset + 33];
        public IbftString TargetName => String(Target0Offset + 34);
        public IbftString ChapName => String(Target0Offset + 38);
        public IbftString ChapSecret => String(Target0Offset + 42);
        public IbftString ReverseChapName => String(Target0Offset + 46);
        public IbftString ReverseChapSecret => String(Target0Offset + 50);

        /// <summary>The IPv4 address in an ::ffff:a.b.c.d field, or null when the field is not IPv4-mapped.</summary>
        public static string? MappedIpv4(ReadOnlySpan<byte> field)
        {
            for (int i = 0; i < 10; i++)
            {
                if (field[i] != 0)
                {
                    return null;
                }
            }

            if (field[10] != 0xFF || field[11] != 0xFF)
            {
                return null;
            }

            return field[12] + "." + field[13] + "." + field[14] + "." + field[15];
        }

        private IbftStructure Header(int offset)
        {
            return new IbftStructure(offset, _table[offset], _table[offset + 1], U16(offset + 2), _table[offset + 4], _table[offset + 5]);
        }

        private ushort U16(int offset) => BinaryPrimitives.ReadUInt16LittleEndian(_table.AsSpan(offset));

        private IbftString String(int field)
        {
            ushort length = U16(field);
            ushort offset = U16(field + 2);
            if (length == 0 || offset + length >= _table.Length)
            {
                return new IbftString(length, offset, null, false);
            }

            return new IbftString(length, offset, Encoding.ASCII.GetString(_table, offset, length), _table[offset + length] == 0);
        }
    }
}
