// The libiscsi wrappers and the backing-file helpers: iscsi-perf's carriage-return progress output is
// parsed to its final average (and its "MB" checked to be MiB), a live iscsi-perf run gives figures
// that agree with each other, a run that is interrupted (after a target restart, or endless) is ended
// by SIGINT and still reports, URLs take libiscsi's CHAP form, and backing-file content can be
// recomputed at any offset.
using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Bootstage.Iscsi.Peers;

namespace Bootstage.Iscsi.Peers.Tests
{
    public class LibIscsiTests
    {
        private const string Iqn = "iqn.2026-01.test.peers:perf";

        // Captured from iscsi-perf 0.1 (libiscsi-bin 1.19.0) against tgtd: -t 2 -m 4 -b 64.
        private const string CapturedPerfOutput =
            "iscsi-perf version 0.1 - (c) 2014-2015 by Peter Lieven <pl@kamp.de>\n\n"
            + "connected to iscsi://127.0.0.1:3391/iqn.2026-01.test:a/1\n"
            + "capacity is 131072 blocks or 67108864 byte (64 MB)\n"
            + "performing SEQUENTIAL READ with 4 parallel requests\n"
            + "FIXED transfer size of 64 blocks (32768 byte)\n"
            + "will run for 2 seconds.\n\n"
            + "\r00:00:01 - lba 67008, iops current 17426 (544 MB/s), iops average 17426 (544 MB/s), in_flight 4, busy 0        "
            + "\riops average 18631 (582 MB/s)                                                                              \n\n"
            + "finished.\n";

        [Fact]
        public void ParsePerf_takes_the_final_average_after_the_carriage_return_progress_lines()
        {
            PerfResult? result = LibIscsi.ParsePerf(CapturedPerfOutput, blocks: 64);

            Assert.NotNull(result);
            Assert.Equal(18631, result!.Iops);
            Assert.Equal(582, result.ReportedMBPerSecond);
            // 18631 × 64 × 512 B = 610,502,656 B/s: 582.2 MiB/s but 610.5 MB/s, so the tool's MB is MiB.
            Assert.Equal(582.2, result.MiBPerSecond, 1);
            Assert.Null(LibIscsi.ParsePerf("iscsi-perf version 0.1\nconnected to ...\n", 64));
        }

        [Fact]
        public void RunPerf_reports_iops_and_a_throughput_matching_the_tools_own_figure()
        {
            using TgtdTarget target = TgtdTarget.Start();
            AddDisk(target, 16L << 20);

            PerfResult result = LibIscsi.RunPerf(LibIscsi.Url(target, Iqn), queueDepth: 4, blocks: 64, seconds: 1);

            Assert.True(result.Iops > 0, result.Output);
            Assert.Equal(64, result.Blocks);
            // The tool truncates its summary figure, so that integer is at most one below the exact
            // one; after an overrun the figure comes from bytes read instead and may be one above.
            Assert.InRange(result.MiBPerSecond - result.ReportedMBPerSecond, result.Interrupted ? -1.0 : 0.0, 1.0);
            Assert.Contains("finished.", result.Output);
        }

        [Fact]
        public async Task Restart_under_a_running_iscsi_perf_rebinds_the_portal_and_the_run_still_reports()
        {
            using TgtdTarget target = TgtdTarget.Start();
            AddDisk(target, 16L << 20);
            string url = LibIscsi.Url(target, Iqn);
            // Every step waits for what it needs, not for a clock: the restart comes once iscsi-perf
            // is reading (its first progress line), and the run is stopped once it has logged in to
            // the new tgtd and read on (a progress line after its session showed there). The run's
            // own time only bounds a run that never gets that far.
            using CancellationTokenSource stop = new CancellationTokenSource();
            PerfProgress progress = new PerfProgress();
            Task<PerfResult> perf = Task.Run(() => LibIscsi.RunPerf(url, queueDepth: 4, blocks: 8, seconds: 120, stop.Token, progress.Update));
            await WaitUntil(() => progress.Lines > 0, perf, "iscsi-perf's first progress line");

            target.Restart();

            Assert.Equal(16L << 20, LibIscsi.CapacityBytes(url));
            await WaitUntil(() => target.ShowTargets().Contains(PerfInitiator, StringComparison.Ordinal), perf, "iscsi-perf's session on the restarted tgtd");
            int before = progress.Lines;
            await WaitUntil(() => progress.Lines > before, perf, "a progress line after the reconnect");
            stop.Cancel();

            PerfResult result = await perf;
            Assert.True(result.Iops > 0, result.Output);
        }

        [Fact]
        public void An_endless_iscsi_perf_interrupted_while_it_reads_still_prints_its_average()
        {
            using TgtdTarget target = TgtdTarget.Start();
            AddDisk(target, 16L << 20);

            // -t 0 runs until interrupted, like a run whose countdown wrapped round. The interrupt
            // comes once it has printed a progress line (it is reading and has a figure to give);
            // the deadline is only there for a run that never does.
            using CancellationTokenSource reading = new CancellationTokenSource();
            ToolResult run = ToolRunner.Run(
                LibIscsi.PerfPath,
                new[] { "-t", "0", "-m", "4", "-b", "8", LibIscsi.Url(target, Iqn) },
                TimeSpan.FromSeconds(60),
                TimeSpan.FromSeconds(3),
                reading.Token,
                output =>
                {
                    if (output.Contains("iops average", StringComparison.Ordinal))
                    {
                        reading.Cancel();
                    }
                });

            Assert.True(run.Interrupted, run.Describe());
            Assert.False(run.TimedOut, run.Describe());
            Assert.Equal(0, run.ExitCode);
            Assert.Contains("finished.", run.StandardOutput);
            PerfResult? result = LibIscsi.ParsePerf(run.StandardOutput, blocks: 8, run.Interrupted);
            Assert.NotNull(result);
            Assert.True(result!.Iops > 0 && result.Interrupted);
        }

