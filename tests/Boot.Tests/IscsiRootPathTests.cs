// RFC 4173 root paths as DHCP servers hand them out: defaults for empty fields, IPv6 literals,
// LUN text, target names with colons, every rejection with its status, and Format round trips.
using System;
using System.Text;
using Bootstage.Boot.Iscsi;
using Bootstage.Net;

namespace Bootstage.Boot.Tests
{
    public class IscsiRootPathTests
    {
        private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

        private static string Text(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes);

        private static RootPathStatus Status(string text) => IscsiRootPath.TryParse(Ascii(text), out _);

        private static string Format(string text)
        {
            Assert.Equal(RootPathStatus.Ok, IscsiRootPath.TryParse(Ascii(text), out IscsiRootPath path));
            byte[] buffer = new byte[512];
            int length = path.Format(buffer);
            Assert.True(length > 0);
            return Text(buffer.AsSpan(0, length));
        }

        [Fact]
        public void Empty_protocol_port_and_lun_mean_tcp_3260_and_lun_0()
        {
            byte[] text = Ascii("iscsi:10.253.253.1::::iqn.2010-04.org.ipxe:rabbit");
            Assert.Equal(RootPathStatus.Ok, IscsiRootPath.TryParse(text, out IscsiRootPath path));
            Assert.Equal("10.253.253.1", Text(path.Server));
            Assert.False(path.IsIpv6Literal);
            Assert.True(path.Protocol.IsEmpty);
            Assert.Equal((ushort)3260, path.Port);
            Assert.Equal(0UL, path.LunValue);
            Assert.Equal("iqn.2010-04.org.ipxe:rabbit", Text(path.TargetName));
        }

        [Fact]
        public void Empty_port_means_3260()
        {
            Assert.Equal(RootPathStatus.Ok, IscsiRootPath.TryParse(Ascii("iscsi:10.0.2.2:::1:iqn.2026-11.test:disk"), out IscsiRootPath path));
            Assert.Equal((ushort)3260, path.Port);
        }

        [Fact]
        public void Lun_1_is_the_first_level_of_the_8_byte_lun()
        {
            Assert.Equal(RootPathStatus.Ok, IscsiRootPath.TryParse(Ascii("iscsi:10.0.2.2:::1:iqn.2026-11.test:disk"), out IscsiRootPath path));
            Assert.Equal(0x0001_0000_0000_0000UL, path.LunValue);
            byte[] lun = new byte[8];
            Assert.True(path.TryWriteLun(lun));
            Assert.Equal(new byte[] { 0x00, 0x01, 0, 0, 0, 0, 0, 0 }, lun);
            Assert.False(path.TryWriteLun(new byte[7]));
            Assert.Equal("iqn.2026-11.test:disk", Text(path.TargetName));
        }

        [Fact]
        public void A_dotted_quad_server_is_an_ipv4_address()
        {
            Assert.Equal(RootPathStatus.Ok, IscsiRootPath.TryParse(Ascii("iscsi:10.0.2.2:::1:iqn.x"), out IscsiRootPath path));
            Assert.True(path.TryGetIpv4(out Ipv4Address address));
            Assert.Equal(new Ipv4Address(10, 0, 2, 2), address);
        }

        [Fact]
        public void A_bracketed_ipv6_server_keeps_its_colons_and_loses_its_brackets()
        {
            Assert.Equal(RootPathStatus.Ok, IscsiRootPath.TryParse(Ascii("iscsi:[fe80::1]::3261:0-1:iqn.x:y"), out IscsiRootPath path));
            Assert.Equal("fe80::1", Text(path.Server));
            Assert.True(path.IsIpv6Literal);
            Assert.False(path.TryGetIpv4(out _));
            Assert.Equal((ushort)3261, path.Port);
            Assert.Equal(0x0000_0001_0000_0000UL, path.LunValue);
            Assert.Equal("iqn.x:y", Text(path.TargetName));
        }

        [Fact]
        public void A_host_name_with_explicit_tcp_protocol_and_port_is_accepted()
        {
            Assert.Equal(RootPathStatus.Ok, IscsiRootPath.TryParse(Ascii("iscsi:host.example:6:3260:1:iqn.x"), out IscsiRootPath path));
            Assert.Equal("host.example", Text(path.Server));
            Assert.Equal("6", Text(path.Protocol));
            Assert.False(path.TryGetIpv4(out _));
            Assert.Equal((ushort)3260, path.Port);
            Assert.Equal(0x0001_0000_0000_0000UL, path.LunValue);
            Assert.Equal("iqn.x", Text(path.TargetName));
        }

        [Fact]
        public void The_scheme_is_case_insensitive()
        {
            Assert.Equal(RootPathStatus.Ok, Status("ISCSI:10.0.0.1::::iqn.x"));
        }

        [Fact]
        public void Text_that_is_not_an_iscsi_uri_is_not_iscsi()
        {
            Assert.Equal(RootPathStatus.NotIscsi, Status("http://x"));
            Assert.Equal(RootPathStatus.NotIscsi, Status(""));
            Assert.Equal(RootPathStatus.NotIscsi, Status("iscsi"));
            Assert.Equal(RootPathStatus.NotIscsi, Status("aoe:e0.1"));
        }

