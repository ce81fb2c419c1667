// The runner with scripted fake VMs: bounded parallelism, a VM killed when it misses a deadline,
// a passed VM stopped, a VM's own exit, unavailable backends, cancellation, and the tool's exit
// status and reports. Each test waits for the events it needs; the timeouts are hang guards only.
using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;
using Bootstage.VmTest.Backends;
using Bootstage.VmTest.Following;
using Bootstage.VmTest.Matrix;
using Bootstage.VmTest.Running;
using static Bootstage.VmTest.Tests.Specs;

namespace Bootstage.VmTest.Tests
{
    public class RunnerTests
    {
        private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

        private static TestMatrix Matrix(params VmSpec[] vms) => new TestMatrix("/m.json", vms);

        private static Task<RunReport> Run(FakeBackend backend, int parallel, CancellationToken cancel, params VmSpec[] vms) =>
            MatrixRunner.RunAsync(Matrix(vms), parallel, backend, new PlainProgressView(TextWriter.Null), cancel);

        [Fact]
        public async Task No_more_vms_run_at_once_than_allowed_and_results_keep_the_matrix_order()
        {
            FakeBackend backend = new FakeBackend();
            Task<RunReport> run = Run(backend, 2, CancellationToken.None, Vm("a", M("cpu", 600)), Vm("b", M("cpu", 600)), Vm("c", M("cpu", 600)));

            FakeSession first = await backend.Started.ReadAsync().AsTask().WaitAsync(HangGuard);
            FakeSession second = await backend.Started.ReadAsync().AsTask().WaitAsync(HangGuard);
            // Both slots are taken and neither VM has finished, so the third cannot have started.
            Assert.False(backend.Started.TryRead(out _));

            second.Print("@milestone name=cpu vendor=x");
            FakeSession third = await backend.Started.ReadAsync().AsTask().WaitAsync(HangGuard);
            Assert.True(second.Stopped);
            Assert.False(first.Stopped);

            third.Print("@milestone name=cpu vendor=x");
            first.Print("@milestone name=cpu vendor=x");
            RunReport report = await run.WaitAsync(HangGuard);

            Assert.Equal(new[] { "a", "b", "c" }, report.Results.Select(r => r.Id));
            Assert.All(report.Results, r => Assert.True(r.Passed, r.FailureMessage));
            Assert.Equal(0, report.Failed);
            Assert.Equal("/m.json", report.MatrixPath);
        }

        [Fact]
        public async Task A_vm_that_misses_its_next_deadline_is_killed_and_the_failure_names_the_milestone()
        {
            FakeBackend backend = new FakeBackend();
            Task<RunReport> run = Run(backend, 1, CancellationToken.None, Vm("hang", M("cpu", 600), M("dhcp", 0.3)));
            FakeSession session = await backend.Started.ReadAsync().AsTask().WaitAsync(HangGuard);
            session.Print("info: booting").Print("@milestone name=cpu vendor=x");

            VmResult result = (await run.WaitAsync(HangGuard)).Results.Single();

            Assert.True(session.Stopped);
            Assert.True(session.Disposed);
            Assert.False(result.Passed);
            Assert.StartsWith("missed milestone dhcp: deadline 0.3 s passed (last reached: cpu at ", result.FailureMessage);
            Assert.Equal(new[] { "info: booting", "@milestone name=cpu vendor=x" }, result.LastLines);
            Assert.Equal(FakeSession.KilledStatus, result.ExitCode);
            Assert.EndsWith("[fake] stopped\n", result.Serial);
            Assert.True(result.Duration > TimeSpan.FromSeconds(0.3));
        }

        [Fact]
        public async Task A_vm_is_stopped_as_soon_as_its_last_milestone_is_seen()
        {
            FakeBackend backend = new FakeBackend();
            Task<RunReport> run = Run(backend, 1, CancellationToken.None, Vm("pass", M("cpu", 600), M("san-mbr", 600, "sig=aa55")));
            FakeSession session = await backend.Started.ReadAsync().AsTask().WaitAsync(HangGuard);
            session.Print("@milestone name=cpu vendor=x").Print("@milestone name=san-mbr sig=aa55 crc32=1");

            VmResult result = (await run.WaitAsync(HangGuard)).Results.Single();

            Assert.True(result.Passed);
            Assert.True(session.Stopped);
            Assert.Equal(new[] { "cpu", "san-mbr" }, result.Timings.Select(t => t.Name));
            Assert.True(result.Duration <= session.Elapsed);
        }

