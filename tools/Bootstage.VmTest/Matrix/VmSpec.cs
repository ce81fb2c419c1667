// The test matrix as the runner uses it, after parsing and validation (MatrixParser): which VMs to
// boot, how, and what their serial consoles must show. Paths are absolute by now; deadlines are
// seconds since the VM started, so they can be compared with the timings in the reports directly.
using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace Bootstage.VmTest.Matrix
{
    /// <summary>A milestone the VM must print: `@milestone name=Name ...`, with the rest of the line
    /// matching <see cref="Match"/> when given, no later than <see cref="Deadline"/> after start.</summary>
    public sealed record MilestoneSpec(string Name, Regex? Match, TimeSpan Deadline)
    {
        public override string ToString() => Match == null ? Name : $"{Name} ~ /{Match}/";
    }

    public enum Expectation
    {
        /// <summary>Every listed milestone, in order, and no milestone with status=failed.</summary>
        Pass,

        /// <summary>The listed milestones in order, then the named failure milestone.</summary>
        Fail,
    }

    public sealed record VmSpec
    {
        public required string Id { get; init; }

        /// <summary>qemu, hyperv or hyperv-emulated (see BackendFactory).</summary>
        public required string Backend { get; init; }

        /// <summary>Absolute path of the Multiboot image or the ISO.</summary>
        public required string Image { get; init; }

        public bool ImageIsIso => Image.EndsWith(".iso", StringComparison.OrdinalIgnoreCase);

        public required string Nic { get; init; }

        /// <summary>The kernel command line without root-path and script (those are added by the backend).</summary>
        public required string CommandLine { get; init; }

        public string? RootPath { get; init; }

        /// <summary>Absolute path of a boot script served to the VM, or null.</summary>
        public string? Script { get; init; }

        public int MemoryMiB { get; init; } = 256;

        /// <summary>Hyper-V: the virtual switch of the synthetic NIC.</summary>
        public string? Switch { get; init; }

        /// <summary>QEMU: arguments added as they are (e.g. -smbios type=1,uuid=...).</summary>
        public IReadOnlyList<string> ExtraArguments { get; init; } = Array.Empty<string>();

        public required IReadOnlyList<MilestoneSpec> Milestones { get; init; }

        public Expectation Expect { get; init; } = Expectation.Pass;

        /// <summary>With <see cref="Expectation.Fail"/>: the milestone that must report the failure.</summary>
        public MilestoneSpec? Failure { get; init; }

        /// <summary>The full command line the image gets: the configured words, then root-path.</summary>
        public string FullCommandLine =>
            RootPath == null ? CommandLine : (CommandLine + " root-path=" + RootPath).Trim();
    }

    public sealed record TestMatrix(string Path, IReadOnlyList<VmSpec> Vms);
}
