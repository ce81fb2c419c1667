// Boots a VM in QEMU the way the image tests do (tests/Image.Tests/Qemu.cs): TCG, the pc machine,
// serial on stdio, no reboot, and isa-debug-exit so the image's exit code ends QEMU with status
// 2*code+1. A Multiboot image gets the command line through -append; an ISO boots through SeaBIOS
// and its own ISOLINUX configuration. The network is QEMU's user network (slirp), so the host's
// 127.0.0.1 is 10.0.2.2 to the guest; a boot script is served by slirp's TFTP server.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Bootstage.VmTest.Matrix;

namespace Bootstage.VmTest.Backends
{
    public sealed class QemuBackend : IVmBackend
    {
        public const string Executable = "qemu-system-x86_64";

        /// <summary>The address of the host (and its TFTP server) on QEMU's user network.</summary>
        public const string HostAddress = "10.0.2.2";

        public string Name => "qemu";

        public string? Unavailable => FindOnPath(Executable) == null
            ? $"QEMU backend needs {Executable} on PATH (Debian: apt-get install qemu-system-x86)"
            : null;

        public IVmSession Start(VmSpec spec) => VmProcess.Start(Executable, Arguments(spec), "[qemu] ");

        /// <summary>QEMU's arguments for the VM, one list entry per argument (no shell quoting).</summary>
        public static IReadOnlyList<string> Arguments(VmSpec spec)
        {
            // TCG: this machine's KVM cannot run the real-mode code of a SAN boot.
            List<string> arguments = new List<string>
            {
                "-machine", "pc", "-accel", "tcg", "-cpu", "qemu64", "-m", spec.MemoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            };

            if (spec.ImageIsIso)
            {
                arguments.AddRange(new[] { "-cdrom", spec.Image, "-boot", "d" });
            }
            else
            {
                arguments.AddRange(new[] { "-kernel", spec.Image, "-append", CommandLine(spec) });
            }

            if (spec.Nic == "none")
            {
                arguments.AddRange(new[] { "-nic", "none" });
            }
            else
            {
                string netdev = "user,id=n0";
                if (spec.Script != null)
                {
                    string folder = Path.GetDirectoryName(spec.Script)!;
                    if (folder.Contains(','))
                    {
                        // QEMU's option syntax splits on commas; ",," would escape it, but a path
                        // like that is more likely a mistake than a wish.
                        throw new BackendException($"the script's folder {folder} contains a comma, which QEMU's -netdev cannot take");
                    }

                    netdev += ",tftp=" + folder;
                }

                string device = spec.Nic == "virtio-net" ? "virtio-net-pci" : spec.Nic;
                arguments.AddRange(new[] { "-netdev", netdev, "-device", device + ",netdev=n0" });
            }

            arguments.AddRange(spec.ExtraArguments);
            return arguments;
        }

        /// <summary>The kernel command line: the matrix's words, root-path, and script= as a TFTP URL.</summary>
        public static string CommandLine(VmSpec spec)
        {
            string line = spec.FullCommandLine;
            if (spec.Script != null)
            {
                line += $" script=tftp://{HostAddress}/{Path.GetFileName(spec.Script)}";
            }

            return line.Trim();
        }

        private static string? FindOnPath(string name)
        {
            string path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
            return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(folder => Path.Combine(folder, name))
                .FirstOrDefault(File.Exists);
        }
    }
}
