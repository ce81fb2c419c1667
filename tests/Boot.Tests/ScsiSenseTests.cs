// Sense data in fixed and descriptor formats, current and deferred, the iSCSI SenseLength prefix,
// the named ASC/ASCQ descriptions, and which conditions are worth a retry.
using System;
using System.Text;
using Bootstage.Boot.Scsi;

namespace Bootstage.Boot.Tests
{
    public class ScsiSenseTests
    {
        private static string Text(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes);

        private static byte[] Fixed(byte key, byte asc, byte ascq, byte responseCode = 0x70)
        {
            byte[] sense = new byte[18];
            sense[0] = responseCode;
            sense[2] = key;
            sense[7] = 10;
            sense[12] = asc;
            sense[13] = ascq;
            return sense;
        }

        private static ScsiSense Parse(byte[] bytes)
        {
            Assert.True(ScsiSense.TryParse(bytes, out ScsiSense sense));
            return sense;
        }

        [Fact]
        public void Fixed_format_takes_key_from_byte_2_and_asc_ascq_from_12_and_13()
        {
            ScsiSense sense = Parse(Fixed(0x05, 0x24, 0x00));
            Assert.Equal(SenseKey.IllegalRequest, sense.Key);
            Assert.Equal(0x24, sense.Asc);
            Assert.Equal(0x00, sense.Ascq);
            Assert.False(sense.Deferred);
            Assert.False(sense.IsDescriptorFormat);
            Assert.Equal("invalid field in CDB", Text(sense.Describe()));
        }

        [Fact]
        public void Fixed_format_ignores_the_flag_bits_beside_the_sense_key()
        {
            Assert.Equal(SenseKey.MediumError, Parse(Fixed(0xE3, 0x11, 0x00)).Key);
        }

        [Fact]
        public void Fixed_format_information_field_and_valid_bit()
        {
            byte[] bytes = Fixed(0x03, 0x11, 0x00, 0xF0);
            bytes[3] = 0x00;
            bytes[4] = 0x12;
            bytes[5] = 0x34;
            bytes[6] = 0x56;
            ScsiSense sense = Parse(bytes);
            Assert.True(sense.InformationValid);
            Assert.Equal(0x123456UL, sense.Information);
            Assert.Equal("unrecovered read error", Text(sense.Describe()));
            bytes[0] = 0x70;
            Assert.False(Parse(bytes).InformationValid);
        }

        [Fact]
        public void Fixed_format_sense_key_specific_field_pointer()
        {
            byte[] bytes = Fixed(0x05, 0x24, 0x00);
            bytes[15] = 0xC0;
            bytes[16] = 0x00;
            bytes[17] = 0x02;
            ScsiSense sense = Parse(bytes);
            Assert.True(sense.SenseKeySpecificValid);
            Assert.Equal(0x400002u, sense.SenseKeySpecific);
        }

        [Fact]
        public void Response_code_71h_and_73h_are_deferred_errors()
        {
            Assert.True(Parse(Fixed(0x03, 0x0C, 0x00, 0x71)).Deferred);
            Assert.True(Parse(new byte[] { 0x73, 0x03, 0x0C, 0x00, 0, 0, 0, 0 }).Deferred);
        }

        [Fact]
        public void Fixed_format_asc_beyond_the_additional_length_reads_as_zero()
        {
            byte[] bytes = Fixed(0x06, 0x29, 0x00);
            bytes[7] = 4;
            ScsiSense sense = Parse(bytes);
            Assert.Equal(SenseKey.UnitAttention, sense.Key);
            Assert.Equal(0, sense.Asc);
            Assert.Equal("unit attention", Text(sense.Describe()));
        }

        [Fact]
        public void Fixed_format_asc_beyond_the_received_bytes_reads_as_zero()
        {
            ScsiSense sense = Parse(Fixed(0x02, 0x3A, 0x00).AsSpan(0, 12).ToArray());
            Assert.Equal(SenseKey.NotReady, sense.Key);
            Assert.Equal(0, sense.Asc);
        }

