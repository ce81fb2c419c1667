// The milestone follower on recorded serial text, replayed one line a second: order, deadlines,
// patterns, unexpected failures, and a VM expected to fail at a named milestone.
using System;
using System.Linq;
using Bootstage.VmTest.Following;
using Bootstage.VmTest.Matrix;
using static Bootstage.VmTest.Tests.Specs;

namespace Bootstage.VmTest.Tests
{
    public class MilestoneFollowerTests
    {
        private static MilestoneFollower Replay(VmSpec spec, string recorded, int? exitCode = null)
        {
            MilestoneFollower follower = new MilestoneFollower(spec);
            (string Line, TimeSpan At)[] lines = Recorded.OneASecond(recorded);
            foreach ((string line, TimeSpan at) in lines)
            {
                follower.OnLine(line, at);
            }

            if (exitCode.HasValue)
            {
                follower.OnExit(exitCode, lines[^1].At + TimeSpan.FromSeconds(1));
            }

            return follower;
        }

        [Fact]
        public void Milestones_in_order_pass_with_their_times_since_start()
        {
            MilestoneFollower follower = Replay(Vm("dhcp", M("cpu", 10), M("dhcp", 20, "^ip=10\\.0\\.2\\.15 "), M("done", 30, "status=0")), Recorded.DhcpBoot);

            Assert.Equal(VmVerdict.Passed, follower.Verdict);
            Assert.Null(follower.FailureMessage);
            Assert.Equal(TimeSpan.FromSeconds(20), follower.DecidedAt);
            MilestoneTiming[] expected = follower.Timings.Where(t => t.Expected).ToArray();
            Assert.Equal(new[] { "cpu", "dhcp", "done" }, expected.Select(t => t.Name));
            Assert.Equal(new[] { 5.0, 18, 20 }, expected.Select(t => t.At.TotalSeconds));
            Assert.StartsWith("@milestone name=dhcp ip=10.0.2.15", expected[1].Line);
            Assert.Contains(follower.Timings, t => t.Name == "pci" && !t.Expected);
        }

        [Fact]
        public void The_verdict_falls_at_the_last_milestone_and_later_lines_change_nothing()
        {
            MilestoneFollower follower = Replay(Vm("early", M("cpu", 10)), Recorded.WrongSecret, exitCode: 3);

            Assert.Equal(VmVerdict.Passed, follower.Verdict);
            Assert.Equal(TimeSpan.FromSeconds(5), follower.DecidedAt);
            Assert.Null(follower.Next);
            Assert.Null(follower.NextDeadline);
        }

        [Fact]
        public void A_milestone_before_an_earlier_listed_one_is_out_of_order()
        {
            MilestoneFollower follower = Replay(Vm("order", M("dhcp", 20), M("cpu", 30)), Recorded.DhcpBoot);

            Assert.Equal(VmVerdict.Failed, follower.Verdict);
            Assert.Equal("milestone cpu came before dhcp; the matrix expects dhcp first", follower.FailureMessage);
            Assert.Equal(TimeSpan.FromSeconds(5), follower.DecidedAt);
        }

        [Fact]
        public void A_line_after_the_deadline_fails_the_vm_naming_the_missed_milestone()
        {
            MilestoneFollower follower = Replay(Vm("slow", M("cpu", 10), M("dhcp", 10.5)), Recorded.DhcpBoot);

            Assert.Equal(VmVerdict.Failed, follower.Verdict);
            Assert.Equal("missed milestone dhcp: deadline 10.5 s passed (last reached: cpu at 5.0 s)", follower.FailureMessage);
            Assert.Equal(TimeSpan.FromSeconds(11), follower.DecidedAt);
        }

        [Fact]
        public void A_deadline_check_fails_a_silent_vm_only_once_the_clock_is_past_the_deadline()
        {
            MilestoneFollower follower = new MilestoneFollower(Vm("silent", M("cpu", 10)));
            Assert.Equal(TimeSpan.FromSeconds(10), follower.NextDeadline);

            follower.OnDeadline(TimeSpan.FromSeconds(10));
            Assert.Equal(VmVerdict.Running, follower.Verdict);

            follower.OnDeadline(TimeSpan.FromSeconds(10.001));
            Assert.Equal(VmVerdict.Failed, follower.Verdict);
            Assert.Equal("missed milestone cpu: deadline 10.0 s passed (none reached)", follower.FailureMessage);
        }

        [Fact]
        public void A_milestone_that_does_not_match_its_pattern_fails_at_once()
        {
            MilestoneFollower follower = Replay(Vm("ip", M("dhcp", 60, "ip=192\\.168\\.")), Recorded.DhcpBoot);

            Assert.Equal(VmVerdict.Failed, follower.Verdict);
            Assert.StartsWith("milestone dhcp did not match /ip=192\\.168\\./: @milestone name=dhcp ip=10.0.2.15", follower.FailureMessage);
            Assert.Equal(TimeSpan.FromSeconds(18), follower.DecidedAt);
        }

        [Fact]
        public void An_unexpected_failure_fails_the_vm_without_waiting_for_the_deadline()
        {
            MilestoneFollower follower = Replay(Vm("chap", M("dhcp", 60), M("san-mbr", 120)), Recorded.WrongSecret);

            Assert.Equal(VmVerdict.Failed, follower.Verdict);
            Assert.Equal("unexpected failure while waiting for san-mbr: @milestone name=san status=failed reason=authentication failed", follower.FailureMessage);
            Assert.Equal(TimeSpan.FromSeconds(20), follower.DecidedAt);
        }

