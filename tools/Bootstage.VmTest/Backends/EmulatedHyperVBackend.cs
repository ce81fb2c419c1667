// Runs the image in the emulated Hyper-V Generation 1 machine (tests/HyperV.Machine: the real image
// on a CPU emulator whose hypervisor is the team's Hyper-V host model, its synthetic NIC on
// libslirp, so the host's 127.0.0.1 is 10.0.2.2 as under QEMU). The machine is a .NET program with
// COM1 on stdout, started as `dotnet HyperV.Machine.dll --out <folder> --timeout <s> -- <words>`;
// it loads bootstage.bin and native/bootstage.elf from that folder, so the image must be an out/
// folder of ./build.sh image. Where the machine has not been built, the backend says so by name.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Bootstage.VmTest.Matrix;

namespace Bootstage.VmTest.Backends
{
    public sealed class EmulatedHyperVBackend : IVmBackend
    {
        public const string NotAvailable = "emulated Hyper-V machine backend (hyperv-emulated) is not available";

        /// <summary>Names the machine's HyperV.Machine.dll when it is not in the repository's build output.</summary>
        public const string MachineVariable = "BOOTSTAGE_HYPERV_MACHINE";

        private const string MachineBuildPath = "tests/HyperV.Machine/bin/Release/net10.0/HyperV.Machine.dll";

        private readonly string? _machine;

        public EmulatedHyperVBackend()
            : this(FindMachine())
        {
        }

        public EmulatedHyperVBackend(string? machinePath)
        {
            _machine = machinePath;
        }

        public string Name => "hyperv-emulated";

        public string? Unavailable => _machine != null && File.Exists(_machine)
            ? null
            : $"{NotAvailable}: build it with `dotnet build tests/HyperV.Machine -c Release`, or set {MachineVariable} to its HyperV.Machine.dll";

        public IVmSession Start(VmSpec spec)
        {
            if (Unavailable != null)
            {
                throw new BackendException(Unavailable);
            }

            return VmProcess.Start("dotnet", Arguments(spec, _machine!), "[machine] ");
        }

        /// <summary>dotnet's arguments: the machine, its options (extraArgs such as --profile WS2019 go
        /// before the command line), then the kernel command line word by word.</summary>
        public static IReadOnlyList<string> Arguments(VmSpec spec, string machine)
        {
            if (!string.Equals(Path.GetFileName(spec.Image), "bootstage.bin", StringComparison.Ordinal))
            {
                throw new BackendException($"the emulated machine loads bootstage.bin and native/bootstage.elf from an out/ folder of ./build.sh image, not {spec.Image}");
            }

            // The machine's own deadline is a backstop behind the runner's, so it never outlives a lost runner for long.
            TimeSpan last = spec.Failure?.Deadline ?? spec.Milestones.Select(m => m.Deadline).DefaultIfEmpty(TimeSpan.Zero).Max();
            List<string> arguments = new List<string>
            {
                machine, "--out", Path.GetDirectoryName(spec.Image)!,
                "--timeout", ((int)Math.Ceiling((last + HyperVBackend.ScriptGrace).TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            };
            arguments.AddRange(spec.ExtraArguments);
            arguments.Add("--");
            arguments.AddRange(spec.FullCommandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            return arguments;
        }

        private static string? FindMachine()
        {
            string? named = Environment.GetEnvironmentVariable(MachineVariable);
            if (!string.IsNullOrEmpty(named))
            {
                return named;
            }

            // The tool runs from the repository's build output or from its root: look above both.
            foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            {
                for (string? folder = start; folder != null; folder = Path.GetDirectoryName(folder))
                {
                    if (File.Exists(Path.Combine(folder, "Cosmos.sln")))
                    {
                        return Path.Combine(folder, MachineBuildPath);
                    }
                }
            }

            return null;
        }
    }
}
