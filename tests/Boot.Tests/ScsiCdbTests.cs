// SCSI CDB layouts byte for byte, the 10/16-byte READ/WRITE choice at its boundaries, and the
// reply parsers (INQUIRY, VPD 80h/83h, REPORT LUNS, READ CAPACITY) against short and lying data.
using System;
using System.Text;
using Bootstage.Boot.Scsi;

namespace Bootstage.Boot.Tests
{
    public class ScsiCdbTests
    {
        private static string Text(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes);

        private static byte[] Cdb(int length, Func<byte[], int> build)
        {
            byte[] cdb = new byte[32];
            Array.Fill(cdb, (byte)0xEE);
            Assert.Equal(length, build(cdb));
            return cdb.AsSpan(0, length).ToArray();
        }

        [Fact]
        public void Test_unit_ready_is_six_zero_bytes()
        {
            Assert.Equal(new byte[6], Cdb(6, c => ScsiCdb.TestUnitReady(c)));
        }

        [Fact]
        public void Inquiry_carries_evpd_page_code_and_a_16_bit_allocation_length()
        {
            Assert.Equal(new byte[] { 0x12, 0x00, 0x00, 0x00, 0x60, 0x00 }, Cdb(6, c => ScsiCdb.StandardInquiry(96, c)));
            Assert.Equal(new byte[] { 0x12, 0x01, 0x83, 0x01, 0x02, 0x00 }, Cdb(6, c => ScsiCdb.VpdInquiry(0x83, 0x0102, c)));
            Assert.Equal(new byte[] { 0x12, 0x01, 0x80, 0xFF, 0xFF, 0x00 }, Cdb(6, c => ScsiCdb.Inquiry(true, 0x80, 0xFFFF, c)));
        }

        [Fact]
        public void Report_luns_is_12_bytes_with_a_32_bit_allocation_length_at_6()
        {
            Assert.Equal(new byte[] { 0xA0, 0, 0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0, 0 }, Cdb(12, c => ScsiCdb.ReportLuns(0x01020304, c)));
            Assert.Equal(0x02, Cdb(12, c => ScsiCdb.ReportLuns(16, c, selectReport: 2))[2]);
        }

