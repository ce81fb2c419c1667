// Runs the boot stage image in QEMU with TCG (this machine's KVM cannot run real-mode code),
// serial on stdout, and QEMU's isa-debug-exit device so the kernel's exit code becomes QEMU's
// status ((code << 1) | 1). Every run has a deadline; a hung guest is killed and reported.
// TCG guests are CPU-bound: xunit runs the test classes side by side, and on a small machine more
// guests than cores starve each other (and whatever else is running) until their deadlines pass.
// So at most GuestSlots guests run at once in this process; a test waits for a slot before its
// guest starts, and its deadline counts from then. Tests that boot no guest are not held up.
using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;

namespace Bootstage.Image.Tests
{
    public sealed record QemuResult(int ExitCode, string Serial, bool TimedOut)
    {
        public override string ToString() => $"exit={ExitCode} timedOut={TimedOut}\n{Serial}";
    }

    public static class Qemu
    {
        /// <summary>How many QEMU guests may run at once: half the cores, but at least two.</summary>
        public static readonly int GuestSlots = Math.Max(2, Environment.ProcessorCount / 2);

        private static readonly SemaphoreSlim Slots = new SemaphoreSlim(GuestSlots, GuestSlots);

        public static string RepositoryRoot
        {
            get
            {
                string? directory = AppContext.BaseDirectory;
                while (directory != null && !File.Exists(Path.Combine(directory, "Cosmos.sln")))
                {
                    directory = Path.GetDirectoryName(directory);
                }

                return directory ?? throw new InvalidOperationException("Cosmos.sln not found above " + AppContext.BaseDirectory);
            }
        }

        public static string OutFile(string name)
        {
            string path = Path.Combine(RepositoryRoot, "out", name);
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"{path} is missing: build the images with ./build.sh image");
            }

            return path;
        }

        /// <summary>
        /// Boots a multiboot image with -kernel and an optional -append command line;
        /// <paramref name="extraArguments"/> adds QEMU options (devices, networks).
        /// </summary>
        public static QemuResult BootKernel(string append, int timeoutSeconds = 120, string extraArguments = "")
        {
            string extra = extraArguments.Length > 0 ? " " + extraArguments : string.Empty;
            return Run($"-kernel \"{OutFile("bootstage.bin")}\" -append \"{append}\"" + extra, timeoutSeconds);
        }

        /// <summary>Boots another kernel (Debian's ipxe.lkrn, for comparisons) the same way.</summary>
        public static QemuResult BootOtherKernel(string kernel, string append, int timeoutSeconds = 120, string extraArguments = "")
        {
            string extra = extraArguments.Length > 0 ? " " + extraArguments : string.Empty;
            return Run($"-kernel \"{kernel}\" -append \"{append}\"" + extra, timeoutSeconds);
        }

        /// <summary>Boots the El Torito ISO through SeaBIOS, ISOLINUX and mboot.c32.</summary>
        public static QemuResult BootIso(int timeoutSeconds = 120)
        {
            return Run($"-cdrom \"{OutFile("bootstage.iso")}\" -boot d", timeoutSeconds);
        }

        /// <summary>
        /// Network boot through the virtio-net option ROM (QEMU's iPXE build acting as a PXE ROM):
        /// slirp's DHCP names <paramref name="bootFile"/>, its TFTP server serves <paramref name="tftpDirectory"/>.
        /// </summary>
        public static QemuResult BootPxe(string tftpDirectory, string bootFile, int timeoutSeconds = 120)
        {
            return Run($"-boot n -netdev user,id=n0,tftp=\"{tftpDirectory}\",bootfile={bootFile} -device virtio-net-pci,netdev=n0", timeoutSeconds);
        }

        private static QemuResult Run(string bootArguments, int timeoutSeconds)
        {
            Slots.Wait();
            try
            {
                return RunGuest(bootArguments, timeoutSeconds);
            }
            finally
            {
                Slots.Release();
            }
        }

        private static QemuResult RunGuest(string bootArguments, int timeoutSeconds)
        {
            ProcessStartInfo start = new ProcessStartInfo("qemu-system-x86_64",
                "-machine pc -accel tcg -cpu qemu64 -m 256 -display none -serial stdio -monitor none -no-reboot "
                + "-device isa-debug-exit,iobase=0xf4,iosize=0x04 " + bootArguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };

            using Process process = Process.Start(start) ?? throw new InvalidOperationException("qemu-system-x86_64 did not start");
            StringBuilder serial = new StringBuilder();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data != null)
                {
                    lock (serial)
                    {
                        serial.Append(e.Data.Replace("\r", string.Empty)).Append('\n');
                    }
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data != null)
                {
                    lock (serial)
                    {
                        serial.Append("[qemu] ").Append(e.Data).Append('\n');
                    }
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            bool exited = process.WaitForExit(timeoutSeconds * 1000);
            if (!exited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.WaitForExit();
            lock (serial)
            {
                return new QemuResult(exited ? process.ExitCode : -1, serial.ToString(), !exited);
            }
        }
    }
}
