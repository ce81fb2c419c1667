// `set`, `clear` and `${...}` in boot scripts: the script's own values, the host's settings
// (net0/mac, ip, uuid), nesting, words that stay one argument, and the forms we refuse.
using System;
using System.Text;
using Bootstage.Boot.Script;

namespace Bootstage.Boot.Tests.Script
{
    public class ScriptSettingsTests
    {
        private static RecordingScriptHost Host()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            host.Settings["net0/mac"] = "52:54:00:12:34:56";
            host.Settings["ip"] = "10.0.2.15";
            host.Settings["uuid"] = "8d2b4c3e-0000-4000-8000-123456789abc";
            return host;
        }

        private static string Console(string script, out ScriptStatus status, out ScriptInterpreter interpreter, RecordingScriptHost? host = null)
        {
            host ??= Host();
            interpreter = ScriptInterpreterTests.Run(script, host, out status);
            return host.Console.ToString();
        }

        [Fact]
        public void Host_settings_expand_in_place()
        {
            string output = Console("#!ipxe\necho mac=${net0/mac} ip=${ip}\necho ${uuid}\n", out ScriptStatus status, out _);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal("mac=52:54:00:12:34:56 ip=10.0.2.15\n8d2b4c3e-0000-4000-8000-123456789abc\n", output);
        }

        [Fact]
        public void A_setting_nobody_has_expands_to_nothing_and_stays_an_argument()
        {
            string output = Console("#!ipxe\necho [${nothing}]\nisset ${nothing} || echo empty\niseq ${nothing} ${other} && echo equal\n", out ScriptStatus status, out _);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal("[]\nempty\nequal\n", output);
        }

        [Fact]
        public void Set_joins_its_words_and_the_value_stays_one_argument_when_expanded()
        {
            string output = Console("#!ipxe\nset greeting hello   there  world\niseq ${greeting} ${greeting} && echo one word each\necho ${greeting}\n", out ScriptStatus status, out _);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal("one word each\nhello there world\n", output);
        }

        [Fact]
        public void The_scripts_own_value_shadows_the_host_until_cleared()
        {
            string output = Console("#!ipxe\nset ip 192.0.2.1\necho ${ip}\nclear ip\necho ${ip}\nset ip 192.0.2.2\nset ip\necho ${ip}\n", out ScriptStatus status, out _);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal("192.0.2.1\n10.0.2.15\n10.0.2.15\n", output);
        }

        [Fact]
        public void Expansion_is_innermost_first_and_values_are_expanded_again()
        {
            string output = Console("#!ipxe\nset which mac\nset ref ${ip}\necho ${net0/${which}} ${ref}\n", out ScriptStatus status, out _);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.StartsWith("52:54:00:12:34:56 10.0.2.15\n", output);
        }

        [Fact]
        public void A_value_holding_its_own_expansion_stops_with_an_error_instead_of_spinning()
        {
            RecordingScriptHost host = Host();
            host.Settings["loop"] = "${loop}";
            Console("#!ipxe\necho ${loop}\n", out ScriptStatus status, out ScriptInterpreter interpreter, host);
            Assert.Equal(ScriptStatus.ExpansionTooLong, status);
            Assert.Equal(2, interpreter.ErrorLine);
        }

        [Theory]
        [InlineData("echo ${ip")]
        [InlineData("echo ${ip}${")]
        [InlineData("echo a}${b")]
        public void An_unterminated_expansion_is_an_error_naming_the_line(string line)
        {
            Console("#!ipxe\necho ok\n" + line + "\n", out ScriptStatus status, out ScriptInterpreter interpreter);
            Assert.Equal(ScriptStatus.UnterminatedExpansion, status);
            Assert.Equal(3, interpreter.ErrorLine);
            Assert.Equal("echo", Encoding.ASCII.GetString(interpreter.ErrorCommand));
        }