        [Fact]
        public void Read_capacity_10_is_opcode_25h_and_zeros()
        {
            Assert.Equal(new byte[] { 0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, Cdb(10, c => ScsiCdb.ReadCapacity10(c)));
        }

        [Fact]
        public void Read_capacity_16_is_service_action_in_with_action_10h()
        {
            Assert.Equal(
                new byte[] { 0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0 },
                Cdb(16, c => ScsiCdb.ReadCapacity16(32, c)));
        }

        [Fact]
        public void Request_sense_asks_for_fixed_format_unless_told_otherwise()
        {
            Assert.Equal(new byte[] { 0x03, 0x00, 0, 0, 252, 0 }, Cdb(6, c => ScsiCdb.RequestSense(252, c)));
            Assert.Equal(new byte[] { 0x03, 0x01, 0, 0, 252, 0 }, Cdb(6, c => ScsiCdb.RequestSense(252, c, descriptorFormat: true)));
        }

        [Fact]
        public void Read_and_write_10_put_a_32_bit_lba_at_2_and_a_16_bit_count_at_7()
        {
            Assert.Equal(new byte[] { 0x28, 0, 0x12, 0x34, 0x56, 0x78, 0, 0x9A, 0xBC, 0 }, Cdb(10, c => ScsiCdb.Read10(0x12345678, 0x9ABC, c)));
            Assert.Equal(new byte[] { 0x2A, 0, 0x12, 0x34, 0x56, 0x78, 0, 0x9A, 0xBC, 0 }, Cdb(10, c => ScsiCdb.Write10(0x12345678, 0x9ABC, c)));
        }

        [Fact]
        public void Read_and_write_16_put_a_64_bit_lba_at_2_and_a_32_bit_count_at_10()
        {
            byte[] expected = { 0x88, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x9A, 0xBC, 0xDE, 0xF0, 0, 0 };
            Assert.Equal(expected, Cdb(16, c => ScsiCdb.Read16(0x0102030405060708, 0x9ABCDEF0, c)));
            expected[0] = 0x8A;
            Assert.Equal(expected, Cdb(16, c => ScsiCdb.Write16(0x0102030405060708, 0x9ABCDEF0, c)));
        }

        [Fact]
        public void Builders_refuse_a_buffer_shorter_than_the_cdb()
        {
            Assert.Equal(-1, ScsiCdb.TestUnitReady(new byte[5]));
            Assert.Equal(-1, ScsiCdb.StandardInquiry(36, new byte[5]));
            Assert.Equal(-1, ScsiCdb.ReportLuns(16, new byte[11]));
            Assert.Equal(-1, ScsiCdb.ReadCapacity10(new byte[9]));
            Assert.Equal(-1, ScsiCdb.ReadCapacity16(32, new byte[15]));
            Assert.Equal(-1, ScsiCdb.Read10(0, 1, new byte[9]));
            Assert.Equal(-1, ScsiCdb.Read16(0, 1, new byte[15]));
            Assert.Equal(-1, ScsiCdb.ReadOrWrite(false, 0x1_0000_0000, 1, new byte[10]));
        }

        [Fact]
        public void Read_uses_the_10_byte_cdb_while_the_range_ends_at_or_below_block_2_pow_32()
        {
            byte[] cdb = Cdb(10, c => ScsiCdb.ReadOrWrite(false, 0xFFFF_FFFF, 1, c));
            Assert.Equal(0x28, cdb[0]);
            Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, cdb.AsSpan(2, 4).ToArray());
            Assert.Equal(0x28, Cdb(10, c => ScsiCdb.ReadOrWrite(false, 0x1_0000_0000 - 0xFFFF, 0xFFFF, c))[0]);
            Assert.Equal(0x2A, Cdb(10, c => ScsiCdb.ReadOrWrite(true, 0, 8, c))[0]);
        }

        [Fact]
        public void Read_switches_to_16_byte_CDB_when_the_range_crosses_2_TiB()
        {
            byte[] cdb = Cdb(16, c => ScsiCdb.ReadOrWrite(false, 0xFFFF_FFFF, 2, c));
            Assert.Equal(0x88, cdb[0]);
            Assert.Equal(new byte[] { 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF }, cdb.AsSpan(2, 8).ToArray());
            Assert.Equal(new byte[] { 0, 0, 0, 2 }, cdb.AsSpan(10, 4).ToArray());
            Assert.Equal(0x88, Cdb(16, c => ScsiCdb.ReadOrWrite(false, 0x1_0000_0000, 1, c))[0]);
            Assert.Equal(0x8A, Cdb(16, c => ScsiCdb.ReadOrWrite(true, 0x1_0000_0000, 0, c))[0]);
        }

        [Fact]
        public void Read_switches_to_16_byte_CDB_when_the_count_exceeds_0xFFFF()
        {
            byte[] cdb = Cdb(16, c => ScsiCdb.ReadOrWrite(false, 0, 0x1_0000, c));
            Assert.Equal(0x88, cdb[0]);
            Assert.Equal(new byte[] { 0, 1, 0, 0 }, cdb.AsSpan(10, 4).ToArray());
        }

        [Fact]
        public void A_huge_lba_does_not_wrap_into_the_10_byte_form()
        {
            Assert.Equal(0x88, Cdb(16, c => ScsiCdb.ReadOrWrite(false, ulong.MaxValue, 2, c))[0]);
        }

