// Choosing the boot NIC by MAC, by instance UUID, or by link state.
using System;
using System.Text;
using Bootstage.Boot;
using Bootstage.Drivers.Net;

namespace Bootstage.Boot.Tests
{
    public class BootNicSelectorTests
    {
        private sealed class FakeNic : NetDevice
        {
            private readonly byte[] _name;

            public FakeNic(string name, string mac, LinkState link, bool open = true)
            {
                IsOpen = open;
                _name = Encoding.ASCII.GetBytes(name);
                Assert.True(BootNicSelector.TryParseMac(Encoding.ASCII.GetBytes(mac), out MacAddress parsed));
                Mac = parsed;
                Link = link;
            }

            public override ReadOnlySpan<byte> Name => _name;

            public override NetStatus Open() => NetStatus.Success;

            public override void Close()
            {
            }

            public override NetStatus Transmit(ReadOnlySpan<byte> frame) => NetStatus.Success;

            public override int Poll(IFrameSink sink, int budget) => 0;
        }

        private static readonly NetDevice[] Nics =
        {
            new FakeNic("netvsc-11111111-2222-3333-4444-555555555555", "00:15:5d:00:00:01", LinkState.Down),
            new FakeNic("netvsc-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "00:15:5D:00:00:02", LinkState.Up),
            new FakeNic("netvsc-99999999-8888-7777-6666-555555555555", "00:15:5d:00:00:03", LinkState.Up),
        };

        private static int Select(string selector) => BootNicSelector.Select(Encoding.ASCII.GetBytes(selector), Nics, Nics.Length);

        [Fact]
        public void Without_a_selector_the_first_nic_with_link_up_is_chosen()
        {
            Assert.Equal(1, Select(""));
        }

        [Theory]
        [InlineData("00:15:5d:00:00:03", 2)]
        [InlineData("00-15-5D-00-00-01", 0)]
        [InlineData("AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE", 1)]
        [InlineData("99999999-8888-7777-6666-555555555555", 2)]
        public void A_mac_or_an_instance_uuid_selects_its_nic(string selector, int expected)
        {
            Assert.Equal(expected, Select(selector));
        }

        [Theory]
        [InlineData("00:15:5d:00:00:09")]
        [InlineData("12345678-0000-0000-0000-000000000000")]
        public void A_selector_that_matches_nothing_selects_nothing(string selector)
        {
            Assert.Equal(-1, Select(selector));
        }

        [Theory]
        [InlineData("00:15:5d:00:00")]
        [InlineData("00:15:5d:00:00:0g")]
        [InlineData("00.15.5d.00.00.01")]
        public void Malformed_mac_text_is_not_a_mac(string text)
        {
            Assert.False(BootNicSelector.TryParseMac(Encoding.ASCII.GetBytes(text), out _));
        }

        [Fact]
        public void Without_a_selector_a_nic_that_failed_to_open_is_passed_over()
        {
            NetDevice[] nics =
            {
                new FakeNic("netvsc-11111111-2222-3333-4444-555555555555", "00:15:5d:00:00:01", LinkState.Up, open: false),
                new FakeNic("netvsc-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "00:15:5d:00:00:02", LinkState.Down),
            };
            NetDevice[] dead = { nics[0] };

            Assert.Equal(1, BootNicSelector.Select(default, nics, nics.Length));
            Assert.Equal(-1, BootNicSelector.Select(default, dead, dead.Length));
        }

        [Fact]
        public void No_devices_means_no_choice()
        {
            Assert.Equal(-1, BootNicSelector.Select(default, Array.Empty<NetDevice>(), 0));
        }
    }
}
