// bootstage-vmtest's entry point: parse the command line, load the matrix, run the VMs with live
// progress, write the reports that were asked for, print the failures in full, and turn the
// outcome into the exit status (0 all as expected, 1 a VM did not, 2 usage or matrix error).
// Ctrl+C stops the running VMs instead of leaving QEMU processes behind.
using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Bootstage.VmTest.Backends;
using Bootstage.VmTest.Matrix;
using Bootstage.VmTest.Reports;
using Bootstage.VmTest.Running;

namespace Bootstage.VmTest
{
    public static class Program
    {
        public const int ExitPassed = 0;
        public const int ExitFailed = 1;
        public const int ExitUsage = 2;

        public static async Task<int> Main(string[] args)
        {
            if (args.Contains("-h") || args.Contains("--help"))
            {
                Console.Out.WriteLine(Options.Usage);
                return ExitPassed;
            }

            using CancellationTokenSource cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                // The first Ctrl+C stops the VMs and still writes the reports; a second one kills us.
                e.Cancel = !cancel.IsCancellationRequested;
                cancel.Cancel();
            };

            IProgressView view = Console.IsOutputRedirected
                ? new PlainProgressView(Console.Out)
                : new TerminalProgressView(Console.Out, SafeWidth());
            return await RunAsync(args, new BackendFactory(), view, Console.Out, Console.Error, cancel.Token).ConfigureAwait(false);
        }

        /// <summary>The whole tool behind Main, with its outside world passed in (for tests).</summary>
        public static async Task<int> RunAsync(string[] args, IBackendFactory backends, IProgressView view, TextWriter output, TextWriter error, CancellationToken cancel)
        {
            Options options;
            TestMatrix matrix;
            try
            {
                options = Options.Parse(args, MatrixRunner.DefaultParallelism);
                matrix = MatrixParser.Load(options.MatrixPath);
            }
            catch (UsageException e)
            {
                error.WriteLine("bootstage-vmtest: " + e.Message);
                error.WriteLine(Options.Usage);
                return ExitUsage;
            }
            catch (MatrixException e)
            {
                error.WriteLine("bootstage-vmtest: " + e.Message);
                return ExitUsage;
            }

            RunReport report = await MatrixRunner.RunAsync(matrix, options.Parallelism, backends, view, cancel).ConfigureAwait(false);
            if (options.JUnitPath != null)
            {
                JUnitWriter.Write(report, options.JUnitPath);
            }

            if (options.SummaryPath != null)
            {
                JsonSummaryWriter.Write(report, options.SummaryPath);
            }

            if (options.HtmlPath != null)
            {
                HtmlSummaryWriter.Write(report, options.HtmlPath);
            }

            foreach (VmResult failed in report.Results.Where(r => !r.Passed))
            {
                output.WriteLine($"FAIL {failed.Id}: {failed.FailureMessage}");
                foreach (string line in failed.LastLines)
                {
                    output.WriteLine("    " + line);
                }
            }

            output.WriteLine($"{report.Results.Count} VM(s): {report.Results.Count - report.Failed} passed, {report.Failed} failed in {ProgressText.Seconds(report.Duration)}");
            return report.Failed == 0 ? ExitPassed : ExitFailed;
        }

        private static int SafeWidth()
        {
            // A pseudo-terminal without a size (script(1), some CI runners) reports 0 columns.
            try
            {
                return Console.WindowWidth > 0 ? Console.WindowWidth : 120;
            }
            catch (IOException)
            {
                return 120;
            }
        }
    }
}
