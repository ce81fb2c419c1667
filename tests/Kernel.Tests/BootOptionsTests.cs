// Kernel settings from the command line and the allocation-free number formatting of the log.
using System;
using System.Text;
using Bootstage.Kernel.Console;
using Bootstage.Kernel.Core;

namespace Bootstage.Kernel.Tests
{
    public class BootOptionsTests
    {
        private static BootOptions Parse(string text) => BootOptions.Parse(Encoding.ASCII.GetBytes(text));

        [Fact]
        public void Defaults_are_both_consoles_at_info_level()
        {
            BootOptions options = Parse("/bootstage.bin");
            Assert.True(options.SerialConsole);
            Assert.True(options.VgaConsole);
            Assert.Equal(LogLevel.Info, options.LogLevel);
            Assert.Equal(BootMode.Boot, options.Mode);
            Assert.False(options.HasRootPath);
            Assert.True(options.WantsSanBoot);
        }

        [Theory]
        [InlineData("console=serial", true, false)]
        [InlineData("console=vga", false, true)]
        [InlineData("console=both", true, true)]
        public void Console_selects_the_outputs(string text, bool serial, bool vga)
        {
            BootOptions options = Parse(text);
            Assert.Equal(serial, options.SerialConsole);
            Assert.Equal(vga, options.VgaConsole);
            Assert.False(options.UnknownConsole);
        }

        [Fact]
        public void Unknown_values_are_flagged_and_defaults_kept()
        {
            BootOptions options = Parse("console=lpt1 loglevel=chatty");
            Assert.True(options.UnknownConsole);
            Assert.True(options.UnknownLogLevel);
            Assert.True(options.SerialConsole && options.VgaConsole);
            Assert.Equal(LogLevel.Info, options.LogLevel);
        }

        [Fact]
        public void Loglevel_selftest_and_script_are_recognised()
        {
            BootOptions options = Parse("loglevel=debug selftest script=\"dhcp; sanboot\"");
            Assert.Equal(LogLevel.Debug, options.LogLevel);
            Assert.Equal(BootMode.SelfTest, options.Mode);
            Assert.True(options.HasScript);
        }

        [Theory]
        [InlineData("selftest nettest=arp", (int)BootMode.SelfTest)]
        [InlineData("nettest=arp root-path=iscsi:10.0.2.2::::iqn.x:y", (int)BootMode.NetTest)]
        [InlineData("panic-test=throw selftest", (int)BootMode.PanicTest)]
        [InlineData("panic-test=other selftest", (int)BootMode.SelfTest)]
        [InlineData("root-path=iscsi:10.0.2.2::::iqn.x:y", (int)BootMode.Boot)]
        public void One_mode_is_chosen_and_test_modes_keep_the_boot_flow_out(string text, int expected)
        {
            Assert.Equal(expected, (int)Parse(text).Mode);
        }

        [Fact]
        public void Values_are_ranges_of_the_text_they_were_parsed_from()
        {
            byte[] text = Encoding.ASCII.GetBytes("/bootstage.bin nettest=tcp-echo:5001:64 bootnic=52:54:00:12:34:56 san-drive=0x81 santest");
            BootOptions options = BootOptions.Parse(text);

            Assert.Equal("tcp-echo:5001:64", Encoding.ASCII.GetString(options.NetTest.In(text)));
            Assert.Equal("52:54:00:12:34:56", Encoding.ASCII.GetString(options.BootNic.In(text)));
            Assert.Equal("0x81", Encoding.ASCII.GetString(options.SanDrive.In(text)));
            Assert.True(options.SanTest.Present);
            Assert.Equal(0, options.SanTest.In(text).Length);
            Assert.False(options.BootNic.Present && options.BootNic.Length == 0);
            Assert.False(Parse("selftest").NetTest.Present);
        }

        [Fact]
        public void Every_sanhook_word_counts_in_order_and_past_three_only_the_count_grows()
        {
            byte[] text = Encoding.ASCII.GetBytes("sanhook=iscsi:a::::iqn.x:1 root-path=iscsi:r::::iqn.x:0 sanhook=iscsi:b::::iqn.x:2 sanhook sanhook=iscsi:c::::iqn.x:3 sanhook=iscsi:d::::iqn.x:4");
            BootOptions options = BootOptions.Parse(text);

            Assert.Equal(4, options.SanHookCount);
            Assert.Equal("iscsi:a::::iqn.x:1", Encoding.ASCII.GetString(options.SanHook(0).In(text)));
            Assert.Equal("iscsi:b::::iqn.x:2", Encoding.ASCII.GetString(options.SanHook(1).In(text)));
            Assert.Equal("iscsi:c::::iqn.x:3", Encoding.ASCII.GetString(options.SanHook(2).In(text)));
            Assert.False(options.SanHook(3).Present);
            Assert.Equal(0, Parse("root-path=iscsi:r::::iqn.x:0").SanHookCount);
        }

        [Theory]
        [InlineData("root-path=iscsi:10.0.2.2::::iqn.x:y", true)]
        [InlineData("root-path=iscsi:10.0.2.2::::iqn.x:y skip-san-boot", false)]
        [InlineData("root-path=iscsi:10.0.2.2::::iqn.x:y santest=read:1", false)]
        [InlineData("root-path=iscsi:10.0.2.2::::iqn.x:y san-logout", false)]
        [InlineData("skip-san-boot=no", true)]
        public void A_root_path_boots_unless_only_the_disk_was_asked_for(string text, bool boots)
        {
            Assert.Equal(boots, Parse(text).WantsSanBoot);
        }

        [Theory]
        [InlineData("panic-test=page-fault", (int)PanicTest.PageFault)]
        [InlineData("panic-test=throw", (int)PanicTest.Throw)]
        [InlineData("panic-test=other", (int)PanicTest.None)]
        [InlineData("", (int)PanicTest.None)]
        public void Panic_test_is_off_unless_named_exactly(string text, int expected)
        {
            Assert.Equal(expected, (int)Parse(text).PanicTest);
        }

        [Theory]
        [InlineData(0UL, "0")]
        [InlineData(7UL, "7")]
        [InlineData(1234567890UL, "1234567890")]
        [InlineData(ulong.MaxValue, "18446744073709551615")]
        public void Decimal_formatting_matches_dotnet(ulong value, string expected)
        {
            Span<byte> buffer = stackalloc byte[20];
            int count = NumberFormat.Decimal(value, buffer);
            Assert.Equal(expected, Encoding.ASCII.GetString(buffer.Slice(0, count)));
        }

        [Theory]
        [InlineData(0UL, 1, "0")]
        [InlineData(0xABCUL, 1, "abc")]
        [InlineData(0x1237UL, 8, "00001237")]
        [InlineData(ulong.MaxValue, 4, "ffffffffffffffff")]
        public void Hex_formatting_pads_and_uses_lower_case(ulong value, int minDigits, string expected)
        {
            Span<byte> buffer = stackalloc byte[16];
            int count = NumberFormat.Hex(value, minDigits, buffer);
            Assert.Equal(expected, Encoding.ASCII.GetString(buffer.Slice(0, count)));
        }
    }
}