        [Fact]
        public void Descriptor_format_takes_key_asc_ascq_from_bytes_1_to_3()
        {
            ScsiSense sense = Parse(new byte[] { 0x72, 0x02, 0x04, 0x01, 0, 0, 0, 0 });
            Assert.Equal(SenseKey.NotReady, sense.Key);
            Assert.Equal(0x04, sense.Asc);
            Assert.Equal(0x01, sense.Ascq);
            Assert.True(sense.IsDescriptorFormat);
            Assert.False(sense.Deferred);
            Assert.Equal("becoming ready", Text(sense.Describe()));
        }

        [Fact]
        public void Descriptor_format_reads_the_information_and_sense_key_specific_descriptors()
        {
            byte[] bytes =
            {
                0x72, 0x03, 0x11, 0x00, 0, 0, 0, 20,
                0x00, 0x0A, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05,
                0x02, 0x06, 0x00, 0x00, 0xC0, 0x00, 0x07, 0x00,
            };
            ScsiSense sense = Parse(bytes);
            Assert.True(sense.InformationValid);
            Assert.Equal(0x0000_0001_0000_0005UL, sense.Information);
            Assert.True(sense.SenseKeySpecificValid);
            Assert.Equal(0x400007u, sense.SenseKeySpecific);
        }

        [Fact]
        public void A_descriptor_running_past_the_sense_data_is_ignored()
        {
            byte[] bytes =
            {
                0x72, 0x03, 0x11, 0x00, 0, 0, 0, 10,
                0x00, 0x0A, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05,
            };
            ScsiSense sense = Parse(bytes);
            Assert.False(sense.InformationValid);
            Assert.Equal(SenseKey.MediumError, sense.Key);
        }

        [Fact]
        public void Short_or_unknown_sense_data_is_rejected()
        {
            Assert.False(ScsiSense.TryParse(new byte[] { 0x70, 0, 0x05, 0, 0, 0, 0 }, out _));
            Assert.False(ScsiSense.TryParse(ReadOnlySpan<byte>.Empty, out _));
            Assert.False(ScsiSense.TryParse(Fixed(0x05, 0x24, 0x00, 0x7F), out _));
            Assert.False(ScsiSense.TryParse(Fixed(0x05, 0x24, 0x00, 0x00), out _));
        }

        [Fact]
        public void Iscsi_sense_segment_is_prefixed_by_a_big_endian_sense_length()
        {
            byte[] sense = Fixed(0x06, 0x29, 0x00);
            byte[] segment = new byte[2 + sense.Length + 2];
            segment[0] = 0;
            segment[1] = (byte)sense.Length;
            sense.CopyTo(segment, 2);
            Assert.True(ScsiSense.TryParseIscsiSenseSegment(segment, out ScsiSense parsed));
            Assert.Equal(SenseKey.UnitAttention, parsed.Key);
            Assert.Equal("power on, reset, or bus device reset occurred", Text(parsed.Describe()));
        }

        [Fact]
        public void Iscsi_sense_length_larger_than_the_segment_is_rejected()
        {
            byte[] sense = Fixed(0x06, 0x29, 0x00);
            byte[] segment = new byte[2 + sense.Length];
            segment[1] = (byte)(sense.Length + 1);
            sense.CopyTo(segment, 2);
            Assert.False(ScsiSense.TryParseIscsiSenseSegment(segment, out _));
            segment[0] = 0xFF;
            segment[1] = 0xFF;
            Assert.False(ScsiSense.TryParseIscsiSenseSegment(segment, out _));
        }

        [Fact]
        public void Iscsi_sense_segment_without_sense_is_rejected()
        {
            Assert.False(ScsiSense.TryParseIscsiSenseSegment(new byte[] { 0 }, out _));
            Assert.False(ScsiSense.TryParseIscsiSenseSegment(new byte[] { 0, 0, 0x70 }, out _));
        }