        [Fact]
        public void Url_puts_chap_credentials_in_libiscsis_form()
        {
            Assert.Equal("iscsi://127.0.0.1:3260/iqn.x:y/1", LibIscsi.Url("127.0.0.1", 3260, "iqn.x:y"));
            Assert.Equal("iscsi://u%p@127.0.0.1:3260/iqn.x:y/0", LibIscsi.Url("127.0.0.1", 3260, "iqn.x:y", 0, "u", "p"));
            Assert.Equal(
                "iscsi://u%p@127.0.0.1:3260/iqn.x:y/1?target_user=t&target_password=q",
                LibIscsi.Url("127.0.0.1", 3260, "iqn.x:y", 1, "u", "p", "t", "q"));
            Assert.Throws<ArgumentException>(() => LibIscsi.Url("127.0.0.1", 3260, "iqn.x:y", 1, "u", "p%q"));
        }

        [Fact]
        public void Backing_file_content_is_deterministic_and_recomputable_at_any_offset()
        {
            string directory = Path.Combine(Path.GetTempPath(), "peers-files-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                const long size = (3L << 20) + 512;
                string a = TgtdTarget.CreateBackingFile(Path.Combine(directory, "a.img"), size, seed: 42);
                string b = TgtdTarget.CreateBackingFile(Path.Combine(directory, "b.img"), size, seed: 42);
                string c = TgtdTarget.CreateBackingFile(Path.Combine(directory, "c.img"), size, seed: 43);
                byte[] bytesA = File.ReadAllBytes(a);

                Assert.Equal(size, bytesA.Length);
                Assert.Equal(bytesA, File.ReadAllBytes(b));
                Assert.NotEqual(bytesA, File.ReadAllBytes(c));
                foreach ((long offset, int length) in new[] { (0L, 512), (1_048_573L, 11), ((3L << 20) - 5, 517), (777L, 1) })
                {
                    byte[] expected = new byte[length];
                    TgtdTarget.FillContent(42, offset, expected);
                    Assert.Equal(bytesA.AsSpan((int)offset, length).ToArray(), expected);
                }
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        [Fact]
        public void Sparse_file_reads_zero_except_where_regions_were_written()
        {
            string path = Path.Combine(Path.GetTempPath(), "peers-sparse-" + Guid.NewGuid().ToString("N") + ".img");
            try
            {
                TgtdTarget.CreateSparseFile(path, 1L << 20);
                TgtdTarget.WriteAt(path, 8192, TgtdTarget.RegionPattern(8192));
                byte[] bytes = File.ReadAllBytes(path);

                Assert.Equal(1L << 20, bytes.Length);
                Assert.All(bytes.AsSpan(0, 8192).ToArray(), value => Assert.Equal(0, value));
                Assert.Equal(TgtdTarget.RegionPattern(8192), bytes.AsSpan(8192, 4096).ToArray());
                Assert.Equal(0xA5, bytes[8192 + 7]);
                Assert.All(bytes.AsSpan(12288).ToArray(), value => Assert.Equal(0, value));
            }
            finally
            {
                File.Delete(path);
            }
        }

        // The initiator name iscsi-perf logs in with (libiscsi-bin 1.19.0), as tgtadm shows it.
        private const string PerfInitiator = "iqn.2010-11.libiscsi:iscsi-perf";

        // Generous: only a broken run or target takes anywhere near this long.
        private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

        /// <summary>Counts iscsi-perf's progress lines (each carries one "iops average") as they arrive.</summary>
        private sealed class PerfProgress
        {
            private int _lines;

            public int Lines => Volatile.Read(ref _lines);

            public void Update(string output)
            {
                int lines = 0;
                for (int at = output.IndexOf("iops average", StringComparison.Ordinal); at >= 0; at = output.IndexOf("iops average", at + 1, StringComparison.Ordinal))
                {
                    lines++;
                }

                Volatile.Write(ref _lines, lines);
            }
        }

        /// <summary>Polls <paramref name="condition"/> until it holds; fails if the run ends first or at <see cref="WaitLimit"/>.</summary>
        private static async Task WaitUntil(Func<bool> condition, Task<PerfResult> perf, string what)
        {
            Stopwatch waited = Stopwatch.StartNew();
            while (!condition())
            {
                // A finished (or failed) run is awaited so its output or exception explains itself.
                Assert.False(perf.IsCompleted, "iscsi-perf ended before " + what + ": " + (perf.IsCompleted ? (await perf).Output : ""));
                Assert.True(waited.Elapsed < WaitLimit, "no " + what + " after " + WaitLimit.TotalSeconds + " s");
                await Task.WhenAny(perf, Task.Delay(20));
            }
        }

        private static void AddDisk(TgtdTarget target, long size)
        {
            string file = TgtdTarget.CreateBackingFile(Path.Combine(target.WorkDirectory, "perf.img"), size, seed: 11);
            target.AddTarget(1, Iqn);
            target.AddLun(1, 1, file);
            target.BindAll(1);
        }
    }
}
