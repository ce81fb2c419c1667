// Where the runner reports what the VMs are doing while they run, and the two ways of showing it:
// a live table with one line per VM rewritten in place when stdout is a terminal, and plain
// appended lines when it is a log file or a CI console (escape codes would only garble those).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Bootstage.VmTest.Following;
using Bootstage.VmTest.Matrix;

namespace Bootstage.VmTest.Running
{
    public interface IProgressView
    {
        void Queued(IReadOnlyList<VmSpec> vms);

        void Started(VmSpec vm);

        /// <summary>A milestone was seen (or the verdict fell); called on the VM's own task.</summary>
        void Progress(VmSpec vm, MilestoneFollower follower);

        void Finished(VmSpec vm, VmResult result);

        void Done();
    }

    public static class ProgressText
    {
        public static string Running(MilestoneFollower follower)
        {
            MilestoneTiming? last = follower.Timings.LastOrDefault();
            string seen = last == null ? "booting" : $"{last.Name} at {Seconds(last.At)}";
            MilestoneSpec? next = follower.Next;
            string waiting = next == null ? string.Empty : $", waiting for {next.Name} (by {Seconds(next.Deadline)})";
            return $"[{follower.Reached}/{follower.StepCount}] {seen}{waiting}";
        }

        public static string Finished(VmResult result)
        {
            string verdict = result.Passed ? (result.ExpectedFailure ? "PASS (failed as expected)" : "PASS") : "FAIL";
            string why = result.Passed ? string.Empty : ": " + result.FailureMessage;
            return $"{verdict} in {Seconds(result.Duration)}{why}";
        }

        public static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
    }

    /// <summary>One line per event, for logs and CI consoles.</summary>
    public sealed class PlainProgressView : IProgressView
    {
        private readonly TextWriter _output;
        private readonly object _gate = new object();

        public PlainProgressView(TextWriter output)
        {
            _output = output;
        }

        public void Queued(IReadOnlyList<VmSpec> vms) => Write("vmtest", $"{vms.Count} VM(s) queued");

        public void Started(VmSpec vm) => Write(vm.Id, $"started ({vm.Backend})");

        public void Progress(VmSpec vm, MilestoneFollower follower)
        {
            if (follower.Verdict == VmVerdict.Running && follower.Timings.Count > 0)
            {
                MilestoneTiming last = follower.Timings[^1];
                Write(vm.Id, $"{last.Name} at {ProgressText.Seconds(last.At)}");
            }
        }

        public void Finished(VmSpec vm, VmResult result) => Write(vm.Id, ProgressText.Finished(result));

        public void Done()
        {
        }

        private void Write(string id, string text)
        {
            lock (_gate)
            {
                _output.WriteLine($"[{id}] {text}");
                _output.Flush();
            }
        }
    }

    /// <summary>A table with one line per VM, redrawn in place (ANSI cursor-up and erase-line).</summary>
    public sealed class TerminalProgressView : IProgressView
    {
        private readonly TextWriter _output;
        private readonly int _width;
        private readonly object _gate = new object();
        private readonly List<string> _ids = new List<string>();
        private readonly Dictionary<string, string> _status = new Dictionary<string, string>();
        private int _drawn;

        public TerminalProgressView(TextWriter output, int width)
        {
            _output = output;
            _width = Math.Max(20, width);
        }

        public void Queued(IReadOnlyList<VmSpec> vms)
        {
            lock (_gate)
            {
                foreach (VmSpec vm in vms)
                {
                    _ids.Add(vm.Id);
                    _status[vm.Id] = "queued";
                }

                Redraw();
            }
        }

        public void Started(VmSpec vm) => Set(vm.Id, "starting");

        public void Progress(VmSpec vm, MilestoneFollower follower)
        {
            if (follower.Verdict == VmVerdict.Running)
            {
                Set(vm.Id, ProgressText.Running(follower));
            }
        }

        public void Finished(VmSpec vm, VmResult result) => Set(vm.Id, ProgressText.Finished(result));

        public void Done()
        {
        }

        private void Set(string id, string text)
        {
            lock (_gate)
            {
                _status[id] = text;
                Redraw();
            }
        }

        private void Redraw()
        {
            int idWidth = _ids.Count == 0 ? 0 : _ids.Max(id => id.Length);
            if (_drawn > 0)
            {
                _output.Write($"\u001b[{_drawn}A");
            }

            foreach (string id in _ids)
            {
                string line = id.PadRight(idWidth) + "  " + _status[id];
                if (line.Length > _width - 1)
                {
                    line = line.Substring(0, _width - 2).TrimEnd() + "…";
                }

                _output.Write("\r\u001b[2K" + line + "\n");
            }

            _drawn = _ids.Count;
            _output.Flush();
        }
    }
}