        [Fact]
        public void A_brace_alone_and_a_dollar_alone_are_text()
        {
            string output = Console("#!ipxe\necho } $ $x {a}\n", out ScriptStatus status, out _);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal("} $ $x {a}\n", output);
        }

        [Theory]
        [InlineData("echo ${net0/mac:hex}")]
        [InlineData("set ip:ipv4 10.0.0.1")]
        [InlineData("clear x:string")]
        public void Typed_setting_names_are_refused(string line)
        {
            Console("#!ipxe\n" + line + "\n", out ScriptStatus status, out ScriptInterpreter interpreter);
            Assert.Equal(ScriptStatus.UnsupportedSettingType, status);
            Assert.Equal(2, interpreter.ErrorLine);
        }

        [Fact]
        public void A_value_longer_than_a_setting_holds_is_refused()
        {
            string value = new string('v', ScriptSettings.MaxValueLength + 1);
            Console("#!ipxe\nset big " + value + "\n", out ScriptStatus status, out _);
            Assert.Equal(ScriptStatus.ValueTooLong, status);
        }

        [Fact]
        public void The_store_refuses_more_settings_than_it_holds_but_replacing_one_still_works()
        {
            StringBuilder script = new StringBuilder("#!ipxe\n");
            for (int i = 0; i < ScriptSettings.MaxSettings; i++)
            {
                script.Append("set s").Append(i).Append(" v\n");
            }

            script.Append("set s0 replaced\necho ${s0}\nset one-more v\n");
            string output = Console(script.ToString(), out ScriptStatus status, out ScriptInterpreter interpreter);
            Assert.Equal("replaced\n", output);
            Assert.Equal(ScriptStatus.TooManySettings, status);
            Assert.Equal(ScriptSettings.MaxSettings + 4, interpreter.ErrorLine);
        }

        [Fact]
        public void An_expansion_that_outgrows_the_line_is_an_error()
        {
            RecordingScriptHost host = Host();
            host.Settings["big"] = new string('b', 1000);
            Console("#!ipxe\necho ${big}${big}${big}${big}${big}\n", out ScriptStatus status, out _, host);
            Assert.Equal(ScriptStatus.ExpansionTooLong, status);
        }

        [Fact]
        public void An_empty_setting_name_is_refused_by_set()
        {
            Console("#!ipxe\nset ${nothing} value\n", out ScriptStatus status, out _);
            Assert.Equal(ScriptStatus.InvalidSettingName, status);
        }

        [Theory]
        [InlineData("1", true)]
        [InlineData("0x01", true)]
        [InlineData("0", false)]
        [InlineData("yes", false)]
        [InlineData("", false)]
        public void IsTrue_reads_integer_settings_as_iPXE_does(string value, bool expected)
        {
            ScriptSettings settings = new ScriptSettings(Host());
            Assert.Equal(ScriptStatus.Success, settings.Store("keep-san"u8, Encoding.ASCII.GetBytes(value)));
            Assert.Equal(expected, settings.IsTrue("keep-san"u8));
        }

        [Theory]
        [InlineData("0", 0u)]
        [InlineData("129", 129u)]
        [InlineData("0x81", 0x81u)]
        [InlineData("0X8f", 0x8fu)]
        [InlineData("0201", 129u)]
        [InlineData("4294967295", 4294967295u)]
        public void Numbers_read_as_strtoul_base_0(string text, uint expected)
        {
            Assert.True(ScriptNumber.TryParse(Encoding.ASCII.GetBytes(text), out uint value));
            Assert.Equal(expected, value);
        }

        [Theory]
        [InlineData("")]
        [InlineData("0x")]
        [InlineData("08")]
        [InlineData("12a")]
        [InlineData("-1")]
        [InlineData("4294967296")]
        public void Non_numbers_are_refused(string text)
        {
            Assert.False(ScriptNumber.TryParse(Encoding.ASCII.GetBytes(text), out _));
        }
    }
}
