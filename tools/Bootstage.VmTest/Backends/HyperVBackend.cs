// Runs a VM on the local Hyper-V through HyperV/Start-BootstageVm.ps1 (docs/hyperv-recipe.md):
// the script creates a Generation 1 VM, boots the ISO (or PXE through a legacy NIC), points COM1 at
// a named pipe and copies the pipe's lines to its standard output, which is the console this
// backend follows. Hyper-V only exists on Windows; elsewhere the backend says so by name. A VM
// outlives a killed PowerShell, so Stop runs the script once more with -Remove to turn it off.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Bootstage.VmTest.Matrix;

namespace Bootstage.VmTest.Backends
{
    public sealed class HyperVBackend : IVmBackend
    {
        public const string NeedsWindows = "Hyper-V backend needs Windows";
        public const string DefaultSwitch = "Default Switch";

        /// <summary>Slack the script adds to the last deadline before it gives up on its own, so a VM
        /// is removed even when the runner itself dies.</summary>
        public static readonly TimeSpan ScriptGrace = TimeSpan.FromSeconds(60);

        private readonly bool _onWindows;

        public HyperVBackend()
            : this(OperatingSystem.IsWindows())
        {
        }

        /// <summary>For tests: pretend to be on Windows or not.</summary>
        public HyperVBackend(bool onWindows)
        {
            _onWindows = onWindows;
        }

        public string Name => "hyperv";

        public static string ScriptPath => Path.Combine(AppContext.BaseDirectory, "HyperV", "Start-BootstageVm.ps1");

        public string? Unavailable => _onWindows
            ? (File.Exists(ScriptPath) ? null : $"Hyper-V backend: {ScriptPath} is missing")
            : $"{NeedsWindows} (this host is {Environment.OSVersion.Platform}); run the matrix on a Windows host with Hyper-V";

        public IVmSession Start(VmSpec spec)
        {
            if (Unavailable != null)
            {
                throw new BackendException(Unavailable);
            }

            string shell = Shell();
            string name = VmName(spec);
            return VmProcess.Start(shell, Arguments(spec, ScriptPath), "[hyperv] ", () => Remove(shell, name));
        }

        /// <summary>The Hyper-V VM's name: recognisable in Hyper-V Manager, and unique per matrix entry.</summary>
        public static string VmName(VmSpec spec) => "bootstage-vmtest-" + spec.Id;

        /// <summary>PowerShell's arguments for starting the VM (PowerShell 7's pwsh and Windows
        /// PowerShell 5.1 take the same ones).</summary>
        public static IReadOnlyList<string> Arguments(VmSpec spec, string scriptPath)
        {
            TimeSpan last = spec.Failure?.Deadline ?? spec.Milestones.Select(m => m.Deadline).DefaultIfEmpty(TimeSpan.Zero).Max();
            List<string> arguments = new List<string>
            {
                "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", scriptPath,
                "-Name", VmName(spec),
                "-SwitchName", spec.Switch ?? DefaultSwitch,
                "-MemoryMiB", spec.MemoryMiB.ToString(CultureInfo.InvariantCulture),
                "-TimeoutSeconds", ((int)Math.Ceiling((last + ScriptGrace).TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            };

            if (spec.Nic == "legacy-pxe")
            {
                arguments.Add("-Pxe");
            }

            if (spec.Image.Length > 0)
            {
                arguments.AddRange(new[] { "-IsoPath", spec.Image });
            }

            return arguments;
        }

        private static string Shell()
        {
            // PowerShell 7 when installed, else the Windows PowerShell every Windows has.
            string path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
            bool hasPwsh = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Any(folder => File.Exists(Path.Combine(folder, "pwsh.exe")));
            return hasPwsh ? "pwsh.exe" : "powershell.exe";
        }

        private static void Remove(string shell, string name)
        {
            try
            {
                using VmProcess cleanup = VmProcess.Start(shell, new[]
                {
                    "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", ScriptPath, "-Name", name, "-Remove",
                }, "[hyperv] ");
                while (cleanup.Events.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    cleanup.Events.TryRead(out _);
                }
            }
            catch (BackendException)
            {
                // Nothing more can be done from here; the next run removes a VM left behind.
            }
        }
    }
}
