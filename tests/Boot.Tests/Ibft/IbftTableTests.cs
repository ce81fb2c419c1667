// The iBFT builder read back by the tests' own reader (IbftReader, written from the table
// layout): checksum, header, control offsets and structure headers, alignment, every string,
// IPv4-mapped addresses, NIC fields, port and LUN byte order, CHAP types, the size bound, and
// refusals that leave the destination untouched.
using System;
using System.Text;
using Bootstage.Boot.Ibft;
using Bootstage.Boot.Iscsi;
using Bootstage.Net;

namespace Bootstage.Boot.Tests.Ibft
{
    public class IbftTableTests
    {
        private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

        private static IbftDescription Full()
        {
            return new IbftDescription
            {
                InitiatorName = Ascii("iqn.2026-11.org.bootstage:client"),
                Mac = new byte[] { 0x00, 0x15, 0x5D, 0x01, 0x02, 0x03 },
                Ip = new Ipv4Address(192, 168, 10, 20),
                PrefixLength = 24,
                Gateway = new Ipv4Address(192, 168, 10, 1),
                PrimaryDns = new Ipv4Address(192, 168, 10, 2),
                SecondaryDns = new Ipv4Address(192, 168, 10, 3),
                DhcpServer = new Ipv4Address(192, 168, 10, 4),
                FromDhcp = true,
                HostName = Ascii("client01"),
                TargetIp = new Ipv4Address(192, 168, 10, 50),
                TargetPort = 3260,
                Lun = 0x0001_0000_0000_0000,
                TargetName = Ascii("iqn.2026-11.example:disk"),
                ChapName = Ascii("alice"),
                ChapSecret = Ascii("secret-123456"),
                ReverseChapName = Ascii("target-bob"),
                ReverseChapSecret = Ascii("reverse-secret-1"),
            };
        }