        [Fact]
        public void Fewer_than_five_colons_after_the_scheme_is_a_missing_field()
        {
            Assert.Equal(RootPathStatus.MissingField, Status("iscsi:"));
            Assert.Equal(RootPathStatus.MissingField, Status("iscsi:10.0.0.1"));
            Assert.Equal(RootPathStatus.MissingField, Status("iscsi:10.0.0.1:::"));
            Assert.Equal(RootPathStatus.MissingField, Status("iscsi:[fe80::1]"));
            Assert.Equal(RootPathStatus.MissingField, Status("iscsi:[fe80::1]:::"));
        }

        [Fact]
        public void An_empty_server_is_rejected_because_discovery_is_not_supported()
        {
            Assert.Equal(RootPathStatus.EmptyServer, Status("iscsi::::1:iqn"));
            Assert.Equal(RootPathStatus.EmptyServer, Status("iscsi:[]::::iqn"));
        }

        [Fact]
        public void Only_an_empty_or_tcp_protocol_is_accepted()
        {
            Assert.Equal(RootPathStatus.BadProtocol, Status("iscsi:10.0.0.1:17:::iqn.x"));
            Assert.Equal(RootPathStatus.BadProtocol, Status("iscsi:10.0.0.1:tcp:::iqn.x"));
            Assert.Equal(RootPathStatus.BadProtocol, Status("iscsi:10.0.0.1:6666:::iqn.x"));
        }

        [Fact]
        public void A_port_outside_1_to_65535_or_not_decimal_is_rejected()
        {
            Assert.Equal(RootPathStatus.BadPort, Status("iscsi:10.0.0.1::70000::iqn.x"));
            Assert.Equal(RootPathStatus.BadPort, Status("iscsi:10.0.0.1::abc::iqn.x"));
            Assert.Equal(RootPathStatus.BadPort, Status("iscsi:10.0.0.1::0::iqn.x"));
            Assert.Equal(RootPathStatus.BadPort, Status("iscsi:10.0.0.1::65536::iqn.x"));
            Assert.Equal(RootPathStatus.BadPort, Status("iscsi:10.0.0.1::99999999999::iqn.x"));
            Assert.Equal(RootPathStatus.BadPort, Status("iscsi:10.0.0.1::-1::iqn.x"));
            Assert.Equal(RootPathStatus.Ok, Status("iscsi:10.0.0.1::65535::iqn.x"));
            Assert.Equal(RootPathStatus.Ok, Status("iscsi:10.0.0.1::1::iqn.x"));
        }

        [Fact]
        public void Lun_groups_are_16_bit_levels_from_the_most_significant()
        {
            Assert.True(IscsiRootPath.TryParseLun(""u8, out ulong lun));
            Assert.Equal(0UL, lun);
            Assert.True(IscsiRootPath.TryParseLun("0-0-0-0"u8, out lun));
            Assert.Equal(0UL, lun);
            Assert.True(IscsiRootPath.TryParseLun("1-2"u8, out lun));
            Assert.Equal(0x0001_0002_0000_0000UL, lun);
            Assert.True(IscsiRootPath.TryParseLun("4752-3A4F-6b7e-2F99"u8, out lun));
            Assert.Equal(0x4752_3A4F_6B7E_2F99UL, lun);
            Assert.True(IscsiRootPath.TryParseLun("ffff"u8, out lun));
            Assert.Equal(0xFFFF_0000_0000_0000UL, lun);
        }

        [Fact]
        public void A_lun_with_more_than_four_groups_long_groups_or_non_hex_is_rejected()
        {
            Assert.Equal(RootPathStatus.BadLun, Status("iscsi:10.0.0.1:::1-2-3-4-5:iqn.x"));
            Assert.Equal(RootPathStatus.BadLun, Status("iscsi:10.0.0.1:::12345:iqn.x"));
            Assert.Equal(RootPathStatus.BadLun, Status("iscsi:10.0.0.1:::xyz:iqn.x"));
            Assert.Equal(RootPathStatus.BadLun, Status("iscsi:10.0.0.1:::1--2:iqn.x"));
            Assert.Equal(RootPathStatus.BadLun, Status("iscsi:10.0.0.1:::1-:iqn.x"));
            Assert.Equal(RootPathStatus.BadLun, Status("iscsi:10.0.0.1:::-1:iqn.x"));
        }

        [Fact]
        public void A_missing_target_name_is_rejected()
        {
            Assert.Equal(RootPathStatus.EmptyTargetName, Status("iscsi:10.0.0.1::::"));
            Assert.Equal(RootPathStatus.EmptyTargetName, Status("iscsi:[fe80::1]::::"));
        }

        [Fact]
        public void An_unterminated_or_misplaced_bracket_is_rejected()
        {
            Assert.Equal(RootPathStatus.BadBracket, Status("iscsi:[fe80::1::::iqn.x"));
            Assert.Equal(RootPathStatus.BadBracket, Status("iscsi:[fe80::1]x::::iqn.x"));
            Assert.Equal(RootPathStatus.BadBracket, Status("iscsi:[host.example]::::iqn.x"));
            Assert.Equal(RootPathStatus.BadBracket, Status("iscsi:fe80]::::iqn.x"));
        }

