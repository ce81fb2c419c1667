// Choosing the initiator IQN (configured, then host name, SMBIOS UUID, MAC) and checking iSCSI
// name syntax (iqn./eui./naa., 223 bytes) so a garbage configured name is caught.
using System;
using System.Text;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests
{
    public class InitiatorNameTests
    {
        // An SMBIOS UUID as stored: the first three fields little-endian.
        private static readonly byte[] SmbiosUuid =
        {
            0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF,
        };

        private static readonly byte[] Mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0xAB };

        private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

        private static string Choose(string configured, string hostname, byte[] uuid, byte[] mac, out InitiatorNameSource source)
        {
            byte[] buffer = new byte[256];
            int length = InitiatorName.Choose(Ascii(configured), Ascii(hostname), uuid, mac, buffer, out source);
            Assert.True(length >= 0);
            return Encoding.UTF8.GetString(buffer, 0, length);
        }

        [Fact]
        public void A_valid_configured_name_wins_over_everything()
        {
            Assert.Equal("iqn.1991-05.com.microsoft:client", Choose("iqn.1991-05.com.microsoft:client", "host", SmbiosUuid, Mac, out InitiatorNameSource source));
            Assert.Equal(InitiatorNameSource.Configured, source);
        }

        [Fact]
        public void Without_configuration_the_host_name_is_used_lowercased_and_sanitised()
        {
            Assert.Equal("iqn.2026-11.org.bootstage:web-01.lab", Choose("", "Web_01.LAB", SmbiosUuid, Mac, out InitiatorNameSource source));
            Assert.Equal(InitiatorNameSource.Hostname, source);
            Assert.Equal("iqn.2026-11.org.bootstage:a-b-c", Choose("", "a b:c", default!, default!, out _));
        }

        [Fact]
        public void A_nul_terminated_host_name_stops_at_the_nul()
        {
            Assert.Equal("iqn.2026-11.org.bootstage:node", Choose("", "node\0junk", SmbiosUuid, Mac, out _));
        }

        [Fact]
        public void A_long_host_name_is_cut_to_keep_the_name_within_223_bytes()
        {
            string name = Choose("", new string('a', 300), SmbiosUuid, Mac, out _);
            Assert.Equal(InitiatorName.MaxLength, name.Length);
            Assert.True(InitiatorName.IsValid(Ascii(name)));
        }

        [Fact]
        public void Without_a_host_name_the_smbios_uuid_is_printed_with_its_first_three_fields_swapped()
        {
            Assert.Equal("iqn.2026-11.org.bootstage:00112233-4455-6677-8899-aabbccddeeff", Choose("", "", SmbiosUuid, Mac, out InitiatorNameSource source));
            Assert.Equal(InitiatorNameSource.SmbiosUuid, source);
        }

        [Fact]
        public void An_all_zero_or_all_ones_uuid_means_none_and_the_mac_is_used()
        {
            byte[] zeros = new byte[16];
            byte[] ones = new byte[16];
            Array.Fill(ones, (byte)0xFF);
            Assert.Equal("iqn.2026-11.org.bootstage:52-54-00-12-34-ab", Choose("", "", zeros, Mac, out InitiatorNameSource source));
            Assert.Equal(InitiatorNameSource.MacAddress, source);
            Assert.Equal("iqn.2026-11.org.bootstage:52-54-00-12-34-ab", Choose("", "", ones, Mac, out _));
            Assert.Equal("iqn.2026-11.org.bootstage:52-54-00-12-34-ab", Choose("", "", new byte[15], Mac, out _));
        }

        [Fact]
        public void With_no_source_at_all_the_length_is_zero()
        {
            Assert.Equal("", Choose("", "", Array.Empty<byte>(), new byte[6], out InitiatorNameSource source));
            Assert.Equal(InitiatorNameSource.None, source);
        }

        [Fact]
        public void An_invalid_configured_name_is_skipped_for_a_generated_one()
        {
            Assert.Equal("iqn.2026-11.org.bootstage:host", Choose("my initiator", "host", SmbiosUuid, Mac, out InitiatorNameSource source));
            Assert.Equal(InitiatorNameSource.Hostname, source);
        }

        [Fact]
        public void A_too_small_destination_gives_minus_one()
        {
            Assert.Equal(-1, InitiatorName.Choose(Ascii("iqn.2010-04.org.ipxe:x"), default, default, new byte[10]));
            Assert.Equal(-1, InitiatorName.Choose(default, Ascii("host"), default, new byte[29]));
            Assert.Equal(30, InitiatorName.Choose(default, Ascii("host"), default, new byte[30]));
            Assert.Equal(-1, InitiatorName.Choose(default, default, SmbiosUuid, new byte[61]));
            Assert.Equal(62, InitiatorName.Choose(default, default, SmbiosUuid, new byte[62]));
            Assert.Equal(-1, InitiatorName.Choose(default, default, default, Mac, new byte[42]));
            Assert.Equal(43, InitiatorName.Choose(default, default, default, Mac, new byte[43]));
        }

        [Theory]
        [InlineData("iqn.2010-04.org.ipxe")]
        [InlineData("iqn.2010-04.org.ipxe:rabbit")]
        [InlineData("iqn.1991-05.com.microsoft:win-abc.example.com")]
        [InlineData("iqn.2001-04.com.example:storage:diskarrays-sn-a8675309")]
        [InlineData("IQN.2005-03.ORG.OPEN-ISCSI:ABC")]
        [InlineData("eui.02004567A425678D")]
        [InlineData("naa.52004567BA64678D")]
        [InlineData("naa.62004567BA64678D0123456789ABCDEF")]
        public void Well_formed_names_are_valid(string name)
        {
            Assert.Equal(InitiatorNameStatus.Ok, InitiatorName.Validate(Ascii(name)));
            Assert.True(InitiatorName.IsValid(Ascii(name)));
        }

        [Theory]
        [InlineData("", InitiatorNameStatus.Empty)]
        [InlineData("my initiator", InitiatorNameStatus.UnknownType)]
        [InlineData("iqn", InitiatorNameStatus.UnknownType)]
        [InlineData("iqn.", InitiatorNameStatus.BadDate)]
        [InlineData("iqn.201-04.org.x", InitiatorNameStatus.BadDate)]
        [InlineData("iqn.2010-13.org.x", InitiatorNameStatus.BadDate)]
        [InlineData("iqn.2010-00.org.x", InitiatorNameStatus.BadDate)]
        [InlineData("iqn.2010-04:org.x", InitiatorNameStatus.BadDate)]
        [InlineData("iqn.2010-04.", InitiatorNameStatus.BadNamingAuthority)]
        [InlineData("iqn.2010-04.:x", InitiatorNameStatus.BadNamingAuthority)]
        [InlineData("iqn.2010-04.org..x", InitiatorNameStatus.BadNamingAuthority)]
        [InlineData("iqn.2010-04.org.x.", InitiatorNameStatus.BadNamingAuthority)]
        [InlineData("iqn.2010-04.org_x", InitiatorNameStatus.BadNamingAuthority)]
        [InlineData("iqn.2010-04.org.x:a b", InitiatorNameStatus.BadCharacter)]
        [InlineData("iqn.2010-04.org.x:a/b", InitiatorNameStatus.BadCharacter)]
        [InlineData("eui.02004567A425678", InitiatorNameStatus.BadHex)]
        [InlineData("eui.02004567A425678DD", InitiatorNameStatus.BadHex)]
        [InlineData("eui.02004567A425678G", InitiatorNameStatus.BadHex)]
        [InlineData("naa.52004567BA64678D01", InitiatorNameStatus.BadHex)]
        public void Malformed_names_are_rejected_with_a_reason(string name, InitiatorNameStatus expected)
        {
            Assert.Equal(expected, InitiatorName.Validate(Ascii(name)));
            Assert.False(InitiatorName.IsValid(Ascii(name)));
        }

        [Fact]
        public void A_name_over_223_bytes_is_too_long()
        {
            byte[] longest = Ascii("iqn.2010-04.org.x:" + new string('a', 223 - 18));
            Assert.True(InitiatorName.IsValid(longest));
            byte[] tooLong = Ascii("iqn.2010-04.org.x:" + new string('a', 224 - 18));
            Assert.Equal(InitiatorNameStatus.TooLong, InitiatorName.Validate(tooLong));
        }

        [Fact]
        public void Non_ascii_utf8_in_the_unique_part_is_allowed()
        {
            Assert.True(InitiatorName.IsValid(Encoding.UTF8.GetBytes("iqn.2010-04.org.x:caf\u00e9")));
        }

        [Fact]
        public void Every_status_has_a_description()
        {
            for (InitiatorNameStatus status = InitiatorNameStatus.Ok; status <= InitiatorNameStatus.BadHex; status++)
            {
                Assert.NotEqual("unknown initiator name status", Encoding.ASCII.GetString(InitiatorName.Describe(status)));
            }
        }

        [Fact]
        public void Format_smbios_uuid_rejects_wrong_sizes()
        {
            Assert.Equal(-1, InitiatorName.FormatSmbiosUuid(new byte[15], new byte[36]));
            Assert.Equal(-1, InitiatorName.FormatSmbiosUuid(SmbiosUuid, new byte[35]));
            byte[] text = new byte[36];
            Assert.Equal(36, InitiatorName.FormatSmbiosUuid(SmbiosUuid, text));
            Assert.Equal("00112233-4455-6677-8899-aabbccddeeff", Encoding.ASCII.GetString(text));
        }
    }
}
