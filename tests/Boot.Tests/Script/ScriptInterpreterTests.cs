// Boot scripts as iPXE runs them: the header, comments, words and separators (||, &&, ;), the
// status of a line, goto and labels, exit, sleep, dhcp, and errors that name the line and the
// command. Expected behaviour follows iPXE's scripting documentation and its image/script.c and
// core/exec.c (read for behaviour only).
using System;
using System.Text;
using Bootstage.Boot.Script;

namespace Bootstage.Boot.Tests.Script
{
    public class ScriptInterpreterTests
    {
        internal static ScriptInterpreter Run(string script, RecordingScriptHost host, out ScriptStatus status)
        {
            ScriptInterpreter interpreter = new ScriptInterpreter(host);
            status = interpreter.Run(Encoding.ASCII.GetBytes(script));
            return interpreter;
        }

        internal static string Error(ScriptInterpreter interpreter)
        {
            byte[] text = new byte[200];
            return Encoding.ASCII.GetString(text, 0, interpreter.FormatError(text));
        }

        [Theory]
        [InlineData("echo hi\n")]
        [InlineData("#!ipxe")]
        [InlineData("#!ipxeecho\n")]
        [InlineData("")]
        [InlineData(" #!ipxe\n")]
        public void A_script_needs_the_header_followed_by_whitespace(string script)
        {
            RecordingScriptHost host = new RecordingScriptHost();
            Run(script, host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.NotAScript, status);
            Assert.Empty(host.Calls);
        }

