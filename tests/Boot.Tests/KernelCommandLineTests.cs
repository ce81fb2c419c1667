// The kernel command line as loaders pass it: key=value words, flags, quoted values, repeats,
// a NUL terminator, and the image name mboot.c32 and QEMU put first.
using System;
using System.Text;
using Bootstage.Boot;

namespace Bootstage.Boot.Tests
{
    public class KernelCommandLineTests
    {
        private static string? Get(string text, string key)
        {
            KernelCommandLine commandLine = new KernelCommandLine(Encoding.ASCII.GetBytes(text));
            return commandLine.TryGet(Encoding.ASCII.GetBytes(key), out ReadOnlySpan<byte> value) ? Encoding.ASCII.GetString(value) : null;
        }

        [Fact]
        public void Key_value_words_are_found_after_the_image_name()
        {
            Assert.Equal("debug", Get("/bootstage.bin loglevel=debug console=serial", "loglevel"));
            Assert.Equal("serial", Get("/bootstage.bin loglevel=debug console=serial", "console"));
            Assert.Null(Get("/bootstage.bin loglevel=debug", "console"));
        }

        [Fact]
        public void A_repeated_key_takes_its_last_value()
        {
            Assert.Equal("warn", Get("loglevel=debug loglevel=warn", "loglevel"));
        }

        [Fact]
        public void A_word_without_equals_is_a_flag_with_an_empty_value()
        {
            KernelCommandLine commandLine = new KernelCommandLine("selftest quiet=0"u8);
            Assert.True(commandLine.IsSet("selftest"u8));
            Assert.False(commandLine.IsSet("quiet"u8));
            Assert.False(commandLine.IsSet("missing"u8));
        }

        [Fact]
        public void A_quoted_value_keeps_its_spaces()
        {
            Assert.Equal("dhcp; sanboot iscsi:10.0.2.2:::1:iqn.x", Get("a=1 script=\"dhcp; sanboot iscsi:10.0.2.2:::1:iqn.x\" b=2", "script"));
            Assert.Equal("2", Get("a=1 script=\"dhcp; sanboot\" b=2", "b"));
        }

        [Fact]
        public void An_unterminated_quote_ends_at_the_end_of_the_text()
        {
            Assert.Equal("dhcp; boot", Get("script=\"dhcp; boot", "script"));
        }

        [Fact]
        public void Text_stops_at_the_nul_terminator()
        {
            byte[] text = Encoding.ASCII.GetBytes("a=1\0b=2");
            KernelCommandLine commandLine = new KernelCommandLine(text);
            Assert.Equal(3, commandLine.Text.Length);
            Assert.False(commandLine.TryGet("b"u8, out _));
        }

        [Fact]
        public void Words_are_enumerated_in_order_with_tabs_and_runs_of_spaces()
        {
            KernelCommandLine commandLine = new KernelCommandLine("  a=1\t\tb   c=\n"u8);
            StringBuilder seen = new StringBuilder();

            KernelCommandLine.Enumerator words = commandLine.GetEnumerator();
            while (words.MoveNext())
            {
                seen.Append(Encoding.ASCII.GetString(words.Key)).Append('[').Append(Encoding.ASCII.GetString(words.Value)).Append(']');
            }

            Assert.Equal("a[1]b[]c[]", seen.ToString());
        }

        [Theory]
        [InlineData("password", true)]
        [InlineData("reverse-password", true)]
        [InlineData("username", false)]
        [InlineData("root-path", false)]
        public void Chap_secrets_are_the_keys_masked_in_logs(string key, bool secret)
        {
            Assert.Equal(secret, KernelCommandLine.IsSecret(System.Text.Encoding.ASCII.GetBytes(key)));
        }
    }
}
