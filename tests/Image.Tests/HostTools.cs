// The host tools the image tests make their disks and boot sectors with: Debian's mkfs.fat,
// mtools, syslinux, xorriso and nasm, run to completion, a non-zero exit failing the test with
// the tool's own error output.
using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;

namespace Bootstage.Image.Tests
{
    internal static class HostTools
    {
        public static void Run(string tool, string arguments)
        {
            ProcessStartInfo start = new ProcessStartInfo(tool, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
            using Process process = Process.Start(start)!;
            Task<string> errors = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"{tool} {arguments}: {errors.Result}");
        }

        /// <summary>Assembles one of BootSectors/*.asm (copied beside the test assembly) with nasm into a flat binary.</summary>
        public static byte[] Assemble(string source)
        {
            string output = Path.Combine(Path.GetTempPath(), "bootstage-bs-" + Guid.NewGuid().ToString("N") + ".bin");
            string path = Path.Combine(AppContext.BaseDirectory, "BootSectors", source);
            try
            {
                Run("nasm", $"-f bin -I \"{Path.GetDirectoryName(path)}/\" -o \"{output}\" \"{path}\"");
                return File.ReadAllBytes(output);
            }
            finally
            {
                File.Delete(output);
            }
        }
    }
}