        private static IbftDescription Minimal()
        {
            return new IbftDescription
            {
                InitiatorName = Ascii("iqn.2026-11.org.bootstage:min"),
                Mac = new byte[] { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
                Ip = new Ipv4Address(10, 0, 2, 15),
                TargetIp = new Ipv4Address(10, 0, 2, 2),
                TargetName = Ascii("iqn.2026-11.example:disk"),
            };
        }

        private static IbftReader Build(IbftDescription description)
        {
            byte[] buffer = new byte[IbftTable.MaxLength];
            Assert.True(IbftTable.TryFormat(description, buffer, out int written));
            Assert.InRange(written, 1, IbftTable.MaxLength);
            return new IbftReader(buffer.AsSpan(0, written));
        }

        private static void AssertString(IbftString field, string expected, int tableLength)
        {
            Assert.Equal(expected.Length, field.Length);
            Assert.InRange(field.Offset + field.Length, 1, tableLength - 1);
            Assert.Equal(expected, field.Text);
            Assert.True(field.NulTerminated);
        }

        [Fact]
        public void Every_byte_sums_to_zero_with_the_checksum()
        {
            foreach (IbftDescription description in new[] { Full(), Minimal() })
            {
                IbftReader table = Build(description);
                byte sum = 0;
                foreach (byte b in table.Bytes)
                {
                    sum += b;
                }

                Assert.Equal(0, sum);
            }
        }

        [Fact]
        public void Header_has_the_signature_revision_1_the_written_length_and_the_oem_ids()
        {
            byte[] buffer = new byte[IbftTable.MaxLength];
            Assert.True(IbftTable.TryFormat(Full(), buffer, out int written));
            IbftReader table = new IbftReader(buffer.AsSpan(0, written));
            Assert.Equal("iBFT", table.Signature);
            Assert.Equal((uint)written, table.Length);
            Assert.Equal(1, table.Revision);
            Assert.Equal("BSTAGE", Encoding.ASCII.GetString(table.OemId));
            Assert.Equal("BOOTSTGE", Encoding.ASCII.GetString(table.OemTableId));
            Assert.True(table.Reserved.IndexOfAnyExcept((byte)0) < 0);
        }

        [Fact]
        public void Short_oem_ids_are_padded_with_nuls_and_long_ones_are_refused()
        {
            IbftDescription description = Minimal();
            description.OemId = Ascii("ABC");
            description.OemTableId = Ascii("XY");
            IbftReader table = Build(description);
            Assert.Equal(new byte[] { (byte)'A', (byte)'B', (byte)'C', 0, 0, 0 }, table.OemId.ToArray());
            Assert.Equal(new byte[] { (byte)'X', (byte)'Y', 0, 0, 0, 0, 0, 0 }, table.OemTableId.ToArray());

            description.OemId = Ascii("SEVENCH");
            Assert.Equal(IbftStatus.BadOemId, IbftTable.Format(description, new byte[IbftTable.MaxLength], out _));
        }

        [Fact]
        public void Control_structure_points_at_initiator_nic_0_and_target_0_with_the_right_headers()
        {
            IbftReader table = Build(Full());
            IbftStructure control = table.Control;
            Assert.Equal(48, control.Offset);
            Assert.Equal(1, control.Id);
            Assert.Equal(1, control.Version);
            Assert.Equal(18, control.Length);
            Assert.Equal(0, control.Index);
            Assert.Equal(0, table.Extensions);
            Assert.Equal(0, table.Nic1Offset);
            Assert.Equal(0, table.Target1Offset);

            IbftStructure initiator = table.Initiator;
            Assert.Equal(2, initiator.Id);
            Assert.Equal(1, initiator.Version);
            Assert.Equal(74, initiator.Length);
            Assert.Equal(0, initiator.Index);

            IbftStructure nic = table.Nic;
            Assert.Equal(3, nic.Id);
            Assert.Equal(1, nic.Version);
            Assert.Equal(102, nic.Length);
            Assert.Equal(0, nic.Index);

            IbftStructure target = table.Target;
            Assert.Equal(4, target.Id);
            Assert.Equal(1, target.Version);
            Assert.Equal(54, target.Length);
            Assert.Equal(0, target.Index);
        }

        [Fact]
        public void Initiator_nic_and_target_are_flagged_valid_and_boot_selected()
        {
            IbftReader table = Build(Full());
            Assert.Equal(0x03, table.Initiator.Flags);
            Assert.Equal(0x03, table.Nic.Flags);
            Assert.Equal(0x03, table.Target.Flags);
            Assert.Equal(0x00, table.Control.Flags);
        }

        [Fact]
        public void Structures_are_8_byte_aligned_in_order_without_overlap_and_pass_linux_bounds()
        {
            IbftReader table = Build(Full());
            int[] offsets = { table.InitiatorOffset, table.Nic0Offset, table.Target0Offset };
            int[] lengths = { 74, 102, 54 };
            int previousEnd = 48 + 18;
            for (int i = 0; i < offsets.Length; i++)
            {
                Assert.Equal(0, offsets[i] % 8);
                Assert.True(offsets[i] >= previousEnd);

                // Linux's ibft_register_kobjects ignores offsets at or past (length - 48).
                Assert.True(offsets[i] < table.Length - 48);
                previousEnd = offsets[i] + lengths[i];
            }

            Assert.True(previousEnd <= table.Length);
        }

        [Fact]
        public void Every_string_round_trips_with_its_length_offset_and_nul()
        {
            IbftReader table = Build(Full());
            int length = (int)table.Length;
            AssertString(table.InitiatorName, "iqn.2026-11.org.bootstage:client", length);
            AssertString(table.NicHostName, "client01", length);
            AssertString(table.TargetName, "iqn.2026-11.example:disk", length);
            AssertString(table.ChapName, "alice", length);
            AssertString(table.ChapSecret, "secret-123456", length);
            AssertString(table.ReverseChapName, "target-bob", length);
            AssertString(table.ReverseChapSecret, "reverse-secret-1", length);
        }

        [Fact]
        public void Strings_live_after_the_structures_and_do_not_overlap()
        {
            IbftReader table = Build(Full());
            IbftString[] strings =
            {
                table.InitiatorName, table.NicHostName, table.TargetName, table.ChapName,
                table.ChapSecret, table.ReverseChapName, table.ReverseChapSecret,
            };
            int structuresEnd = table.Target0Offset + 54;
            bool[] used = new bool[table.Length];
            foreach (IbftString s in strings)
            {
                Assert.True(s.Offset >= structuresEnd);
                for (int i = s.Offset; i <= s.Offset + s.Length; i++)
                {
                    Assert.False(used[i]);
                    used[i] = true;
                }
            }
        }

        [Fact]
        public void Addresses_are_ipv4_mapped_ipv6()
        {
            IbftReader table = Build(Full());
            Assert.Equal("192.168.10.20", IbftReader.MappedIpv4(table.NicIp));
            Assert.Equal("192.168.10.1", IbftReader.MappedIpv4(table.NicGateway));
            Assert.Equal("192.168.10.2", IbftReader.MappedIpv4(table.NicPrimaryDns));
            Assert.Equal("192.168.10.3", IbftReader.MappedIpv4(table.NicSecondaryDns));
            Assert.Equal("192.168.10.4", IbftReader.MappedIpv4(table.NicDhcp));
            Assert.Equal("192.168.10.50", IbftReader.MappedIpv4(table.TargetIp));
            Assert.Equal(
                new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 168, 10, 50 },
                table.TargetIp.ToArray());
        }