        private static byte[] StandardInquiryReply()
        {
            byte[] data = new byte[36];
            data[0] = 0x00;
            data[1] = 0x80;
            data[2] = 0x06;
            data[3] = 0x02;
            data[4] = 31;
            Encoding.ASCII.GetBytes("LIO-ORG ").CopyTo(data, 8);
            Encoding.ASCII.GetBytes("disk0           ").CopyTo(data, 16);
            Encoding.ASCII.GetBytes("4.0 ").CopyTo(data, 32);
            return data;
        }

        [Fact]
        public void Standard_inquiry_fields_come_out_trimmed()
        {
            Assert.True(InquiryData.TryParse(StandardInquiryReply(), out InquiryData inquiry));
            Assert.Equal(0, inquiry.PeripheralQualifier);
            Assert.Equal(InquiryData.DirectAccessBlockDevice, inquiry.DeviceType);
            Assert.True(inquiry.IsLogicalUnitPresent);
            Assert.True(inquiry.Removable);
            Assert.Equal(6, inquiry.Version);
            Assert.Equal(2, inquiry.ResponseDataFormat);
            Assert.Equal("LIO-ORG", Text(inquiry.Vendor));
            Assert.Equal("disk0", Text(inquiry.Product));
            Assert.Equal("4.0", Text(inquiry.Revision));
        }

        [Fact]
        public void Inquiry_reports_a_missing_logical_unit_through_the_qualifier()
        {
            byte[] data = StandardInquiryReply();
            data[0] = 0x7F;
            Assert.True(InquiryData.TryParse(data, out InquiryData inquiry));
            Assert.Equal(3, inquiry.PeripheralQualifier);
            Assert.Equal(InquiryData.UnknownDeviceType, inquiry.DeviceType);
            Assert.False(inquiry.IsLogicalUnitPresent);
        }

        [Fact]
        public void Truncated_or_self_shortened_inquiry_data_is_rejected()
        {
            byte[] data = StandardInquiryReply();
            Assert.False(InquiryData.TryParse(data.AsSpan(0, 35), out _));
            Assert.False(InquiryData.TryParse(ReadOnlySpan<byte>.Empty, out _));
            data[4] = 30;
            Assert.False(InquiryData.TryParse(data, out _));
        }

        [Fact]
        public void Unit_serial_number_page_is_read_within_its_page_length()
        {
            byte[] data = { 0x00, 0x80, 0x00, 0x06, (byte)' ', (byte)'S', (byte)'N', (byte)'1', (byte)' ', 0x00, 0xAA };
            Assert.True(UnitSerialNumberPage.TryParse(data, out UnitSerialNumberPage page));
            Assert.Equal("SN1", Text(page.SerialNumber));
        }

        [Fact]
        public void A_serial_page_longer_than_what_arrived_or_of_another_code_is_rejected()
        {
            byte[] data = { 0x00, 0x80, 0x00, 0x08, (byte)'S', (byte)'N', (byte)'1', (byte)'2' };
            Assert.False(UnitSerialNumberPage.TryParse(data, out _));
            Assert.True(ScsiCdb.TryReadVpdHeader(data, out byte code, out int required));
            Assert.Equal(0x80, code);
            Assert.Equal(12, required);
            Assert.False(UnitSerialNumberPage.TryParse(data.AsSpan(0, 3), out _));
            data[1] = 0x83;
            data[3] = 4;
            Assert.False(UnitSerialNumberPage.TryParse(data, out _));
        }

        private static byte[] DeviceIdentificationReply()
        {
            return new byte[]
            {
                0x00, 0x83, 0x00, 0x18,
                // NAA designator, binary, logical unit: 8 bytes.
                0x01, 0x03, 0x00, 0x08, 0x60, 0x01, 0x40, 0x05, 0x12, 0x34, 0x56, 0x78,
                // SCSI name string, UTF-8, target device, iSCSI with PIV: 8 bytes.
                0x53, 0xA8, 0x00, 0x08, (byte)'i', (byte)'q', (byte)'n', (byte)'.', (byte)'x', 0, 0, 0,
            };
        }