        [Theory]
        [InlineData("#!ipxe\necho hi\n")]
        [InlineData("#!ipxe\r\necho hi\r\n")]
        [InlineData("#!gpxe\necho hi")]
        [InlineData("#!ipxe comment\necho hi")]
        public void Headers_and_line_endings_iPXE_accepts_run(string script)
        {
            RecordingScriptHost host = new RecordingScriptHost();
            Run(script, host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal(new[] { "echo hi\\n" }, host.Calls);
        }

        [Fact]
        public void Echo_joins_words_with_one_space_and_n_drops_the_newline()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            Run("#!ipxe\necho   a    b\t c\necho -n no newline\necho -- -n\necho\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal("a b c\nno newline-n\n\n", host.Console.ToString());
        }

        [Fact]
        public void A_word_starting_with_hash_ends_the_line_but_a_hash_inside_a_word_does_not()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            Run("#!ipxe\n# a comment line\n  # indented comment\necho a#b # c || unknown\n\necho end\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal("a#b\nend\n", host.Console.ToString());
        }

        [Fact]
        public void Or_runs_the_right_side_only_when_the_left_failed()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            Run("#!ipxe\nisset ${unset} || echo left failed\nisset x || echo never\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal("left failed\n", host.Console.ToString());
        }

        [Fact]
        public void And_runs_the_right_side_only_when_the_left_succeeded()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            Run("#!ipxe\nisset x && echo yes\niseq a b && echo never || echo no\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal("yes\nno\n", host.Console.ToString());
        }

        [Fact]
        public void A_line_ends_with_the_status_of_the_last_command_that_ran_so_a_failed_and_ends_the_script()
        {
            // iPXE's well-known trap: `isset ${x} && echo` with x unset fails the line.
            RecordingScriptHost host = new RecordingScriptHost();
            ScriptInterpreter interpreter = Run("#!ipxe\necho before\nisset ${x} && echo set\necho after\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.NotSet, status);
            Assert.Equal(3, interpreter.ErrorLine);
            Assert.Equal("isset", Encoding.ASCII.GetString(interpreter.ErrorCommand));
            Assert.Equal("before\n", host.Console.ToString());
        }

        [Fact]
        public void Semicolon_runs_the_next_command_whatever_happened()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            Run("#!ipxe\nisset ${x} ; echo ran\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal("ran\n", host.Console.ToString());
        }

        [Fact]
        public void A_skipped_command_is_not_expanded_so_its_errors_do_not_count()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            Run("#!ipxe\nisset x || echo ${broken\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
        }

        [Fact]
        public void A_failing_command_without_or_ends_the_script_naming_line_and_command()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            host.DhcpResults.Enqueue(ScriptStatus.DhcpFailed);
            ScriptInterpreter interpreter = Run("#!ipxe\n\necho start\ndhcp net0\necho never\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.DhcpFailed, status);
            Assert.Equal(4, interpreter.ErrorLine);
            Assert.Equal("line 4: dhcp: DHCP failed", Error(interpreter));
            Assert.Equal(new[] { "echo start\\n", "dhcp net0" }, host.Calls);
        }

        [Fact]
        public void An_unknown_command_is_named_with_its_line()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            ScriptInterpreter interpreter = Run("#!ipxe\necho a\nchain http://x/y\necho b\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.UnknownCommand, status);
            Assert.Equal("line 3: chain: command not found", Error(interpreter));
            Assert.Equal("a\n", host.Console.ToString());
        }

        [Fact]
        public void An_unknown_command_on_the_right_of_or_is_caught_by_nothing_but_one_on_the_left_is()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            Run("#!ipxe\nnosuch || echo recovered\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal("recovered\n", host.Console.ToString());
        }

        [Fact]
        public void The_command_name_itself_may_come_from_a_setting()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            Run("#!ipxe\nset cmd echo\n${cmd} hello\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal("hello\n", host.Console.ToString());
        }

        [Fact]
        public void Goto_jumps_to_the_label_and_runs_the_command_on_the_label_line()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            Run("#!ipxe\ngoto skip ; echo rest of goto line\necho skipped\n:skip echo on label line\necho after\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal("on label line\nafter\n", host.Console.ToString());
        }

        [Fact]
        public void Goto_backwards_makes_a_retry_loop()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            host.DhcpResults.Enqueue(ScriptStatus.DhcpFailed);
            host.DhcpResults.Enqueue(ScriptStatus.DhcpFailed);
            host.DhcpResults.Enqueue(ScriptStatus.Success);
            ScriptInterpreter interpreter = Run("#!ipxe\n:retry\ndhcp || goto wait\ngoto done\n:wait\nsleep 1\ngoto retry\n:done\necho up\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal(6 + 5 + 5, interpreter.LinesRun);
            Assert.Equal(new[] { "dhcp", "sleep 1000", "dhcp", "sleep 1000", "dhcp", "echo up\\n" }, host.Calls);
        }

        [Fact]
        public void Goto_takes_the_first_line_with_exactly_that_label()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            Run("#!ipxe\ngoto b\n:bb\necho bb\n:b\necho b\n:b\necho second\nexit\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal("b\nsecond\n", host.Console.ToString());
        }

        [Fact]
        public void Goto_to_a_missing_label_fails_and_or_can_catch_it()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            ScriptInterpreter interpreter = Run("#!ipxe\ngoto nowhere || echo caught\ngoto nowhere\necho never\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.NoSuchLabel, status);
            Assert.Equal("line 3: goto: no such label", Error(interpreter));
            Assert.Equal("caught\n", host.Console.ToString());
        }

        [Fact]
        public void Exit_ends_the_script_and_the_rest_of_its_line()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            ScriptInterpreter interpreter = Run("#!ipxe\necho a\nexit ; echo b\necho c\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal(0, interpreter.ErrorLine);
            Assert.Equal("a\n", host.Console.ToString());
        }

        [Fact]
        public void Exit_with_a_status_is_a_failure_carrying_that_number()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            ScriptInterpreter interpreter = Run("#!ipxe\nexit 0x10 || echo not caught\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.ExitNonZero, status);
            Assert.Equal(16u, interpreter.ExitCode);
            Assert.Equal(2, interpreter.ErrorLine);
            Assert.Empty(host.Calls);
        }

        [Fact]
        public void Sleep_asks_the_host_in_milliseconds_and_rejects_a_non_number()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            ScriptInterpreter interpreter = Run("#!ipxe\nsleep 3\nsleep 010\nsleep 2s\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.InvalidNumber, status);
            Assert.Equal("line 4: sleep: invalid number", Error(interpreter));
            Assert.Equal(new[] { "sleep 3000", "sleep 8000" }, host.Calls);
        }

        [Fact]
        public void Dhcp_and_ifopen_pass_the_device_names()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            host.DhcpResults.Enqueue(ScriptStatus.DhcpFailed);
            Run("#!ipxe\nifopen net1\ndhcp net0 net1 net2\nifopen\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
            Assert.Equal(new[] { "ifopen net1", "dhcp net0", "dhcp net1", "ifopen" }, host.Calls);
        }

        [Theory]
        [InlineData("isset", ScriptStatus.WrongArgumentCount)]
        [InlineData("isset a b", ScriptStatus.WrongArgumentCount)]
        [InlineData("iseq a", ScriptStatus.WrongArgumentCount)]
        [InlineData("clear", ScriptStatus.WrongArgumentCount)]
        [InlineData("goto", ScriptStatus.WrongArgumentCount)]
        [InlineData("exit 1 2", ScriptStatus.WrongArgumentCount)]
        [InlineData("exit one", ScriptStatus.InvalidNumber)]
        [InlineData("echo -x", ScriptStatus.UnknownOption)]
        [InlineData("iseq -1 -1", ScriptStatus.UnknownOption)]
        [InlineData("echo - a", ScriptStatus.UnknownOption)]
        public void Usage_errors_are_named(string line, ScriptStatus expected)
        {
            RecordingScriptHost host = new RecordingScriptHost();
            ScriptInterpreter interpreter = Run("#!ipxe\n" + line + "\n", host, out ScriptStatus status);
            Assert.Equal(expected, status);
            Assert.Equal(2, interpreter.ErrorLine);
        }

        [Fact]
        public void A_continued_line_is_one_line_numbered_where_it_starts()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            ScriptInterpreter interpreter = Run("#!ipxe\necho one \\\n  two\\\nthree\nnosuch\n", host, out ScriptStatus status);
            Assert.Equal("one twothree\n", host.Console.ToString());
            Assert.Equal(ScriptStatus.UnknownCommand, status);
            Assert.Equal(5, interpreter.ErrorLine);
        }

        [Fact]
        public void A_line_longer_than_the_buffer_is_an_error_naming_the_line()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            string longLine = "echo " + new string('x', ScriptInterpreter.MaxLineLength);
            ScriptInterpreter interpreter = Run("#!ipxe\necho a\n" + longLine + "\necho b\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.LineTooLong, status);
            Assert.Equal("line 3: line too long", Error(interpreter));
            Assert.Equal("a\n", host.Console.ToString());
        }

        [Fact]
        public void Too_many_words_on_a_line_is_an_error()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            string line = "echo" + new StringBuilder().Insert(0, " w", ScriptInterpreter.MaxWords);
            Run("#!ipxe\n" + line + "\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.TooManyArguments, status);
        }

        [Fact]
        public void The_longest_line_that_fits_runs()
        {
            RecordingScriptHost host = new RecordingScriptHost();
            string line = "echo " + new string('x', ScriptInterpreter.MaxLineLength - 5);
            Run("#!ipxe\n" + line + "\n", host, out ScriptStatus status);
            Assert.Equal(ScriptStatus.Success, status);
        }
    }
}
