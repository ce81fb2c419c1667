// A scripted stand-in for a VM backend: each started VM becomes a FakeSession the test reads from
// Started and drives line by line, so runner tests decide exactly when a VM prints, exits or
// hangs, and can check whether the runner stopped it.
using System;
using System.Diagnostics;
using System.Threading.Channels;
using Bootstage.VmTest.Backends;
using Bootstage.VmTest.Matrix;

namespace Bootstage.VmTest.Tests
{
    public sealed class FakeBackend : IVmBackend, IBackendFactory
    {
        private readonly Channel<FakeSession> _started = Channel.CreateUnbounded<FakeSession>();

        public string Name => "qemu";

        public string? Unavailable { get; set; }

        /// <summary>When set, Start throws this instead of starting a VM.</summary>
        public BackendException? StartError { get; set; }

        /// <summary>Every session in the order the runner started them.</summary>
        public ChannelReader<FakeSession> Started => _started.Reader;

        public IVmBackend Get(string name) => this;

        public IVmSession Start(VmSpec spec)
        {
            if (StartError != null)
            {
                throw StartError;
            }

            FakeSession session = new FakeSession(spec);
            _started.Writer.TryWrite(session);
            return session;
        }
    }

    public sealed class FakeSession : IVmSession
    {
        /// <summary>The status a killed process reports on Linux (128 + SIGKILL).</summary>
        public const int KilledStatus = 137;

        private readonly Channel<VmEvent> _events = Channel.CreateUnbounded<VmEvent>();
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public FakeSession(VmSpec spec)
        {
            Spec = spec;
        }

        public VmSpec Spec { get; }

        public bool Stopped { get; private set; }

        public bool Disposed { get; private set; }

        public ChannelReader<VmEvent> Events => _events.Reader;

        public TimeSpan Elapsed => _clock.Elapsed;

        public FakeSession Print(string line)
        {
            _events.Writer.TryWrite(new ConsoleLine(line, _clock.Elapsed));
            return this;
        }

        public void Exit(int code)
        {
            if (_events.Writer.TryWrite(new VmExited(code, _clock.Elapsed)))
            {
                _events.Writer.TryComplete();
            }
        }

        public void Stop()
        {
            Stopped = true;
            Print("[fake] stopped");
            Exit(KilledStatus);
        }

        public void Dispose()
        {
            Disposed = true;
        }
    }
}