        [Fact]
        public async Task A_vm_that_exits_by_itself_is_not_stopped_and_its_status_is_kept()
        {
            FakeBackend backend = new FakeBackend();
            Task<RunReport> run = Run(backend, 1, CancellationToken.None, Vm("short", M("cpu", 600), M("san-mbr", 600)));
            FakeSession session = await backend.Started.ReadAsync().AsTask().WaitAsync(HangGuard);
            session.Print("@milestone name=cpu vendor=x").Print("@milestone name=done status=1").Exit(3);

            VmResult result = (await run.WaitAsync(HangGuard)).Results.Single();

            Assert.False(session.Stopped);
            Assert.Equal(3, result.ExitCode);
            Assert.Equal("the VM exited (status 3) before milestone san-mbr", result.FailureMessage);
        }

        [Fact]
        public async Task A_vm_expected_to_fail_that_fails_so_is_a_pass()
        {
            FakeBackend backend = new FakeBackend();
            Task<RunReport> run = Run(backend, 1, CancellationToken.None, Failing("secret", M("san", 600, "authentication failed"), M("dhcp", 600)));
            FakeSession session = await backend.Started.ReadAsync().AsTask().WaitAsync(HangGuard);
            foreach ((string line, TimeSpan _) in Recorded.OneASecond(Recorded.WrongSecret))
            {
                session.Print(line);
            }

            VmResult result = (await run.WaitAsync(HangGuard)).Results.Single();
            Assert.True(result.Passed, result.FailureMessage);
            Assert.True(result.ExpectedFailure);
        }

        [Fact]
        public async Task An_unavailable_backend_fails_the_vm_by_name_without_starting_it()
        {
            FakeBackend backend = new FakeBackend { Unavailable = "Hyper-V backend needs Windows" };
            RunReport report = await Run(backend, 1, CancellationToken.None, Vm("hv", M("cpu", 600))).WaitAsync(HangGuard);

            Assert.False(backend.Started.TryRead(out _));
            Assert.Equal("Hyper-V backend needs Windows", report.Results.Single().FailureMessage);
        }

        [Fact]
        public async Task A_vm_that_cannot_start_fails_with_the_backends_reason()
        {
            FakeBackend backend = new FakeBackend { StartError = new BackendException("could not start qemu-system-x86_64: No such file") };
            RunReport report = await Run(backend, 1, CancellationToken.None, Vm("gone", M("cpu", 600))).WaitAsync(HangGuard);

            Assert.Equal("qemu backend: could not start qemu-system-x86_64: No such file", report.Results.Single().FailureMessage);
        }

        [Fact]
        public async Task Cancelling_stops_the_running_vm_and_skips_the_queued_one()
        {
            FakeBackend backend = new FakeBackend();
            using CancellationTokenSource cancel = new CancellationTokenSource();
            Task<RunReport> run = Run(backend, 1, cancel.Token, Vm("running", M("cpu", 600)), Vm("queued", M("cpu", 600)));
            FakeSession session = await backend.Started.ReadAsync().AsTask().WaitAsync(HangGuard);

            cancel.Cancel();
            RunReport report = await run.WaitAsync(HangGuard);

            Assert.True(session.Stopped);
            Assert.Equal("interrupted: the run was cancelled", report.Results[0].FailureMessage);
            Assert.Equal("interrupted: the run was cancelled before this VM started", report.Results[1].FailureMessage);
            Assert.False(backend.Started.TryRead(out _));
        }

