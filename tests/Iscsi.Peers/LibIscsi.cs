// libiscsi's command-line initiator tools (Debian libiscsi-bin 1.19.0) as a second, independent
// initiator: to cross-check what a target serves (iscsi-inq, iscsi-readcapacity16) and to give a
// throughput reference (iscsi-perf, sequential reads). The tools take the target in libiscsi's URL
// form, iscsi://[user%password@]host[:port]/iqn/lun, with ?target_user=..&target_password=.. for
// the target's half of mutual CHAP; Url builds one.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;

namespace Bootstage.Iscsi.Peers
{
    /// <summary>The final figures of one iscsi-perf run.</summary>
    public sealed class PerfResult
    {
        public PerfResult(long iops, int blocks, long reportedMBPerSecond, string output, bool interrupted = false)
        {
            Interrupted = interrupted;
            Iops = iops;
            Blocks = blocks;
            ReportedMBPerSecond = reportedMBPerSecond;
            Output = output;
        }

        /// <summary>Average requests per second over the whole run.</summary>
        public long Iops { get; }

        /// <summary>512-byte blocks per request.</summary>
        public int Blocks { get; }

        /// <summary>
        /// Throughput in MiB/s worked out here from iops × blocks × 512, unrounded. iscsi-perf's own
        /// figure is the same quantity truncated to an integer.
        /// </summary>
        public double MiBPerSecond => Iops * (double)Blocks * TgtdTarget.BlockSize / (1024.0 * 1024.0);

        /// <summary>The integer iscsi-perf printed as "MB/s": it divides by 2^20, so it is MiB/s.</summary>
        public long ReportedMBPerSecond { get; }

        /// <summary>
        /// The run overran its time (its countdown missed, typically across a reconnect) and was ended
        /// with SIGINT. The average then covers the whole, longer run, stalls included; if the target
        /// stopped answering, the figure is the last one printed before that.
        /// </summary>
        public bool Interrupted { get; }

        /// <summary>Everything iscsi-perf wrote, carriage returns included.</summary>
        public string Output { get; }

        public override string ToString()
        {
            return Iops + " iops × " + Blocks + " blocks = " + MiBPerSecond.ToString("F1", CultureInfo.InvariantCulture) + " MiB/s";
        }
    }

    /// <summary>Runs the libiscsi tools. Every method throws <see cref="ToolFailedException"/> on failure.</summary>
    public static class LibIscsi
    {
        public const string PerfPath = "/usr/bin/iscsi-perf";
        public const string InquiryPath = "/usr/bin/iscsi-inq";
        public const string ReadCapacity16Path = "/usr/bin/iscsi-readcapacity16";
        public const string ListPath = "/usr/bin/iscsi-ls";

        private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(20);

        // How long iscsi-perf may take to log in and print its first progress line before its run
        // is counted as overdue anyway.
        private static readonly TimeSpan StartAllowance = TimeSpan.FromSeconds(60);

        // The last progress line iscsi-perf rewrites in place ends as
        //   "\riops average 18631 (582 MB/s)   <spaces>\n\nfinished.\n"
        // after per-second lines "\r00:00:01 - lba 67008, iops current 17426 (544 MB/s), iops average ...".
        private static readonly Regex AverageFigure = new Regex(@"iops average (\d+) \((\d+) MB/s\)", RegexOptions.CultureInvariant);

        /// <summary>
        /// The URL of LUN <paramref name="lun"/> of <paramref name="iqn"/>. With
        /// <paramref name="user"/>/<paramref name="password"/> the initiator answers the target's CHAP
        /// challenge; with <paramref name="targetUser"/>/<paramref name="targetPassword"/> it also
        /// challenges the target (mutual CHAP). libiscsi does not unescape these, so none may contain
        /// '%', '@', '/', '?' or '&amp;'.
        /// </summary>
        public static string Url(string address, int port, string iqn, int lun = 1, string? user = null, string? password = null, string? targetUser = null, string? targetPassword = null)
        {
            StringBuilder url = new StringBuilder("iscsi://");
            if (user != null)
            {
                url.Append(CheckUrlPart(user, nameof(user)));
                if (password != null)
                {
                    url.Append('%').Append(CheckUrlPart(password, nameof(password)));
                }

                url.Append('@');
            }

            url.Append(address).Append(':').Append(port).Append('/').Append(iqn).Append('/').Append(lun);
            if (targetUser != null)
            {
                url.Append("?target_user=").Append(CheckUrlPart(targetUser, nameof(targetUser)));
                url.Append("&target_password=").Append(CheckUrlPart(targetPassword ?? "", nameof(targetPassword)));
            }

            return url.ToString();
        }

        /// <summary><see cref="Url(string, int, string, int, string?, string?, string?, string?)"/> for a LUN of <paramref name="target"/>.</summary>
        public static string Url(TgtdTarget target, string iqn, int lun = 1, string? user = null, string? password = null, string? targetUser = null, string? targetPassword = null)
        {
            return Url(target.Address, target.Port, iqn, lun, user, password, targetUser, targetPassword);
        }

