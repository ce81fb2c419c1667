// Runs one VM of the matrix to a verdict: starts it through its backend, feeds every console line
// to the MilestoneFollower as it arrives, and sleeps until the next line, the VM's exit or the next
// milestone's deadline, whichever comes first. The deadline is the only timer; a VM that misses it
// is killed at once rather than left to run, and so is a VM that has passed (a booted OS would
// otherwise run forever).
using System;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Bootstage.VmTest.Backends;
using Bootstage.VmTest.Following;
using Bootstage.VmTest.Matrix;

namespace Bootstage.VmTest.Running
{
    public static class VmRunner
    {
        /// <summary>How much console text a result keeps: enough for a boot, bounded for a VM that spins printing.</summary>
        public const int MaxSerialChars = 1 << 20;

        /// <summary>How long a stopped VM gets to report its end before the runner gives up on it.</summary>
        public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);

        public static async Task<VmResult> RunAsync(VmSpec spec, IVmBackend backend, Action<MilestoneFollower>? onProgress, CancellationToken cancel)
        {
            MilestoneFollower follower = new MilestoneFollower(spec);
            StringBuilder serial = new StringBuilder();
            int? exitCode = null;
            string? unavailable = backend.Unavailable;
            if (unavailable != null)
            {
                follower.OnError(unavailable, TimeSpan.Zero);
                return Result(spec, follower, serial, null, TimeSpan.Zero);
            }

            IVmSession session;
            try
            {
                session = backend.Start(spec);
            }
            catch (BackendException e)
            {
                follower.OnError($"{backend.Name} backend: {e.Message}", TimeSpan.Zero);
                return Result(spec, follower, serial, null, TimeSpan.Zero);
            }

            using (session)
            {
                onProgress?.Invoke(follower);
                bool exited = false;
                while (follower.Verdict == VmVerdict.Running && !exited)
                {
                    VmEvent? next;
                    try
                    {
                        next = await NextEventAsync(session, follower.NextDeadline, cancel).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                    {
                        follower.OnError("interrupted: the run was cancelled", session.Elapsed);
                        break;
                    }

                    switch (next)
                    {
                        case null:
                            follower.OnDeadline(session.Elapsed);
                            break;
                        case ConsoleLine line:
                            Append(serial, line.Text);
                            int before = follower.Timings.Count;
                            follower.OnLine(line.Text, line.At);
                            if (follower.Timings.Count != before || follower.Verdict != VmVerdict.Running)
                            {
                                onProgress?.Invoke(follower);
                            }

                            break;
                        case VmExited end:
                            exited = true;
                            exitCode = end.ExitCode;
                            follower.OnExit(end.ExitCode, end.At);
                            break;
                    }
                }

                if (!exited)
                {
                    session.Stop();
                    exitCode = await DrainAsync(session, serial).ConfigureAwait(false);
                }

                return Result(spec, follower, serial, exitCode, follower.DecidedAt ?? session.Elapsed);
            }
        }

        /// <summary>The next event, or null when the deadline passed first.</summary>
        private static async Task<VmEvent?> NextEventAsync(IVmSession session, TimeSpan? deadline, CancellationToken cancel)
        {
            if (deadline == null)
            {
                return await session.Events.ReadAsync(cancel).ConfigureAwait(false);
            }

            // Wake a millisecond after the deadline: the follower counts a deadline as missed only
            // once the clock is past it.
            TimeSpan wait = deadline.Value - session.Elapsed + TimeSpan.FromMilliseconds(1);
            if (wait <= TimeSpan.Zero)
            {
                return session.Events.TryRead(out VmEvent? ready) ? ready : null;
            }

            using CancellationTokenSource timer = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timer.CancelAfter(wait);
            try
            {
                return await session.Events.ReadAsync(timer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                return null;
            }
            catch (ChannelClosedException)
            {
                // Cannot happen before VmExited, which ends the loop; treat it as an exit all the same.
                return new VmExited(null, session.Elapsed);
            }
        }

        /// <summary>Collects the console's last lines after Stop, up to the VM's exit.</summary>
        private static async Task<int?> DrainAsync(IVmSession session, StringBuilder serial)
        {
            using CancellationTokenSource grace = new CancellationTokenSource(StopGrace);
            try
            {
                await foreach (VmEvent item in session.Events.ReadAllAsync(grace.Token).ConfigureAwait(false))
                {
                    if (item is ConsoleLine line)
                    {
                        Append(serial, line.Text);
                    }
                    else if (item is VmExited end)
                    {
                        return end.ExitCode;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                Append(serial, $"[vmtest] the VM did not end within {StopGrace.TotalSeconds} s of being stopped");
            }

            return null;
        }

        private static void Append(StringBuilder serial, string line)
        {
            if (serial.Length + line.Length < MaxSerialChars)
            {
                serial.Append(line).Append('\n');
            }
        }

        private static VmResult Result(VmSpec spec, MilestoneFollower follower, StringBuilder serial, int? exitCode, TimeSpan duration)
        {
            return new VmResult
            {
                Id = spec.Id,
                Backend = spec.Backend,
                Passed = follower.Verdict == VmVerdict.Passed,
                ExpectedFailure = spec.Expect == Expectation.Fail,
                FailureMessage = follower.FailureMessage,
                Duration = duration,
                ExitCode = exitCode,
                Timings = follower.Timings,
                LastLines = follower.LastLines,
                Serial = serial.ToString(),
            };
        }
    }
}
