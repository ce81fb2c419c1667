// What a machine is made of: the image, its command line, the host profile, RAM, and optionally
// the network its synthetic NIC reaches (docs/hyperv-machine.md). And what a run gives back.
using System;
using System.Globalization;
using System.IO;
using Bootstage.HyperV.HostModel;
using Bootstage.Net.Slirp;

namespace Bootstage.HyperV.Machine
{
    public sealed class MachineOptions
    {
        /// <summary>The flat Multiboot image (out/bootstage.bin).</summary>
        public string ImagePath { get; init; } = "";

        /// <summary>The ELF the image was made from (out/native/bootstage.elf): its symbols locate the intercepts.</summary>
        public string ElfPath { get; init; } = "";

        public string CommandLine { get; init; } = "console=serial";

        public HostProfile Profile { get; init; } = HostProfile.WS2016;

        /// <summary>Replaces the default host options (whose TIME_REF_COUNT is real time).</summary>
        public HostOptions? HostOptions { get; init; }

        /// <summary>256 MiB, as the QEMU tests give the image (it is linked at 128 MiB).</summary>
        public ulong RamBytes { get; init; } = 256UL << 20;

        /// <summary>The top of RAM kept out of the image's memory map, for guest code that is not ours.</summary>
        public ulong ReservedTailBytes { get; init; } = 1UL << 20;

        /// <summary>With a port, the host offers one netvsc NIC bridged to it.</summary>
        public IFramePort? Network { get; init; }

        public byte[] MacAddress { get; init; } = { 0x00, 0x15, 0x5D, 0x00, 0x12, 0x34 };

        public Guid NicInstance { get; init; } = new Guid("5e2c9a41-7d3b-4f06-9a1e-0c8b7d6f4a21");

        /// <summary>Count every instruction executed in the image, by address (HyperVMachine.Profile); slow.</summary>
        public bool ProfileInstructions { get; init; }

        /// <summary>Each COM1 byte as it leaves (the console of `./build.sh hyperv`).</summary>
        public Action<byte>? SerialEcho { get; init; }

        /// <summary>The image and ELF of a repository checkout's out/ folder.</summary>
        public static MachineOptions FromOutDirectory(string outDirectory, string commandLine, HostProfile profile) => new MachineOptions
        {
            ImagePath = Path.Combine(outDirectory, "bootstage.bin"),
            ElfPath = Path.Combine(outDirectory, "native", "bootstage.elf"),
            CommandLine = commandLine,
            Profile = profile,
        };
    }

    /// <summary>How a run ended: the image's exit code (isa-debug-exit) if it wrote one, its serial output, and why it stopped.</summary>
    public sealed record MachineResult(int? ExitCode, string Serial, string? StopReason, TimeSpan Elapsed)
    {
        public bool Exited => StopReason == "exit";

        /// <summary>The first `@milestone name=NAME ...` line, or null.</summary>
        public string? Milestone(string name)
        {
            foreach (string line in Serial.Split('\n'))
            {
                int at = line.IndexOf("@milestone name=" + name, StringComparison.Ordinal);
                if (at >= 0)
                {
                    string rest = line.Substring(at + 16 + name.Length);
                    if (rest.Length == 0 || rest[0] == ' ' || rest[0] == '\r')
                    {
                        return line.Substring(at).TrimEnd('\r');
                    }
                }
            }

            return null;
        }

        /// <summary>The value of key=value in a line, or null.</summary>
        public static string? Field(string? line, string key)
        {
            if (line == null)
            {
                return null;
            }

            foreach (string word in line.Split(' '))
            {
                if (word.StartsWith(key + "=", StringComparison.Ordinal))
                {
                    return word.Substring(key.Length + 1);
                }
            }

            return null;
        }

        public static long? Number(string? line, string key)
        {
            string? text = Field(line, key);
            if (text == null)
            {
                return null;
            }

            return text.StartsWith("0x", StringComparison.Ordinal)
                ? long.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
                : long.Parse(text, CultureInfo.InvariantCulture);
        }

        public override string ToString() => $"exit={ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none"} stop={StopReason} elapsed={Elapsed.TotalSeconds:F2}s\n{Serial}";
    }
}
