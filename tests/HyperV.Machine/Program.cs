// `./build.sh hyperv [--profile NAME] [-- kernel command line words]`: boots out/bootstage.bin in
// the emulated Hyper-V machine with COM1 on stdout and the image's exit code (isa-debug-exit) as
// the process's status. The synthetic NIC reaches libslirp, so a root-path on the host's loopback
// is 10.0.2.2 to the image. Exit status 124 when the deadline passes, 125 for a machine fault.
// --profile-top N prints the N functions of the image that executed the most instructions.
using System;
using System.IO;
using Bootstage.HyperV.HostModel;
using Bootstage.Net.Slirp;

namespace Bootstage.HyperV.Machine
{
    public static class Program
    {
        public static int Main(string[] args)
        {
            HostProfile profile = HostProfile.WS2016;
            string outDirectory = "out";
            int seconds = 120;
            string commandLine = "console=serial";
            int profileTop = 0;
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--profile" when i + 1 < args.Length:
                        if (!Enum.TryParse(args[++i], ignoreCase: true, out profile))
                        {
                            Console.Error.WriteLine($"hyperv: unknown profile {args[i]}; one of {string.Join(", ", Enum.GetNames<HostProfile>())}");
                            return 2;
                        }

                        break;
                    case "--out" when i + 1 < args.Length:
                        outDirectory = args[++i];
                        break;
                    case "--profile-top" when i + 1 < args.Length:
                        profileTop = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
                        break;
                    case "--timeout" when i + 1 < args.Length:
                        seconds = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
                        break;
                    case "--":
                        commandLine = string.Join(' ', args, i + 1, args.Length - i - 1);
                        i = args.Length;
                        break;
                    default:
                        Console.Error.WriteLine("usage: HyperV.Machine [--profile NAME] [--out DIR] [--timeout SECONDS] [--profile-top N] [-- kernel command line words]");
                        return 2;
                }
            }

            using Stream stdout = Console.OpenStandardOutput();
            using SlirpNetwork network = new SlirpNetwork();
            MachineOptions options = MachineOptions.FromOutDirectory(outDirectory, commandLine, profile);
            using HyperVMachine machine = new HyperVMachine(new MachineOptions
            {
                ImagePath = options.ImagePath,
                ElfPath = options.ElfPath,
                CommandLine = commandLine,
                Profile = profile,
                Network = network,
                ProfileInstructions = profileTop > 0,
                SerialEcho = b =>
                {
                    stdout.WriteByte(b);
                    if (b == (byte)'\n')
                    {
                        stdout.Flush();
                    }
                },
            });
            MachineResult result = machine.Run(TimeSpan.FromSeconds(seconds));
            stdout.Flush();
            if (machine.Profile is InstructionProfile counts)
            {
                long total = counts.TotalInstructions;
                Console.Error.WriteLine($"hyperv: {total} instructions executed in the image; the top {profileTop} functions:");
                foreach ((string function, long instructions) in counts.Top(machine.Symbols, profileTop))
                {
                    Console.Error.WriteLine($"{instructions,14} {100.0 * instructions / Math.Max(1, total),6:F2}%  {function}");
                }
            }

            Console.Error.WriteLine($"hyperv: {profile}: stopped ({result.StopReason}) after {result.Elapsed.TotalSeconds:F2} s");
            return result.StopReason switch
            {
                "exit" => result.ExitCode ?? 0,
                "deadline" => 124,
                _ => 125,
            };
        }
    }
}
