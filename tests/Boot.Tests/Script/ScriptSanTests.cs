// sanhook, sanboot and sanunhook in boot scripts: the options each takes in iPXE (--drive,
// --no-describe, --keep), their long, inline and short forms, what reaches the host, and the
// settings the host reads at that moment (initiator-iqn, keep-san).
using System;
using System.Text;
using Bootstage.Boot.Script;

namespace Bootstage.Boot.Tests.Script
{
    public class ScriptSanTests
    {
        private const string Root = "iscsi:10.0.2.2:::1:iqn.2024-01.test:disk";

        private static RecordingScriptHost RunScript(string body, out ScriptStatus status, out ScriptInterpreter interpreter)
        {
            RecordingScriptHost host = new RecordingScriptHost();
            interpreter = ScriptInterpreterTests.Run("#!ipxe\n" + body, host, out status);
            return host;
        }

        [Fact]
        public void The_usual_SAN_script_hooks_and_boots()
        {
            RecordingScriptHost host = RunScript("dhcp\nsanhook --drive 0x81 " + Root + "\nsanboot --no-describe --keep " + Root + "\n", out ScriptStatus status, out _);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal(new[] { "dhcp", "sanhook drive=0x81 " + Root, "sanboot drive=default no-describe keep " + Root }, host.Calls);
        }

        [Theory]
        [InlineData("sanboot --drive=0x82 r", "sanboot drive=0x82 r")]
        [InlineData("sanboot -d 130 r", "sanboot drive=0x82 r")]
        [InlineData("sanboot -d0x82 r", "sanboot drive=0x82 r")]
        [InlineData("sanboot -nk r", "sanboot drive=default no-describe keep r")]
        [InlineData("sanboot -kd 0x80", "sanboot drive=0x80 keep")]
        [InlineData("sanboot", "sanboot drive=default")]
        [InlineData("sanboot -- -r", "sanboot drive=default -r")]
        [InlineData("sanhook -n r", "sanhook drive=default no-describe r")]
        [InlineData("sanunhook --drive 0x81", "sanunhook drive=0x81")]
        [InlineData("sanunhook", "sanunhook drive=default")]
        public void Options_in_every_form_iPXE_accepts(string line, string call)
        {
            RecordingScriptHost host = RunScript(line + "\n", out ScriptStatus status, out _);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal(new[] { call }, host.Calls);
        }

        [Theory]
        [InlineData("sanhook --keep r", ScriptStatus.UnknownOption)]
        [InlineData("sanunhook --no-describe", ScriptStatus.UnknownOption)]
        [InlineData("sanboot --filename x r", ScriptStatus.UnknownOption)]
        [InlineData("sanboot --drives=0x80 r", ScriptStatus.UnknownOption)]
        [InlineData("sanboot --keep=1 r", ScriptStatus.OptionTakesNoArgument)]
        [InlineData("sanboot --drive", ScriptStatus.OptionNeedsArgument)]
        [InlineData("sanboot -d", ScriptStatus.OptionNeedsArgument)]
        [InlineData("sanboot --drive 0x100 r", ScriptStatus.InvalidNumber)]
        [InlineData("sanboot --drive eighty r", ScriptStatus.InvalidNumber)]
        [InlineData("sanhook", ScriptStatus.WrongArgumentCount)]
        [InlineData("sanunhook r", ScriptStatus.WrongArgumentCount)]
        [InlineData("sanboot r1 r2", ScriptStatus.TooManyRootPaths)]
        public void Bad_SAN_commands_are_named_and_never_reach_the_host(string line, ScriptStatus expected)
        {
            RecordingScriptHost host = RunScript("echo x\n" + line + "\n", out ScriptStatus status, out ScriptInterpreter interpreter);
            Assert.Equal(expected, status);
            Assert.Equal(3, interpreter.ErrorLine);
            Assert.Equal(line.Substring(0, line.IndexOf(' ') < 0 ? line.Length : line.IndexOf(' ')), Encoding.ASCII.GetString(interpreter.ErrorCommand));
            Assert.Equal(new[] { "echo x\\n" }, host.Calls);
        }

        [Fact]
        public void A_failed_boot_can_fall_back_with_or()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            host.SanResults.Enqueue(ScriptStatus.SanBootFailed);
            ScriptInterpreterTests.Run("#!ipxe\nsanboot " + Root + " || goto fallback\nexit\n:fallback\nsanboot --drive 0x81 other\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal(new[] { "sanboot drive=default " + Root, "sanboot drive=0x81 other" }, host.Calls);
        }

        [Fact]
        public void A_failed_boot_without_or_ends_the_script_with_the_hosts_status()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            host.SanResults.Enqueue(ScriptStatus.SanBootFailed);
            ScriptInterpreter interpreter = ScriptInterpreterTests.Run("#!ipxe\nsanboot " + Root + "\necho after\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.SanBootFailed, status);
            Assert.Equal("line 2: sanboot: SAN boot failed", ScriptInterpreterTests.Error(interpreter));
        }

        [Fact]
        public void The_host_reads_the_scripts_SAN_settings_when_it_hooks()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            host.Settings["initiator-iqn"] = "iqn.from.dhcp";
            host.OnSan = request =>
            {
                byte[] value = new byte[100];
                int length = request.Settings.Fetch("initiator-iqn"u8, value);
                return "iqn=" + Encoding.ASCII.GetString(value, 0, length) + " keep-san=" + request.Settings.IsTrue("keep-san"u8);
            };
            ScriptInterpreterTests.Run("#!ipxe\nsanhook r\nset initiator-iqn iqn.2024-01.test:${uuid}client\nset keep-san 1\nsanboot r\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal(new[] { "sanhook drive=default r iqn=iqn.from.dhcp keep-san=False", "sanboot drive=default r iqn=iqn.2024-01.test:client keep-san=True" }, host.Calls);
        }
    }
}