        [Fact]
        public void A_listed_milestone_that_reports_status_failed_is_a_failure()
        {
            MilestoneFollower follower = Replay(Vm("san", M("dhcp", 60), M("san", 120)), Recorded.WrongSecret);

            Assert.Equal(VmVerdict.Failed, follower.Verdict);
            Assert.Equal("milestone san reported a failure: @milestone name=san status=failed reason=authentication failed", follower.FailureMessage);
        }

        [Fact]
        public void A_vm_expected_to_fail_passes_when_it_fails_at_the_named_milestone()
        {
            VmSpec spec = Failing("wrong-secret", M("san", 120, "status=failed reason=authentication failed"), M("dhcp", 60));
            MilestoneFollower follower = Replay(spec, Recorded.WrongSecret);

            Assert.Equal(VmVerdict.Passed, follower.Verdict);
            Assert.Equal(TimeSpan.FromSeconds(20), follower.DecidedAt);
            Assert.Equal(new[] { "dhcp", "san" }, follower.Timings.Where(t => t.Expected).Select(t => t.Name));
        }

        [Fact]
        public void A_vm_expected_to_fail_that_fails_differently_fails()
        {
            VmSpec spec = Failing("wrong-reason", M("san", 120, "reason=no network configuration"), M("dhcp", 60));
            MilestoneFollower follower = Replay(spec, Recorded.WrongSecret);

            Assert.Equal(VmVerdict.Failed, follower.Verdict);
            Assert.StartsWith("milestone san did not match /reason=no network configuration/", follower.FailureMessage);
        }

        [Fact]
        public void A_vm_expected_to_fail_that_fails_at_another_milestone_fails()
        {
            VmSpec spec = Failing("elsewhere", M("san-mbr", 120, "status=failed"), M("dhcp", 60));
            MilestoneFollower follower = Replay(spec, Recorded.WrongSecret);

            Assert.Equal(VmVerdict.Failed, follower.Verdict);
            Assert.Equal("failed while waiting for san-mbr, not as expected (san-mbr ~ /status=failed/): @milestone name=san status=failed reason=authentication failed", follower.FailureMessage);
        }

        [Fact]
        public void A_vm_expected_to_fail_that_does_not_fail_is_reported_when_it_exits()
        {
            VmSpec spec = Failing("healthy", M("san", 120, "authentication failed"), M("dhcp", 60));
            MilestoneFollower follower = Replay(spec, Recorded.DhcpBoot, exitCode: 1);

            Assert.Equal(VmVerdict.Failed, follower.Verdict);
            Assert.Equal("the VM exited (status 1) without the expected failure san ~ /authentication failed/", follower.FailureMessage);
        }

        [Fact]
        public void A_vm_expected_to_fail_that_never_fails_misses_the_failures_deadline()
        {
            VmSpec spec = Failing("hang", M("san", 19, "authentication failed"), M("dhcp", 18));
            MilestoneFollower follower = Replay(spec, Recorded.DhcpBoot);

            Assert.Equal(VmVerdict.Failed, follower.Verdict);
            Assert.Equal("missed the expected failure san ~ /authentication failed/: deadline 19.0 s passed (last reached: dhcp at 18.0 s)", follower.FailureMessage);
        }

        [Fact]
        public void A_vm_that_exits_early_names_the_milestone_it_did_not_reach()
        {
            MilestoneFollower follower = Replay(Vm("short", M("dhcp", 60), M("san-mbr", 120)), Recorded.DhcpBoot, exitCode: 1);

            Assert.Equal(VmVerdict.Failed, follower.Verdict);
            Assert.Equal("the VM exited (status 1) before milestone san-mbr", follower.FailureMessage);
        }

        [Fact]
        public void A_backend_error_is_the_failure_message()
        {
            MilestoneFollower follower = new MilestoneFollower(Vm("hv", M("cpu", 10)));
            follower.OnError("Hyper-V backend needs Windows", TimeSpan.Zero);

            Assert.Equal(VmVerdict.Failed, follower.Verdict);
            Assert.Equal("Hyper-V backend needs Windows", follower.FailureMessage);
        }

        [Fact]
        public void The_last_lines_are_kept_for_the_failure_report()
        {
            MilestoneFollower follower = new MilestoneFollower(Vm("tail", M("never", 100)), keptLines: 3);
            foreach ((string line, TimeSpan at) in Recorded.OneASecond(Recorded.WrongSecret))
            {
                follower.OnLine(line, at);
            }

            Assert.Equal(3, follower.LastLines.Count);
            Assert.StartsWith("@milestone name=san status=failed", follower.LastLines[0]);
            Assert.StartsWith("@milestone name=done", follower.LastLines[2]);
        }

        [Theory]
        [InlineData("@milestone name=dhcp ip=10.0.2.15", "dhcp", "ip=10.0.2.15", false)]
        [InlineData("ISOLINUX junk@milestone name=done status=0\r", "done", "status=0", false)]
        [InlineData("@milestone name=san status=failed reason=authentication failed", "san", "status=failed reason=authentication failed", true)]
        [InlineData("@milestone name=ibft", "ibft", "", false)]
        public void Milestone_lines_are_found_anywhere_in_a_console_line(string line, string name, string details, bool failure)
        {
            MilestoneLine parsed = MilestoneLine.TryParse(line)!;
            Assert.Equal(name, parsed.Name);
            Assert.Equal(details, parsed.Details);
            Assert.Equal(failure, parsed.IsFailure);
        }

        [Theory]
        [InlineData("info: dhcp lease 10.0.2.15")]
        [InlineData("@milestone dhcp")]
        [InlineData("@milestone name= x=1")]
        public void Other_lines_are_not_milestones(string line)
        {
            Assert.Null(MilestoneLine.TryParse(line));
        }
    }
}
