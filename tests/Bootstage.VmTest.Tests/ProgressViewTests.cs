// The progress display: plain lines for logs and CI, and a table redrawn in place on a terminal.
using System;
using System.IO;
using System.Linq;
using Bootstage.VmTest.Following;
using Bootstage.VmTest.Matrix;
using Bootstage.VmTest.Running;
using static Bootstage.VmTest.Tests.Specs;

namespace Bootstage.VmTest.Tests
{
    public class ProgressViewTests
    {
        private static readonly VmSpec A = Vm("san", M("cpu", 10), M("dhcp", 30));
        private static readonly VmSpec B = Vm("chap-long-name", M("cpu", 10));

        private static MilestoneFollower AfterCpu()
        {
            MilestoneFollower follower = new MilestoneFollower(A);
            follower.OnLine("@milestone name=cpu vendor=x", TimeSpan.FromSeconds(1.25));
            return follower;
        }

        private static VmResult Failed(string id) => new VmResult
        {
            Id = id, Backend = "qemu", Passed = false, ExpectedFailure = false, Duration = TimeSpan.FromSeconds(30),
            FailureMessage = "missed milestone dhcp", Timings = Array.Empty<MilestoneTiming>(), LastLines = Array.Empty<string>(), Serial = string.Empty,
        };

        [Fact]
        public void Plain_progress_is_one_line_per_event()
        {
            StringWriter output = new StringWriter();
            PlainProgressView view = new PlainProgressView(output);
            view.Queued(new[] { A, B });
            view.Started(A);
            view.Progress(A, AfterCpu());
            view.Finished(A, Failed("san"));
            view.Done();

            Assert.Equal(new[]
            {
                "[vmtest] 2 VM(s) queued",
                "[san] started (qemu)",
                "[san] cpu at 1.3 s",
                "[san] FAIL in 30.0 s: missed milestone dhcp",
            }, output.ToString().Replace("\r", string.Empty).TrimEnd('\n').Split('\n'));
        }

        [Fact]
        public void The_terminal_table_has_one_line_per_vm_and_redraws_it_in_place()
        {
            StringWriter output = new StringWriter();
            TerminalProgressView view = new TerminalProgressView(output, width: 200);
            view.Queued(new[] { A, B });
            string first = output.ToString();
            Assert.Equal("\r\u001b[2Ksan             queued\n\r\u001b[2Kchap-long-name  queued\n", first);

            view.Progress(A, AfterCpu());
            string second = output.ToString().Substring(first.Length);
            Assert.Equal("\u001b[2A\r\u001b[2Ksan             [1/2] cpu at 1.3 s, waiting for dhcp (by 30.0 s)\n\r\u001b[2Kchap-long-name  queued\n", second);
        }

        [Fact]
        public void The_terminal_table_cuts_lines_to_the_terminal_width()
        {
            StringWriter output = new StringWriter();
            TerminalProgressView view = new TerminalProgressView(output, width: 30);
            view.Queued(new[] { A });
            view.Finished(A, Failed("san"));

            string last = output.ToString().Split('\n').Where(l => l.Length > 0).Last();
            Assert.Equal("\r\u001b[2K" + "san  FAIL in 30.0 s: missed…", last.Replace("\u001b[1A", string.Empty));
        }
    }
}