        [Fact]
        public void Device_identification_designators_are_walked_in_order()
        {
            Assert.True(DeviceIdentificationPage.TryParse(DeviceIdentificationReply(), out DeviceIdentificationPage page));
            DeviceIdentificationPage.DesignatorEnumerator designators = page.GetEnumerator();
            Assert.True(designators.MoveNext());
            Assert.Equal(DesignatorCodeSet.Binary, designators.Current.CodeSet);
            Assert.Equal(DesignatorType.Naa, designators.Current.Type);
            Assert.Equal(DesignatorAssociation.LogicalUnit, designators.Current.Association);
            Assert.False(designators.Current.ProtocolIdentifierValid);
            Assert.Equal(new byte[] { 0x60, 0x01, 0x40, 0x05, 0x12, 0x34, 0x56, 0x78 }, designators.Current.Identifier.ToArray());
            Assert.True(designators.MoveNext());
            Assert.Equal(DesignatorCodeSet.Utf8, designators.Current.CodeSet);
            Assert.Equal(DesignatorType.ScsiNameString, designators.Current.Type);
            Assert.Equal(DesignatorAssociation.TargetDevice, designators.Current.Association);
            Assert.True(designators.Current.ProtocolIdentifierValid);
            Assert.Equal(5, designators.Current.ProtocolIdentifier);
            Assert.Equal(8, designators.Current.Identifier.Length);
            Assert.False(designators.MoveNext());
            Assert.False(designators.IsMalformed);
        }

        [Fact]
        public void A_designator_running_past_the_page_stops_the_walk_as_malformed()
        {
            byte[] data = DeviceIdentificationReply();
            data[19] = 9;
            Assert.True(DeviceIdentificationPage.TryParse(data, out DeviceIdentificationPage page));
            int count = 0;
            DeviceIdentificationPage.DesignatorEnumerator designators = page.GetEnumerator();
            while (designators.MoveNext())
            {
                count++;
            }

            Assert.Equal(1, count);
            Assert.True(designators.IsMalformed);

            // A page whose length leaves a dangling partial descriptor header.
            byte[] dangling = { 0x00, 0x83, 0x00, 0x02, 0x01, 0x03 };
            Assert.True(DeviceIdentificationPage.TryParse(dangling, out page));
            designators = page.GetEnumerator();
            Assert.False(designators.MoveNext());
            Assert.True(designators.IsMalformed);
        }

        [Fact]
        public void A_truncated_device_identification_page_is_rejected()
        {
            byte[] data = DeviceIdentificationReply();
            Assert.False(DeviceIdentificationPage.TryParse(data.AsSpan(0, data.Length - 1), out _));
            Assert.False(DeviceIdentificationPage.TryParse(data.AsSpan(0, 3), out _));
        }

        [Fact]
        public void Report_luns_lists_every_8_byte_lun()
        {
            byte[] data =
            {
                0, 0, 0, 16, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0,
                0, 1, 0, 0, 0, 0, 0, 0,
            };
            Assert.True(ReportLunsData.TryParse(data, out ReportLunsData report));
            Assert.Equal(2, report.Count);
            Assert.False(report.IsTruncated);
            Assert.True(report.TryGetLun(1, out ulong lun));
            Assert.Equal(0x0001_0000_0000_0000UL, lun);
            Assert.False(report.TryGetLun(2, out _));
            Assert.False(report.TryGetLun(-1, out _));
            Assert.True(report.Contains(0));
            Assert.True(report.Contains(0x0001_0000_0000_0000));
            Assert.False(report.Contains(2));

            int seen = 0;
            foreach (ulong each in report)
            {
                Assert.Equal(seen == 0 ? 0UL : 0x0001_0000_0000_0000UL, each);
                seen++;
            }

            Assert.Equal(2, seen);
        }