        [Theory]
        [InlineData(0x04, 0x00, "not ready, cause not reportable")]
        [InlineData(0x04, 0x01, "becoming ready")]
        [InlineData(0x04, 0x02, "initializing command required")]
        [InlineData(0x3A, 0x00, "medium not present")]
        [InlineData(0x3A, 0x02, "medium not present")]
        [InlineData(0x20, 0x00, "invalid command operation code")]
        [InlineData(0x21, 0x00, "LBA out of range")]
        [InlineData(0x24, 0x00, "invalid field in CDB")]
        [InlineData(0x25, 0x00, "logical unit not supported")]
        [InlineData(0x27, 0x00, "write protected")]
        [InlineData(0x28, 0x00, "not ready to ready change, medium may have changed")]
        [InlineData(0x29, 0x00, "power on, reset, or bus device reset occurred")]
        [InlineData(0x29, 0x03, "power on, reset, or bus device reset occurred")]
        [InlineData(0x2A, 0x01, "mode parameters changed")]
        [InlineData(0x3F, 0x0E, "reported LUNs data has changed")]
        [InlineData(0x11, 0x00, "unrecovered read error")]
        [InlineData(0x0C, 0x00, "write error")]
        [InlineData(0x44, 0x00, "internal target failure")]
        [InlineData(0x47, 0x00, "SCSI parity error")]
        [InlineData(0x4B, 0x04, "data phase error")]
        [InlineData(0x5D, 0x10, "failure prediction threshold exceeded")]
        public void Common_asc_ascq_pairs_have_names(byte asc, byte ascq, string expected)
        {
            Assert.Equal(expected, Text(Parse(Fixed(0x02, asc, ascq)).Describe()));
        }

        [Fact]
        public void An_unknown_asc_ascq_is_described_by_its_sense_key()
        {
            Assert.Equal("hardware error", Text(Parse(Fixed(0x04, 0x80, 0x00)).Describe()));
            Assert.Equal("illegal request", Text(Parse(Fixed(0x05, 0x24, 0x01)).Describe()));
            Assert.Equal("not ready", Text(Parse(Fixed(0x02, 0x04, 0x03)).Describe()));
        }

        [Fact]
        public void Every_sense_key_has_a_name()
        {
            for (int key = 0; key < 16; key++)
            {
                Assert.NotEqual("unknown sense key", Text(ScsiSense.SenseKeyName((SenseKey)key)));
            }

            Assert.Equal("aborted command", Text(ScsiSense.SenseKeyName(SenseKey.AbortedCommand)));
        }

        [Fact]
        public void Unit_attention_becoming_ready_and_aborted_command_are_retryable()
        {
            Assert.True(Parse(Fixed(0x06, 0x29, 0x00)).IsRetryable);
            Assert.True(Parse(Fixed(0x02, 0x04, 0x01)).IsRetryable);
            Assert.True(Parse(Fixed(0x0B, 0x47, 0x00)).IsRetryable);
        }

        [Fact]
        public void Other_conditions_are_not_retryable()
        {
            Assert.False(Parse(Fixed(0x02, 0x04, 0x02)).IsRetryable);
            Assert.False(Parse(Fixed(0x02, 0x3A, 0x00)).IsRetryable);
            Assert.False(Parse(Fixed(0x05, 0x24, 0x00)).IsRetryable);
            Assert.False(Parse(Fixed(0x03, 0x11, 0x00)).IsRetryable);
            Assert.False(Parse(Fixed(0x07, 0x27, 0x00)).IsRetryable);
        }

        [Fact]
        public void Scsi_status_values_follow_sam()
        {
            Assert.Equal(0x00, (byte)ScsiStatus.Good);
            Assert.Equal(0x02, (byte)ScsiStatus.CheckCondition);
            Assert.Equal(0x04, (byte)ScsiStatus.ConditionMet);
            Assert.Equal(0x08, (byte)ScsiStatus.Busy);
            Assert.Equal(0x18, (byte)ScsiStatus.ReservationConflict);
            Assert.Equal(0x28, (byte)ScsiStatus.TaskSetFull);
            Assert.Equal(0x30, (byte)ScsiStatus.AcaActive);
            Assert.Equal(0x40, (byte)ScsiStatus.TaskAborted);
        }
    }
}
