// The in-image test mode (`selftest` on the command line): runs the shared core-library tests
// (the same source xunit runs on .NET) and the kernel's own checks, prints one line per test and
// the summary "N passed, N failed" on the console.
using Bootstage.Kernel.Console;
using Bootstage.Platform;
using Bootstage.SelfTests;

namespace Bootstage.Kernel.Core
{
    internal static class SelfTestRunner
    {
        /// <summary>Runs every test; true when all passed.</summary>
        internal static bool RunAll(IPlatform platform)
        {
            int passed = 0;
            int failed = 0;
            for (int i = 0; i < CoreLibSelfTests.Count; i++)
            {
                SelfCheck check = CoreLibSelfTests.Run(i, out string name);
                Report(name, check, ref passed, ref failed);
            }

            for (int i = 0; i < KernelSelfTests.Count; i++)
            {
                SelfCheck check = KernelSelfTests.Run(i, platform, out string name);
                Report(name, check, ref passed, ref failed);
            }

            Log.Plain().Text("selftest: ").Dec((ulong)passed).Text(" passed, ").Dec((ulong)failed).Text(" failed").End();
            return failed == 0;
        }

        private static void Report(string name, SelfCheck check, ref int passed, ref int failed)
        {
            if (check.Passed)
            {
                passed++;
                Log.Plain().Text("selftest ").Text(name).Text(" ok").End();
                return;
            }

            failed++;
            Log.Plain().Text("selftest ").Text(name).Text(" FAILED: ").Text(check.Failure)
                .Text(" (expected ").Signed(check.Expected).Text(", got ").Signed(check.Actual).Text(")").End();
        }
    }
}
