// A test that needs this project's Linux host (QEMU, Debian's tgtd, /bin/sh). build.cmd runs the
// solution's tests on Windows too, where such a test is reported as skipped with the reason
// instead of failing for want of the tools.
using System;

namespace Bootstage.VmTest.Tests
{
    public sealed class LinuxFactAttribute : FactAttribute
    {
        public LinuxFactAttribute()
        {
            if (!OperatingSystem.IsLinux())
            {
                Skip = "needs the Linux host: QEMU, tgtd and /bin/sh";
            }
        }
    }
}