        [Fact]
        public void Every_status_has_a_description()
        {
            for (RootPathStatus status = RootPathStatus.Ok; status <= RootPathStatus.BadBracket; status++)
            {
                Assert.False(IscsiRootPath.Describe(status).IsEmpty);
                Assert.NotEqual("unknown root path status", Text(IscsiRootPath.Describe(status)));
            }

            Assert.Contains("discovery", Text(IscsiRootPath.Describe(RootPathStatus.EmptyServer)));
        }

        [Fact]
        public void Format_writes_the_canonical_text()
        {
            Assert.Equal("iscsi:10.253.253.1:::0:iqn.2010-04.org.ipxe:rabbit", Format("iscsi:10.253.253.1::::iqn.2010-04.org.ipxe:rabbit"));
            Assert.Equal("iscsi:[fe80::1]::3261:0-1:iqn.x:y", Format("iscsi:[fe80::1]::3261:0-1:iqn.x:y"));
            Assert.Equal("iscsi:host.example:::1:iqn.x", Format("iscsi:host.example:6:3260:0001-0000:iqn.x"));
            Assert.Equal("iscsi:h:::1-2:t", Format("iscsi:h:::0001-0002-0000-0000:t"));
            Assert.Equal("iscsi:h:::0-0-0-1:t", Format("iscsi:h:::0-0-0-1:t"));
        }

        [Theory]
        [InlineData("iscsi:10.253.253.1::::iqn.2010-04.org.ipxe:rabbit")]
        [InlineData("iscsi:10.0.2.2:::1:iqn.2026-11.test:disk")]
        [InlineData("iscsi:[fe80::1]::3261:0-1:iqn.x:y")]
        [InlineData("iscsi:host.example:6:3260:1:iqn.x")]
        [InlineData("iscsi:h::65535:4752-3A4F-6b7e-2F99:t")]
        public void Parsing_the_formatted_text_gives_the_same_path(string text)
        {
            Assert.Equal(RootPathStatus.Ok, IscsiRootPath.TryParse(Ascii(text), out IscsiRootPath original));
            byte[] buffer = new byte[256];
            int length = original.Format(buffer);
            Assert.True(length > 0);
            Assert.Equal(RootPathStatus.Ok, IscsiRootPath.TryParse(buffer.AsSpan(0, length), out IscsiRootPath reparsed));
            Assert.True(original.ValueEquals(reparsed));
            Assert.Equal(Text(original.Server), Text(reparsed.Server));
            Assert.Equal(original.Port, reparsed.Port);
            Assert.Equal(original.LunValue, reparsed.LunValue);
            Assert.Equal(Text(original.TargetName), Text(reparsed.TargetName));
        }

        [Fact]
        public void Format_reports_a_destination_that_is_too_small()
        {
            Assert.Equal(RootPathStatus.Ok, IscsiRootPath.TryParse(Ascii("iscsi:[fe80::1]::3261:0-1:iqn.x:y"), out IscsiRootPath path));
            int needed = path.Format(new byte[256]);
            for (int size = 0; size < needed; size++)
            {
                Assert.Equal(-1, path.Format(new byte[size]));
            }

            Assert.Equal(needed, path.Format(new byte[needed]));
        }

        [Fact]
        public void Format_lun_drops_trailing_zero_levels_and_leading_zeros()
        {
            byte[] buffer = new byte[IscsiRootPath.MaxLunTextLength];
            Assert.Equal("0", Text(buffer.AsSpan(0, IscsiRootPath.FormatLun(0, buffer))));
            Assert.Equal("1", Text(buffer.AsSpan(0, IscsiRootPath.FormatLun(0x0001_0000_0000_0000, buffer))));
            Assert.Equal("1-2", Text(buffer.AsSpan(0, IscsiRootPath.FormatLun(0x0001_0002_0000_0000, buffer))));
            Assert.Equal("ffff-ffff-ffff-ffff", Text(buffer.AsSpan(0, IscsiRootPath.FormatLun(ulong.MaxValue, buffer))));
            Assert.Equal(-1, IscsiRootPath.FormatLun(ulong.MaxValue, new byte[18]));
        }

        [Fact]
        public void Paths_differing_only_in_protocol_spelling_are_equal()
        {
            Assert.Equal(RootPathStatus.Ok, IscsiRootPath.TryParse(Ascii("iscsi:h:6:::t"), out IscsiRootPath a));
            Assert.Equal(RootPathStatus.Ok, IscsiRootPath.TryParse(Ascii("iscsi:h::3260:0:t"), out IscsiRootPath b));
            Assert.Equal(RootPathStatus.Ok, IscsiRootPath.TryParse(Ascii("iscsi:h::3260:0:u"), out IscsiRootPath c));
            Assert.True(a.ValueEquals(b));
            Assert.False(a.ValueEquals(c));
        }
    }
}
