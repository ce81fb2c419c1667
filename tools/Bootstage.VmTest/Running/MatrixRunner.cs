// Runs every VM of a matrix with at most N at once (TCG guests are CPU-bound: more guests than
// cores slow each other until deadlines pass) and returns their results in the matrix's order, so
// reports do not depend on which VM happened to finish first.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Bootstage.VmTest.Backends;
using Bootstage.VmTest.Matrix;

namespace Bootstage.VmTest.Running
{
    public sealed record RunReport(string MatrixPath, DateTimeOffset Started, TimeSpan Duration, IReadOnlyList<VmResult> Results)
    {
        public int Failed => Results.Count(r => !r.Passed);
    }

    public static class MatrixRunner
    {
        /// <summary>Half the cores, at least one: leaves room for the host side (tgtd, the runner, a build).</summary>
        public static int DefaultParallelism => Math.Max(1, Environment.ProcessorCount / 2);

        public static async Task<RunReport> RunAsync(TestMatrix matrix, int parallelism, IBackendFactory backends, IProgressView view, CancellationToken cancel)
        {
            if (parallelism < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(parallelism), "at least one VM must be allowed to run");
            }

            DateTimeOffset started = DateTimeOffset.Now;
            System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
            using SemaphoreSlim slots = new SemaphoreSlim(parallelism, parallelism);
            view.Queued(matrix.Vms);
            Task<VmResult>[] runs = matrix.Vms.Select(vm => Task.Run(() => RunOneAsync(vm, slots, backends, view, cancel))).ToArray();
            VmResult[] results = await Task.WhenAll(runs).ConfigureAwait(false);
            view.Done();
            return new RunReport(matrix.Path, started, clock.Elapsed, results);
        }

        private static async Task<VmResult> RunOneAsync(VmSpec vm, SemaphoreSlim slots, IBackendFactory backends, IProgressView view, CancellationToken cancel)
        {
            try
            {
                await slots.WaitAsync(cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                VmResult skipped = NotRun(vm, "interrupted: the run was cancelled before this VM started");
                view.Finished(vm, skipped);
                return skipped;
            }

            try
            {
                // A slot freed by a VM that was stopped for the cancellation must not start another.
                if (cancel.IsCancellationRequested)
                {
                    VmResult skipped = NotRun(vm, "interrupted: the run was cancelled before this VM started");
                    view.Finished(vm, skipped);
                    return skipped;
                }

                view.Started(vm);
                VmResult result = await VmRunner.RunAsync(vm, backends.Get(vm.Backend), follower => view.Progress(vm, follower), cancel).ConfigureAwait(false);
                view.Finished(vm, result);
                return result;
            }
            finally
            {
                slots.Release();
            }
        }

        private static VmResult NotRun(VmSpec vm, string why) => new VmResult
        {
            Id = vm.Id,
            Backend = vm.Backend,
            Passed = false,
            ExpectedFailure = vm.Expect == Expectation.Fail,
            FailureMessage = why,
            Duration = TimeSpan.Zero,
            Timings = Array.Empty<Following.MilestoneTiming>(),
            LastLines = Array.Empty<string>(),
            Serial = string.Empty,
        };
    }
}
