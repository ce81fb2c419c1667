// Boots a kernel (our out/bootstage.bin, or another multiboot/Linux-style kernel such as iPXE's
// ipxe.lkrn) in QEMU/TCG with virtio-net on the user network. Boot returns the serial console text,
// for the benchmarks that read figures from the image's milestone lines; BootTimed also stamps each
// console line with the seconds since QEMU was started, for figures such as "QEMU start -> boot
// sector running". Every guest gets the same machine, so two kernels compared side by side differ
// only in the kernel.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace Bootstage.Bench
{
    /// <summary>One console line and when it arrived, in seconds since QEMU was started.</summary>
    internal readonly record struct ConsoleLine(double Seconds, string Text);

    /// <summary>A finished guest: QEMU's exit status (-1 if it was killed at the deadline) and its console.</summary>
    internal sealed record TimedBoot(int ExitCode, bool TimedOut, IReadOnlyList<ConsoleLine> Lines)
    {
        public string Serial => string.Join("\n", Lines.Select(line => line.Text));
    }

    internal static class QemuImage
    {
        public static string RepositoryRoot
        {
            get
            {
                string root = AppContext.BaseDirectory;
                while (!File.Exists(Path.Combine(root, "Cosmos.sln")))
                {
                    root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Cosmos.sln not found");
                }

                return root;
            }
        }

        /// <summary>Our image, or null when it has not been built.</summary>
        public static string? ImagePath
        {
            get
            {
                string image = Path.Combine(RepositoryRoot, "out", "bootstage.bin");
                return File.Exists(image) ? image : null;
            }
        }

        /// <summary>The serial output, or null when the image has not been built.</summary>
        public static string? Boot(string append)
        {
            string? image = ImagePath;
            if (image == null)
            {
                return null;
            }

            return BootTimed(image, append, 600).Serial + "\n";
        }

        /// <summary>
        /// Boots <paramref name="kernel"/> with QEMU's -kernel and -append and waits for QEMU to exit
        /// (isa-debug-exit or power-off) or for <paramref name="timeoutSeconds"/> to pass;
        /// <paramref name="extraArguments"/> go on QEMU's command line too (logging, for profiles).
        /// </summary>
        public static TimedBoot BootTimed(string kernel, string append, int timeoutSeconds, params string[] extraArguments)
        {
            ProcessStartInfo start = new ProcessStartInfo("qemu-system-x86_64")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (string argument in new[]
            {
                "-machine", "pc", "-accel", "tcg", "-cpu", "qemu64", "-m", "256", "-display", "none",
                "-serial", "stdio", "-monitor", "none", "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0",
                "-kernel", kernel, "-append", append,
            })
            {
                start.ArgumentList.Add(argument);
            }

            foreach (string argument in extraArguments)
            {
                start.ArgumentList.Add(argument);
            }

            List<ConsoleLine> lines = new List<ConsoleLine>();
            Stopwatch clock = Stopwatch.StartNew();
            using Process qemu = Process.Start(start) ?? throw new InvalidOperationException("qemu-system-x86_64 did not start");
            qemu.OutputDataReceived += (_, e) => Add(lines, clock, e.Data, string.Empty);
            qemu.ErrorDataReceived += (_, e) => Add(lines, clock, e.Data, "[qemu] ");
            qemu.BeginOutputReadLine();
            qemu.BeginErrorReadLine();
            bool exited = qemu.WaitForExit(timeoutSeconds * 1000);
            if (!exited)
            {
                qemu.Kill(entireProcessTree: true);
            }

            // The parameterless wait also drains the redirected output.
            qemu.WaitForExit();
            lock (lines)
            {
                return new TimedBoot(exited ? qemu.ExitCode : -1, !exited, lines.ToArray());
            }
        }

        private static void Add(List<ConsoleLine> lines, Stopwatch clock, string? text, string prefix)
        {
            if (text == null)
            {
                return;
            }

            double seconds = clock.Elapsed.TotalSeconds;
            lock (lines)
            {
                lines.Add(new ConsoleLine(seconds, prefix + text.Replace("\r", string.Empty)));
            }
        }
    }
}