        [Fact]
        public void Absent_addresses_are_all_zero()
        {
            IbftReader table = Build(Minimal());
            Assert.True(table.NicGateway.IndexOfAnyExcept((byte)0) < 0);
            Assert.True(table.NicPrimaryDns.IndexOfAnyExcept((byte)0) < 0);
            Assert.True(table.NicSecondaryDns.IndexOfAnyExcept((byte)0) < 0);
            Assert.True(table.NicDhcp.IndexOfAnyExcept((byte)0) < 0);
            for (int i = 0; i < 4; i++)
            {
                Assert.True(table.InitiatorAddress(i).IndexOfAnyExcept((byte)0) < 0);
            }
        }

        [Fact]
        public void Nic_carries_prefix_origin_vlan_mac_and_pci_location()
        {
            IbftDescription description = Full();
            description.Vlan = 100;
            description.PciBus = 0x12;
            description.PciDevice = 3;
            description.PciFunction = 1;
            IbftReader table = Build(description);
            Assert.Equal(24, table.NicPrefix);
            Assert.Equal(3, table.NicOrigin);
            Assert.Equal(100, table.NicVlan);
            Assert.Equal(new byte[] { 0x00, 0x15, 0x5D, 0x01, 0x02, 0x03 }, table.NicMac.ToArray());

            // Linux: bus = bdf >> 8, devfn = bdf & 0xff with devfn = device << 3 | function.
            Assert.Equal(0x12, table.NicPciBdf >> 8);
            Assert.Equal((3 << 3) | 1, table.NicPciBdf & 0xFF);
        }

        [Fact]
        public void Static_configuration_is_origin_manual_and_a_vmbus_nic_has_pci_location_zero()
        {
            IbftDescription description = Minimal();
            description.FromDhcp = false;
            IbftReader table = Build(description);
            Assert.Equal(1, table.NicOrigin);
            Assert.Equal(0, table.NicPciBdf);
            Assert.Equal(0, table.NicVlan);
        }

        [Fact]
        public void Absent_host_name_is_length_0_offset_0()
        {
            IbftReader table = Build(Minimal());
            Assert.True(table.NicHostName.Absent);
        }

        [Fact]
        public void Target_port_is_little_endian_and_nic_association_is_0()
        {
            IbftDescription description = Full();
            description.TargetPort = 0x0CBC;
            IbftReader table = Build(description);
            Assert.Equal(0x0CBC, table.TargetPort);
            Assert.Equal(0xBC, table.Bytes[table.Target0Offset + 22]);
            Assert.Equal(0x0C, table.Bytes[table.Target0Offset + 23]);
            Assert.Equal(0, table.TargetNicAssociation);
        }

