// Judges one VM from its serial console as the lines arrive: the matrix's milestones must appear
// in order, each by its deadline (seconds since VM start); a VM expected to fail must reach the
// listed milestones and then print the named failure. It is fed lines, deadline checks and the
// VM's exit with their times and has no clock or process of its own, so recorded serial text
// replays through it exactly as a live VM does. Once it has a verdict it stops changing.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Bootstage.VmTest.Matrix;

namespace Bootstage.VmTest.Following
{
    public enum VmVerdict
    {
        Running,
        Passed,
        Failed,
    }

    /// <summary>A milestone line as seen, with its time since VM start; Expected when it satisfied a step of the matrix.</summary>
    public sealed record MilestoneTiming(string Name, TimeSpan At, string Line, bool Expected);

    public sealed class MilestoneFollower
    {
        public const int DefaultKeptLines = 20;

        private readonly VmSpec _spec;
        private readonly IReadOnlyList<MilestoneSpec> _steps;
        private readonly int _keptLines;
        private readonly Queue<string> _lastLines = new Queue<string>();
        private readonly List<MilestoneTiming> _timings = new List<MilestoneTiming>();
        private int _next;

        public MilestoneFollower(VmSpec spec, int keptLines = DefaultKeptLines)
        {
            _spec = spec;
            _keptLines = keptLines;
            List<MilestoneSpec> steps = spec.Milestones.ToList();
            if (spec.Expect == Expectation.Fail && spec.Failure != null)
            {
                steps.Add(spec.Failure);
            }

            _steps = steps;
        }

        public VmVerdict Verdict { get; private set; } = VmVerdict.Running;

        /// <summary>Why the VM failed, naming the milestone it was waiting for; null unless Failed.</summary>
        public string? FailureMessage { get; private set; }

        /// <summary>When the verdict fell, since VM start.</summary>
        public TimeSpan? DecidedAt { get; private set; }

        public IReadOnlyList<MilestoneTiming> Timings => _timings;

        /// <summary>The last lines of the console (milestones or not), for failure reports.</summary>
        public IReadOnlyList<string> LastLines => _lastLines.ToArray();

        /// <summary>The step the VM is waiting for; null once decided.</summary>
        public MilestoneSpec? Next => Verdict == VmVerdict.Running && _next < _steps.Count ? _steps[_next] : null;

        public TimeSpan? NextDeadline => Next?.Deadline;

        /// <summary>How many of the matrix's steps have been reached.</summary>
        public int Reached => _next;

        public int StepCount => _steps.Count;

        public bool ExpectsFailure => _spec.Expect == Expectation.Fail;

        public void OnLine(string line, TimeSpan at)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > _keptLines)
            {
                _lastLines.Dequeue();
            }

            if (Verdict != VmVerdict.Running)
            {
                return;
            }

            // A line that arrives after the deadline proves the deadline passed, even if no timer fired.
            if (CheckDeadline(at))
            {
                return;
            }

            MilestoneLine? milestone = MilestoneLine.TryParse(line);
            if (milestone == null)
            {
                return;
            }

            MilestoneSpec step = _steps[_next];
            bool failureStep = ExpectsFailure && _next == _steps.Count - 1;
            if (milestone.Name == step.Name)
            {
                if (step.Match != null && !step.Match.IsMatch(milestone.Details))
                {
                    Record(milestone, at, expected: false);
                    Fail(at, $"milestone {step.Name} did not match /{step.Match}/: {milestone.Text}");
                    return;
                }

                if (milestone.IsFailure && !failureStep)
                {
                    Record(milestone, at, expected: false);
                    Fail(at, $"milestone {step.Name} reported a failure: {milestone.Text}");
                    return;
                }

                Record(milestone, at, expected: true);
                _next++;
                if (_next == _steps.Count)
                {
                    Verdict = VmVerdict.Passed;
                    DecidedAt = at;
                }

                return;
            }

            Record(milestone, at, expected: false);
            if (milestone.IsFailure)
            {
                Fail(at, ExpectsFailure
                    ? $"failed while waiting for {step.Name}, not as expected ({_spec.Failure}): {milestone.Text}"
                    : $"unexpected failure while waiting for {step.Name}: {milestone.Text}");
                return;
            }

            if (_steps.Skip(_next + 1).Any(s => s.Name == milestone.Name))
            {
                Fail(at, $"milestone {milestone.Name} came before {step.Name}; the matrix expects {step.Name} first");
            }
        }

        /// <summary>Called when the runner's timer fires: fails the VM if its next deadline has passed.</summary>
        public void OnDeadline(TimeSpan now) => CheckDeadline(now);

        public void OnExit(int? exitCode, TimeSpan at)
        {
            if (Verdict != VmVerdict.Running || CheckDeadline(at))
            {
                return;
            }

            string status = exitCode.HasValue ? "status " + exitCode.Value.ToString(CultureInfo.InvariantCulture) : "no status";
            MilestoneSpec step = _steps[_next];
            Fail(at, ExpectsFailure && _next == _steps.Count - 1
                ? $"the VM exited ({status}) without the expected failure {step}"
                : $"the VM exited ({status}) before milestone {step.Name}");
        }

        /// <summary>The backend could not run the VM (not installed, wrong OS, process failure).</summary>
        public void OnError(string message, TimeSpan at)
        {
            if (Verdict == VmVerdict.Running)
            {
                Fail(at, message);
            }
        }

        private bool CheckDeadline(TimeSpan now)
        {
            MilestoneSpec? step = Next;
            if (step == null || now <= step.Deadline)
            {
                return false;
            }

            MilestoneTiming? last = _timings.LastOrDefault(t => t.Expected);
            string previous = last == null ? "none reached" : $"last reached: {last.Name} at {Seconds(last.At)}";
            string what = ExpectsFailure && _next == _steps.Count - 1 ? $"the expected failure {step}" : $"milestone {step.Name}";
            Fail(now, $"missed {what}: deadline {Seconds(step.Deadline)} passed ({previous})");
            return true;
        }

        private void Record(MilestoneLine milestone, TimeSpan at, bool expected)
        {
            _timings.Add(new MilestoneTiming(milestone.Name, at, milestone.Text, expected));
        }

        private void Fail(TimeSpan at, string message)
        {
            Verdict = VmVerdict.Failed;
            FailureMessage = message;
            DecidedAt = at;
        }

        private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
    }
}
