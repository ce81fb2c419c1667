// The outcome of one VM of the matrix, as the reporters (JUnit, JSON, HTML) and the exit status
// see it. Passed includes a VM that was expected to fail and failed where the matrix said.
using System;
using System.Collections.Generic;
using Bootstage.VmTest.Following;

namespace Bootstage.VmTest.Running
{
    public sealed record VmResult
    {
        public required string Id { get; init; }

        public required string Backend { get; init; }

        public required bool Passed { get; init; }

        /// <summary>The matrix said this VM must fail at a named milestone.</summary>
        public required bool ExpectedFailure { get; init; }

        /// <summary>Why it failed, naming the milestone it was waiting for; null when Passed.</summary>
        public string? FailureMessage { get; init; }

        /// <summary>From VM start to the verdict (not to the end of the process, which is killed then).</summary>
        public required TimeSpan Duration { get; init; }

        /// <summary>The process's exit status: QEMU's is 2*code+1 when the image exits itself; a VM
        /// stopped by the runner has whatever status the kill gave it.</summary>
        public int? ExitCode { get; init; }

        public required IReadOnlyList<MilestoneTiming> Timings { get; init; }

        public required IReadOnlyList<string> LastLines { get; init; }

        /// <summary>The whole console as read (capped, see VmRunner.MaxSerialChars).</summary>
        public required string Serial { get; init; }
    }
}