        [Theory]
        [InlineData("", new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 })]
        [InlineData("0", new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 })]
        [InlineData("1", new byte[] { 0, 1, 0, 0, 0, 0, 0, 0 })]
        [InlineData("0-1", new byte[] { 0, 0, 0, 1, 0, 0, 0, 0 })]
        [InlineData("4752-3A4F-6b7e-2F99", new byte[] { 0x47, 0x52, 0x3A, 0x4F, 0x6B, 0x7E, 0x2F, 0x99 })]
        public void Lun_from_the_root_path_is_stored_in_sam_byte_order(string lunText, byte[] expected)
        {
            Assert.Equal(RootPathStatus.Ok, IscsiRootPath.TryParse(Ascii("iscsi:10.0.2.2:::" + lunText + ":iqn.2026-11.example:disk"), out IscsiRootPath path));
            IbftDescription description = Minimal();
            description.Lun = path.LunValue;
            IbftReader table = Build(description);
            Assert.Equal(expected, table.TargetLun.ToArray());

            // The same 8 bytes an iSCSI PDU carries for this LUN.
            byte[] pduLun = new byte[8];
            Assert.True(path.TryWriteLun(pduLun));
            Assert.Equal(pduLun, table.TargetLun.ToArray());
        }

        [Fact]
        public void Without_secrets_chap_type_is_0_and_every_chap_string_is_absent()
        {
            IbftReader table = Build(Minimal());
            Assert.Equal(0, table.TargetChapType);
            Assert.True(table.ChapName.Absent);
            Assert.True(table.ChapSecret.Absent);
            Assert.True(table.ReverseChapName.Absent);
            Assert.True(table.ReverseChapSecret.Absent);
        }

        [Fact]
        public void With_forward_secrets_only_chap_type_is_1_and_reverse_strings_are_absent()
        {
            IbftDescription description = Minimal();
            description.ChapName = Ascii("alice");
            description.ChapSecret = Ascii("secret-123456");
            IbftReader table = Build(description);
            Assert.Equal(1, table.TargetChapType);
            AssertString(table.ChapName, "alice", (int)table.Length);
            AssertString(table.ChapSecret, "secret-123456", (int)table.Length);
            Assert.True(table.ReverseChapName.Absent);
            Assert.True(table.ReverseChapSecret.Absent);
        }

        [Fact]
        public void With_both_directions_chap_type_is_2()
        {
            IbftReader table = Build(Full());
            Assert.Equal(2, table.TargetChapType);
        }

        [Fact]
        public void Half_given_or_reverse_only_credentials_are_refused()
        {
            IbftDescription nameOnly = Minimal();
            nameOnly.ChapName = Ascii("alice");
            Assert.Equal(IbftStatus.IncompleteChap, IbftTable.Format(nameOnly, new byte[IbftTable.MaxLength], out _));

            IbftDescription reverseSecretOnly = Full();
            reverseSecretOnly.ReverseChapName = new byte[0];
            Assert.Equal(IbftStatus.IncompleteChap, IbftTable.Format(reverseSecretOnly, new byte[IbftTable.MaxLength], out _));

            IbftDescription reverseOnly = Full();
            reverseOnly.ChapName = new byte[0];
            reverseOnly.ChapSecret = new byte[0];
            Assert.Equal(IbftStatus.ReverseChapWithoutChap, IbftTable.Format(reverseOnly, new byte[IbftTable.MaxLength], out _));
        }

        [Fact]
        public void Table_with_every_string_at_its_maximum_fits_max_length_exactly()
        {
            IbftDescription description = Full();
            byte[] longest = Ascii(new string('x', IbftTable.MaxStringLength));
            description.InitiatorName = longest;
            description.HostName = longest;
            description.TargetName = longest;
            description.ChapName = longest;
            description.ChapSecret = longest;
            description.ReverseChapName = longest;
            description.ReverseChapSecret = longest;
            byte[] buffer = new byte[IbftTable.MaxLength];
            Assert.True(IbftTable.TryFormat(description, buffer, out int written));
            Assert.Equal(IbftTable.MaxLength, written);
            Assert.Equal(written, IbftTable.Measure(description));

            // Offsets are 16-bit and Linux wants the table to end below 1 MiB from 512 KiB at worst.
            Assert.True(IbftTable.MaxLength < 0x10000);
            IbftReader table = new IbftReader(buffer);
            AssertString(table.ReverseChapSecret, new string('x', IbftTable.MaxStringLength), written);
        }

        [Fact]
        public void Measure_matches_what_format_writes()
        {
            foreach (IbftDescription description in new[] { Full(), Minimal() })
            {
                byte[] buffer = new byte[IbftTable.MaxLength];
                Assert.True(IbftTable.TryFormat(description, buffer, out int written));
                Assert.Equal(written, IbftTable.Measure(description));
            }

            Assert.Equal(-1, IbftTable.Measure(new IbftDescription()));
        }

        [Fact]
        public void Too_small_destination_returns_false_and_leaves_every_byte_alone()
        {
            int needed = IbftTable.Measure(Full());
            byte[] buffer = new byte[needed + 32];
            buffer.AsSpan().Fill(0xA5);
            Assert.False(IbftTable.TryFormat(Full(), buffer.AsSpan(0, needed - 1), out int written));
            Assert.Equal(0, written);
            Assert.True(buffer.AsSpan().IndexOfAnyExcept((byte)0xA5) < 0);
            Assert.Equal(IbftStatus.DestinationTooSmall, IbftTable.Format(Full(), buffer.AsSpan(0, 0), out _));
        }

        [Fact]
        public void Exactly_sized_destination_works_and_bytes_past_the_table_are_untouched()
        {
            int needed = IbftTable.Measure(Full());
            byte[] buffer = new byte[needed + 32];
            buffer.AsSpan().Fill(0xA5);
            Assert.True(IbftTable.TryFormat(Full(), buffer.AsSpan(0, needed), out int written));
            Assert.Equal(needed, written);
            Assert.True(buffer.AsSpan(needed).IndexOfAnyExcept((byte)0xA5) < 0);

            // And with room to spare, still nothing past the table.
            buffer.AsSpan().Fill(0xA5);
            Assert.True(IbftTable.TryFormat(Full(), buffer, out written));
            Assert.True(buffer.AsSpan(written).IndexOfAnyExcept((byte)0xA5) < 0);
        }

        [Fact]
        public void Stale_bytes_in_the_destination_do_not_leak_into_the_table()
        {
            byte[] clean = new byte[IbftTable.MaxLength];
            byte[] dirty = new byte[IbftTable.MaxLength];
            dirty.AsSpan().Fill(0xCC);
            Assert.True(IbftTable.TryFormat(Minimal(), clean, out int cleanLength));
            Assert.True(IbftTable.TryFormat(Minimal(), dirty, out int dirtyLength));
            Assert.Equal(cleanLength, dirtyLength);
            Assert.Equal(clean.AsSpan(0, cleanLength).ToArray(), dirty.AsSpan(0, dirtyLength).ToArray());
        }

        [Fact]
        public void Over_long_string_returns_false_without_touching_the_destination()
        {
            byte[] tooLong = Ascii(new string('y', IbftTable.MaxStringLength + 1));
            IbftDescription[] cases = new IbftDescription[7];
            for (int i = 0; i < cases.Length; i++)
            {
                cases[i] = Full();
            }

            cases[0].InitiatorName = tooLong;
            cases[1].HostName = tooLong;
            cases[2].TargetName = tooLong;
            cases[3].ChapName = tooLong;
            cases[4].ChapSecret = tooLong;
            cases[5].ReverseChapName = tooLong;
            cases[6].ReverseChapSecret = tooLong;
            foreach (IbftDescription description in cases)
            {
                byte[] buffer = new byte[IbftTable.MaxLength + 64];
                buffer.AsSpan().Fill(0x5A);
                Assert.Equal(IbftStatus.StringTooLong, IbftTable.Format(description, buffer, out int written));
                Assert.Equal(0, written);
                Assert.True(buffer.AsSpan().IndexOfAnyExcept((byte)0x5A) < 0);
            }
        }

        [Fact]
        public void String_with_an_embedded_nul_is_refused()
        {
            IbftDescription description = Full();
            description.ChapSecret = new byte[] { (byte)'a', 0, (byte)'b' };
            Assert.Equal(IbftStatus.StringContainsNul, IbftTable.Format(description, new byte[IbftTable.MaxLength], out _));
        }

        [Fact]
        public void Missing_names_addresses_or_a_bad_mac_prefix_or_pci_location_are_refused()
        {
            byte[] buffer = new byte[IbftTable.MaxLength];
            IbftDescription d = Minimal();
            d.InitiatorName = new byte[0];
            Assert.Equal(IbftStatus.MissingInitiatorName, IbftTable.Format(d, buffer, out _));

            d = Minimal();
            d.TargetName = new byte[0];
            Assert.Equal(IbftStatus.MissingTargetName, IbftTable.Format(d, buffer, out _));

            d = Minimal();
            d.Ip = default;
            Assert.Equal(IbftStatus.MissingNicAddress, IbftTable.Format(d, buffer, out _));

            d = Minimal();
            d.TargetIp = default;
            Assert.Equal(IbftStatus.BadTargetAddress, IbftTable.Format(d, buffer, out _));

            d = Minimal();
            d.TargetPort = 0;
            Assert.Equal(IbftStatus.BadTargetAddress, IbftTable.Format(d, buffer, out _));

            d = Minimal();
            d.Mac = new byte[5];
            Assert.Equal(IbftStatus.BadMac, IbftTable.Format(d, buffer, out _));

            d = Minimal();
            d.PrefixLength = 33;
            Assert.Equal(IbftStatus.BadPrefixLength, IbftTable.Format(d, buffer, out _));

            d = Minimal();
            d.PciDevice = 32;
            Assert.Equal(IbftStatus.BadPciLocation, IbftTable.Format(d, buffer, out _));

            d = Minimal();
            d.PciFunction = 8;
            Assert.Equal(IbftStatus.BadPciLocation, IbftTable.Format(d, buffer, out _));

            Assert.Equal(IbftStatus.NoDescription, IbftTable.Format(null, buffer, out _));
            Assert.True(buffer.AsSpan().IndexOfAnyExcept((byte)0) < 0);
        }

        [Fact]
        public void Formatting_allocates_nothing()
        {
            IbftDescription description = Full();
            byte[] buffer = new byte[IbftTable.MaxLength];
            Assert.True(IbftTable.TryFormat(description, buffer, out _));
            long before = GC.GetAllocatedBytesForCurrentThread();
            bool ok = IbftTable.TryFormat(description, buffer, out _);
            long after = GC.GetAllocatedBytesForCurrentThread();
            Assert.True(ok);
            Assert.Equal(0, after - before);
        }

        [Fact]
        public void Placement_constants_match_linux_legacy_scan()
        {
            Assert.Equal(0x80000UL, IbftTable.SearchStart);
            Assert.Equal(0x100000UL, IbftTable.SearchEnd);
            Assert.Equal(16, IbftTable.Alignment);
        }

        [Fact]
        public void Only_16_byte_aligned_placements_in_the_scanned_window_are_accepted()
        {
            Assert.True(IbftTable.IsScannedPlacement(0x80000, 512));
            Assert.True(IbftTable.IsScannedPlacement(0x9F000, 0x1000));
            Assert.True(IbftTable.IsScannedPlacement(0xC0000, 512));
            Assert.False(IbftTable.IsScannedPlacement(0x7FFF0, 512));
            Assert.False(IbftTable.IsScannedPlacement(0x80008, 512));
            Assert.False(IbftTable.IsScannedPlacement(0x9FF00, 512));
            Assert.False(IbftTable.IsScannedPlacement(0xA0000, 512));
            Assert.False(IbftTable.IsScannedPlacement(0xFFF00, 0x100));
            Assert.True(IbftTable.IsScannedPlacement(0xFFF00, 0xFF));
            Assert.False(IbftTable.IsScannedPlacement(0x100000, 16));
            Assert.False(IbftTable.IsScannedPlacement(0x80000, 0));
        }

        [Fact]
        public void Prefix_length_is_counted_from_a_contiguous_mask()
        {
            Assert.Equal(24, IbftTable.PrefixLength(new Ipv4Address(255, 255, 255, 0)));
            Assert.Equal(32, IbftTable.PrefixLength(new Ipv4Address(255, 255, 255, 255)));
            Assert.Equal(0, IbftTable.PrefixLength(new Ipv4Address(0, 0, 0, 0)));
            Assert.Equal(17, IbftTable.PrefixLength(new Ipv4Address(255, 255, 128, 0)));
            Assert.Equal(-1, IbftTable.PrefixLength(new Ipv4Address(255, 0, 255, 0)));
        }

        [Fact]
        public void Every_status_has_a_description()
        {
            foreach (IbftStatus status in Enum.GetValues<IbftStatus>())
            {
                Assert.NotEqual("unknown iBFT status", Encoding.ASCII.GetString(IbftTable.Describe(status)));
            }
        }
    }
}