        [Fact]
        public void Report_luns_longer_than_the_allocation_keeps_whole_luns_and_says_how_much_is_needed()
        {
            byte[] data = new byte[8 + 12];
            data[3] = 64;
            data[8 + 1] = 7;
            Assert.True(ReportLunsData.TryParse(data, out ReportLunsData report));
            Assert.Equal(1, report.Count);
            Assert.True(report.IsTruncated);
            Assert.Equal(72UL, report.RequiredLength);
            Assert.True(report.TryGetLun(0, out ulong lun));
            Assert.Equal(0x0007_0000_0000_0000UL, lun);
        }

        [Fact]
        public void Report_luns_with_a_short_header_or_a_partial_lun_length_is_rejected()
        {
            Assert.False(ReportLunsData.TryParse(new byte[7], out _));
            byte[] data = new byte[16];
            data[3] = 12;
            Assert.False(ReportLunsData.TryParse(data, out _));
            data[0] = 0xFF;
            data[3] = 0xF8;
            Assert.True(ReportLunsData.TryParse(data, out ReportLunsData report));
            Assert.True(report.IsTruncated);
            Assert.Equal(1, report.Count);
        }

        [Fact]
        public void Read_capacity_10_gives_last_lba_and_block_length()
        {
            byte[] data = { 0x00, 0x3F, 0xFF, 0xFF, 0x00, 0x00, 0x02, 0x00 };
            Assert.True(ReadCapacity10Data.TryParse(data, out ReadCapacity10Data capacity));
            Assert.Equal(0x003FFFFFu, capacity.LastLba);
            Assert.Equal(512u, capacity.BlockLength);
            Assert.Equal(0x0040_0000UL, capacity.BlockCount);
            Assert.False(capacity.NeedsReadCapacity16);
        }

        [Fact]
        public void Read_capacity_10_of_ffffffff_asks_for_read_capacity_16()
        {
            byte[] data = { 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x02, 0x00 };
            Assert.True(ReadCapacity10Data.TryParse(data, out ReadCapacity10Data capacity));
            Assert.True(capacity.NeedsReadCapacity16);
        }

        [Fact]
        public void Short_or_zero_block_length_capacity_data_is_rejected()
        {
            Assert.False(ReadCapacity10Data.TryParse(new byte[7], out _));
            Assert.False(ReadCapacity10Data.TryParse(new byte[8], out _));
            Assert.False(ReadCapacity16Data.TryParse(new byte[11], out _));
            Assert.False(ReadCapacity16Data.TryParse(new byte[32], out _));
        }

        [Fact]
        public void Read_capacity_16_gives_a_64_bit_last_lba_and_the_optional_details()
        {
            byte[] data = new byte[32];
            data[3] = 0x01;
            data[7] = 0xFF;
            data[10] = 0x02;
            data[12] = 0x03;
            data[13] = 0x03;
            data[14] = 0xC0;
            data[15] = 0x01;
            Assert.True(ReadCapacity16Data.TryParse(data, out ReadCapacity16Data capacity));
            Assert.Equal(0x0000_0001_0000_00FFUL, capacity.LastLba);
            Assert.Equal(0x0000_0001_0000_0100UL, capacity.BlockCount);
            Assert.Equal(512u, capacity.BlockLength);
            Assert.True(capacity.HasDetails);
            Assert.True(capacity.ProtectionEnabled);
            Assert.Equal(1, capacity.ProtectionType);
            Assert.Equal(3, capacity.LogicalBlocksPerPhysicalBlockExponent);
            Assert.True(capacity.ThinProvisioningEnabled);
            Assert.True(capacity.ThinProvisioningReadsZeros);
            Assert.Equal(1, capacity.LowestAlignedLba);

            Assert.True(ReadCapacity16Data.TryParse(data.AsSpan(0, 12), out capacity));
            Assert.False(capacity.HasDetails);
            Assert.False(capacity.ThinProvisioningEnabled);
            Assert.Equal(512u, capacity.BlockLength);
        }
    }
}
