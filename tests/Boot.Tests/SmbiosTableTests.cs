// SMBIOS parsing for the initiator name fallback: entry points of both generations found only
// with valid checksums, the type 1 UUID found behind other structures and their string sets,
// and the "not present"/"not set" UUIDs and truncated tables refused.
using System;
using System.Buffers.Binary;
using Bootstage.Boot;

namespace Bootstage.Boot.Tests
{
    public class SmbiosTableTests
    {
        private static readonly byte[] Uuid = { 0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };

        private static void FixChecksum(Span<byte> data, int at)
        {
            data[at] = 0;
            byte sum = 0;
            foreach (byte b in data)
            {
                sum += b;
            }

            data[at] = (byte)(0 - sum);
        }

        private static byte[] BiosAreaWith21EntryPoint(int offset, uint table, ushort length)
        {
            byte[] area = new byte[SmbiosTable.BiosAreaLength];
            Span<byte> ep = area.AsSpan(offset, 0x1F);
            "_SM_"u8.CopyTo(ep);
            ep[5] = 0x1F;
            "_DMI_"u8.CopyTo(ep.Slice(0x10));
            BinaryPrimitives.WriteUInt16LittleEndian(ep.Slice(0x16), length);
            BinaryPrimitives.WriteUInt32LittleEndian(ep.Slice(0x18), table);
            FixChecksum(ep.Slice(0x10, 0x0F), 0x05);
            FixChecksum(ep, 0x04);
            return area;
        }

        private static byte[] Table(byte[] uuid)
        {
            // Type 0 (BIOS) with two strings, then type 1 with the UUID and one string, then 127.
            byte[] type0 = { 0, 0x12, 0, 0, 1, 2, 0, 0xE0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
            byte[] strings0 = { (byte)'S', (byte)'e', (byte)'a', 0, (byte)'1', 0, 0 };
            byte[] type1 = new byte[0x1B];
            type1[0] = 1;
            type1[1] = 0x1B;
            type1[4] = 1;
            uuid.CopyTo(type1, 8);
            byte[] strings1 = { (byte)'Q', 0, 0 };
            byte[] end = { 127, 4, 0, 0, 0, 0 };
            byte[] all = new byte[type0.Length + strings0.Length + type1.Length + strings1.Length + end.Length];
            int at = 0;
            foreach (byte[] part in new[] { type0, strings0, type1, strings1, end })
            {
                part.CopyTo(all, at);
                at += part.Length;
            }

            return all;
        }

        [Fact]
        public void Finds_a_2_1_entry_point_on_a_16_byte_boundary_and_its_table()
        {
            byte[] area = BiosAreaWith21EntryPoint(0x15A0, 0x0FFE0000, 0x1234);
            Assert.True(SmbiosTable.TryFindEntryPoint(area, out ulong address, out int length));
            Assert.Equal(0x0FFE0000UL, address);
            Assert.Equal(0x1234, length);
        }

        [Fact]
        public void An_entry_point_with_a_bad_checksum_is_ignored()
        {
            byte[] area = BiosAreaWith21EntryPoint(0x100, 0x0FFE0000, 0x1234);
            area[0x100 + 0x18] ^= 0x01;
            Assert.False(SmbiosTable.TryFindEntryPoint(area, out _, out _));
        }

        [Fact]
        public void Finds_a_3_0_entry_point()
        {
            byte[] area = new byte[SmbiosTable.BiosAreaLength];
            Span<byte> ep = area.AsSpan(0x220, 0x18);
            "_SM3_"u8.CopyTo(ep);
            ep[6] = 0x18;
            BinaryPrimitives.WriteUInt32LittleEndian(ep.Slice(0x0C), 0x800);
            BinaryPrimitives.WriteUInt64LittleEndian(ep.Slice(0x10), 0x1_2345_6000);
            FixChecksum(ep, 0x05);
            Assert.True(SmbiosTable.TryFindEntryPoint(area, out ulong address, out int length));
            Assert.Equal(0x1_2345_6000UL, address);
            Assert.Equal(0x800, length);
        }

        [Fact]
        public void The_system_uuid_is_found_behind_other_structures_and_their_strings()
        {
            byte[] uuid = new byte[16];
            Assert.True(SmbiosTable.TryFindSystemUuid(Table(Uuid), uuid));
            Assert.Equal(Uuid, uuid);
            byte[] text = new byte[36];
            Assert.Equal(36, Bootstage.Boot.Iscsi.InitiatorName.FormatSmbiosUuid(uuid, text));
            Assert.Equal("12345678-9abc-def0-1122-334455667788", System.Text.Encoding.ASCII.GetString(text));
        }

        [Theory]
        [InlineData(0x00)]
        [InlineData(0xFF)]
        public void A_uuid_that_is_not_present_or_not_set_is_refused(byte fill)
        {
            byte[] blank = new byte[16];
            Array.Fill(blank, fill);
            Assert.False(SmbiosTable.TryFindSystemUuid(Table(blank), new byte[16]));
        }

        [Fact]
        public void A_truncated_table_is_refused_without_reading_past_it()
        {
            byte[] table = Table(Uuid);
            for (int cut = 0; cut < 0x12 + 7 + 0x18; cut++)
            {
                Assert.False(SmbiosTable.TryFindSystemUuid(table.AsSpan(0, cut), new byte[16]));
            }
        }
    }
}