        [Fact]
        public async Task The_tool_exits_0_when_every_vm_did_as_expected_and_1_otherwise_writing_the_reports()
        {
            using ScratchFolder folder = new ScratchFolder();
            File.WriteAllText(folder.File("m.json"), @"{ ""defaults"": { ""image"": ""bootstage.bin"" }, ""vms"": [
                { ""id"": ""ok"", ""milestones"": [ { ""name"": ""cpu"", ""deadline"": 600 } ] },
                { ""id"": ""bad"", ""milestones"": [ { ""name"": ""cpu"", ""deadline"": 600 } ] } ] }");
            FakeBackend backend = new FakeBackend();
            StringWriter output = new StringWriter();
            string[] args = { folder.File("m.json"), "--parallel", "2", "--junit", folder.File("j.xml"), "--summary", folder.File("s.json"), "--html", folder.File("h.html") };
            Task<int> tool = Program.RunAsync(args, backend, new PlainProgressView(TextWriter.Null), output, TextWriter.Null, CancellationToken.None);

            for (int i = 0; i < 2; i++)
            {
                FakeSession session = await backend.Started.ReadAsync().AsTask().WaitAsync(HangGuard);
                if (session.Spec.Id == "ok")
                {
                    session.Print("@milestone name=cpu vendor=x");
                }
                else
                {
                    session.Print("@milestone name=panic reason=page fault").Exit(3);
                }
            }

            Assert.Equal(Program.ExitFailed, await tool.WaitAsync(HangGuard));
            Assert.Contains("FAIL bad: the VM exited (status 3) before milestone cpu\n    @milestone name=panic reason=page fault", output.ToString().Replace("\r", string.Empty));
            Assert.Contains("2 VM(s): 1 passed, 1 failed", output.ToString());
            Assert.Equal("1", XDocument.Load(folder.File("j.xml")).Root!.Attribute("failures")!.Value);
            Assert.Contains("\"failed\": 1", File.ReadAllText(folder.File("s.json")));
            Assert.Contains("1 passed, 1 failed", File.ReadAllText(folder.File("h.html")));

            Task<int> again = Program.RunAsync(new[] { folder.File("m.json") }, backend, new PlainProgressView(TextWriter.Null), TextWriter.Null, TextWriter.Null, CancellationToken.None);
            for (int i = 0; i < 2; i++)
            {
                (await backend.Started.ReadAsync().AsTask().WaitAsync(HangGuard)).Print("@milestone name=cpu vendor=x");
            }

            Assert.Equal(Program.ExitPassed, await again.WaitAsync(HangGuard));
        }

        [Fact]
        public async Task The_console_kept_for_the_report_is_capped()
        {
            FakeBackend backend = new FakeBackend();
            Task<RunReport> run = Run(backend, 1, CancellationToken.None, Vm("chatty", M("cpu", 600)));
            FakeSession session = await backend.Started.ReadAsync().AsTask().WaitAsync(HangGuard);
            string big = new string('x', VmRunner.MaxSerialChars / 2 + 1);
            session.Print("first " + big).Print("second " + big).Print("@milestone name=cpu vendor=x");

            VmResult result = (await run.WaitAsync(HangGuard)).Results.Single();

            Assert.True(result.Passed);
            Assert.StartsWith("first ", result.Serial);
            Assert.DoesNotContain("second ", result.Serial);
            Assert.Contains("@milestone name=cpu vendor=x\n", result.Serial);
            Assert.True(result.Serial.Length < VmRunner.MaxSerialChars);
        }

        [Fact]
        public async Task Parallelism_below_one_is_refused()
        {
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Run(new FakeBackend(), 0, CancellationToken.None, Vm("a", M("cpu", 1))));
        }

        [Fact]
        public async Task Usage_and_matrix_errors_exit_2_with_the_reason()
        {
            StringWriter error = new StringWriter();
            Assert.Equal(Program.ExitUsage, await Program.RunAsync(new[] { "--parallel" }, new FakeBackend(), new PlainProgressView(TextWriter.Null), TextWriter.Null, error, CancellationToken.None));
            Assert.StartsWith("bootstage-vmtest: --parallel needs a value", error.ToString());
            Assert.Contains("usage: bootstage-vmtest <matrix.json>", error.ToString());

            error = new StringWriter();
            Assert.Equal(Program.ExitUsage, await Program.RunAsync(new[] { "/nonexistent/m.json" }, new FakeBackend(), new PlainProgressView(TextWriter.Null), TextWriter.Null, error, CancellationToken.None));
            Assert.StartsWith("bootstage-vmtest: /nonexistent/m.json: the matrix file does not exist", error.ToString());
        }
    }
}