        /// <summary>
        /// Sequential reads for <paramref name="seconds"/> with <paramref name="queueDepth"/> requests of
        /// <paramref name="blocks"/> 512-byte blocks in flight (iscsi-perf -t -m -b), wrapping round
        /// at the end of the LUN. Returns the run's final average. A run still going 2 s after its time
        /// (counted from its first progress line, so a slow login does not eat into it), or when
        /// <paramref name="stop"/> is cancelled, is interrupted (see <see cref="PerfResult.Interrupted"/>);
        /// one that fails to log in, exits with an error or survives the interrupts throws
        /// <see cref="ToolFailedException"/>. <paramref name="onOutput"/> sees the output as it comes
        /// (all of it so far, progress lines separated by carriage returns).
        /// </summary>
        public static PerfResult RunPerf(string url, int queueDepth, int blocks, int seconds, CancellationToken stop = default, Action<string>? onOutput = null)
        {
            if (queueDepth < 1 || blocks < 1 || seconds < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(queueDepth), "queue depth, blocks and seconds are all at least 1");
            }

            string[] arguments =
            {
                "-t", seconds.ToString(CultureInfo.InvariantCulture),
                "-m", queueDepth.ToString(CultureInfo.InvariantCulture),
                "-b", blocks.ToString(CultureInfo.InvariantCulture),
                url,
            };
            // iscsi-perf ends itself only if a once-a-second progress tick lands exactly on second
            // -t: when a tick skips it (a stall, a reconnect) the remaining time wraps round and it
            // runs on for ever. At its first SIGINT it stops issuing reads, waits for those in flight
            // and prints its average; at the second it gives up waiting ("ABORTED!"), which after a
            // reconnect is the rule, its in-flight count having gone wrong (it shows -1).
            // Its stdout is a pipe, so nothing shows before the first progress tick flushes it, a
            // second into the run (after login and READ CAPACITY): the overrun is counted from there.
            // An interrupt before that tick would find no average to print (or no SIGINT handler yet).
            using CancellationTokenSource interrupt = CancellationTokenSource.CreateLinkedTokenSource(stop);
            int started = 0;
            Action<string> watch = output =>
            {
                if (Interlocked.Exchange(ref started, 1) == 0)
                {
                    interrupt.CancelAfter(TimeSpan.FromSeconds(seconds + 1));
                }

                onOutput?.Invoke(output);
            };
            ToolResult result = ToolRunner.Run(PerfPath, arguments, TimeSpan.FromSeconds(seconds + 2) + StartAllowance, TimeSpan.FromSeconds(3), interrupt.Token, watch);
            if (result.TimedOut || result.ExitCode != 0)
            {
                throw new ToolFailedException(result);
            }

            PerfResult? parsed = ParsePerf(result.StandardOutput, blocks, result.Interrupted);
            return parsed ?? throw new FormatException("no \"iops average N (M MB/s)\" in " + result.Describe());
        }

        /// <summary>Reads iscsi-perf's output; null when it holds no average figure.</summary>
        public static PerfResult? ParsePerf(string output, int blocks, bool interrupted = false)
        {
            // Progress lines are separated by carriage returns, not newlines; the last match is the
            // summary printed after the run (after an interrupt, a last progress line in the
            // per-second format, whose MB/s is bytes read / 2^20 over the run).
            MatchCollection matches = AverageFigure.Matches(output);
            if (matches.Count == 0)
            {
                return null;
            }

            Match last = matches[matches.Count - 1];
            long iops = long.Parse(last.Groups[1].Value, CultureInfo.InvariantCulture);
            long reported = long.Parse(last.Groups[2].Value, CultureInfo.InvariantCulture);
            return new PerfResult(iops, blocks, reported, output, interrupted);
        }

        /// <summary>iscsi-readcapacity16's report ("RETURNED LOGICAL BLOCK ADDRESS:", "Total size:", ...).</summary>
        public static string ReadCapacity16(string url)
        {
            return ToolRunner.RunChecked(ReadCapacity16Path, new[] { url }, QueryTimeout).StandardOutput;
        }

        /// <summary>The size in bytes iscsi-readcapacity16 reports ("Total size:N").</summary>
        public static long CapacityBytes(string url)
        {
            string report = ReadCapacity16(url);
            Match size = Regex.Match(report, @"^Total size:(\d+)", RegexOptions.Multiline | RegexOptions.CultureInvariant);
            if (!size.Success)
            {
                throw new FormatException("no \"Total size:\" in iscsi-readcapacity16 output: " + report);
            }

            return long.Parse(size.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        /// <summary>
        /// iscsi-inq's decoding of the standard INQUIRY data, or of VPD page <paramref name="vpdPage"/>
        /// (decimal, e.g. 128 for the unit serial number, 131 for device identification).
        /// </summary>
        public static string Inquiry(string url, int? vpdPage = null)
        {
            List<string> arguments = new List<string>();
            if (vpdPage != null)
            {
                arguments.Add("-e");
                arguments.Add("1");
                arguments.Add("-c");
                arguments.Add(vpdPage.Value.ToString(CultureInfo.InvariantCulture));
            }

            arguments.Add(url);
            return ToolRunner.RunChecked(InquiryPath, arguments, QueryTimeout).StandardOutput;
        }

        /// <summary>iscsi-ls's listing of the targets (and with -s the LUNs) a portal offers.</summary>
        public static string List(string portalUrl, bool showLuns = false)
        {
            List<string> arguments = new List<string>();
            if (showLuns)
            {
                arguments.Add("-s");
            }

            arguments.Add(portalUrl);
            return ToolRunner.RunChecked(ListPath, arguments, QueryTimeout).StandardOutput;
        }

        private static string CheckUrlPart(string value, string name)
        {
            if (value.IndexOfAny(new[] { '%', '@', '/', '?', '&' }) >= 0)
            {
                throw new ArgumentException("libiscsi URLs cannot carry '%', '@', '/', '?' or '&' here", name);
            }

            return value;
        }
    }
}
