// What the runner needs from a way of running VMs: start one from its VmSpec and hand back its
// console lines and its end as timed events. A backend that cannot work on this host says why by
// name (Unavailable) instead of failing somewhere inside, so the report reads e.g. "Hyper-V
// backend needs Windows" rather than a process error.
using System;
using System.Threading.Channels;
using Bootstage.VmTest.Matrix;

namespace Bootstage.VmTest.Backends
{
    /// <summary>Something that happened to a running VM, timed since the VM's start.</summary>
    public abstract record VmEvent(TimeSpan At);

    /// <summary>One line from the VM's serial console (COM1).</summary>
    public sealed record ConsoleLine(string Text, TimeSpan At) : VmEvent(At);

    /// <summary>The VM (or the process running it) has ended; the last event of a session.</summary>
    public sealed record VmExited(int? ExitCode, TimeSpan At) : VmEvent(At);

    public sealed class BackendException : Exception
    {
        public BackendException(string message)
            : base(message)
        {
        }
    }

    public interface IVmSession : IDisposable
    {
        /// <summary>Console lines in order, then exactly one VmExited, then completion.</summary>
        ChannelReader<VmEvent> Events { get; }

        /// <summary>Time since the VM was started, on the same clock as the events.</summary>
        TimeSpan Elapsed { get; }

        /// <summary>Ends the VM now; its VmExited event follows. Safe to call more than once.</summary>
        void Stop();
    }

    public interface IVmBackend
    {
        string Name { get; }

        /// <summary>Why this backend cannot run VMs on this host, or null when it can.</summary>
        string? Unavailable { get; }

        /// <summary>Starts the VM; throws BackendException when it cannot be started.</summary>
        IVmSession Start(VmSpec spec);
    }
}
