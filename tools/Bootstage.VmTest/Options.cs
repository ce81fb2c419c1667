// The command line of bootstage-vmtest:
//   bootstage-vmtest <matrix.json> [--parallel N] [--junit out.xml] [--summary out.json] [--html out.html]
// Parsed into Options; anything else is a UsageException whose message says what was wrong.
using System;
using System.Globalization;

namespace Bootstage.VmTest
{
    public sealed class UsageException : Exception
    {
        public UsageException(string message)
            : base(message)
        {
        }
    }

    public sealed record Options(string MatrixPath, int Parallelism, string? JUnitPath, string? SummaryPath, string? HtmlPath)
    {
        public const string Usage =
            "usage: bootstage-vmtest <matrix.json> [--parallel N] [--junit out.xml] [--summary out.json] [--html out.html]\n"
            + "  boots the VMs of the matrix (docs/vmtest.md), follows their @milestone lines and\n"
            + "  exits 0 when every VM did what the matrix expects, 1 when one did not, 2 on a usage or matrix error.\n"
            + "  --parallel N   VMs running at once (default: half the cores, at least 1)";

        public static Options Parse(string[] args, int defaultParallelism)
        {
            string? matrix = null;
            int parallelism = defaultParallelism;
            string? junit = null;
            string? summary = null;
            string? html = null;
            for (int i = 0; i < args.Length; i++)
            {
                string arg = args[i];
                switch (arg)
                {
                    case "--parallel":
                        string count = Value(args, ref i);
                        if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out parallelism) || parallelism < 1)
                        {
                            throw new UsageException($"--parallel wants a whole number of VMs, at least 1, not \"{count}\"");
                        }

                        break;
                    case "--junit":
                        junit = Value(args, ref i);
                        break;
                    case "--summary":
                        summary = Value(args, ref i);
                        break;
                    case "--html":
                        html = Value(args, ref i);
                        break;
                    default:
                        if (arg.StartsWith('-'))
                        {
                            throw new UsageException($"unknown option {arg}");
                        }

                        if (matrix != null)
                        {
                            throw new UsageException($"one matrix file at a time (got {matrix} and {arg})");
                        }

                        matrix = arg;
                        break;
                }
            }

            if (matrix == null)
            {
                throw new UsageException("the matrix file is missing");
            }

            return new Options(matrix, parallelism, junit, summary, html);
        }

        private static string Value(string[] args, ref int i)
        {
            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"{args[i]} needs a value");
            }

            return args[++i];
        }
    }
}
