// A VM that is a child process whose standard output is the VM's serial console (QEMU with
// -serial stdio, the Hyper-V PowerShell script relaying COM1's named pipe). Lines are timed when
// they are read, not when the runner gets round to them, so a busy runner does not shift the
// milestone timings. Standard input is redirected and held open: QEMU's stdio serial would
// otherwise switch the runner's terminal to raw mode and read the operator's keys.
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Bootstage.VmTest.Backends
{
    public sealed class VmProcess : IVmSession
    {
        private readonly Process _process;
        private readonly Stopwatch _clock = new Stopwatch();
        private readonly Channel<VmEvent> _events = Channel.CreateUnbounded<VmEvent>(new UnboundedChannelOptions { SingleReader = true });
        private readonly Action? _afterStop;
        private readonly object _gate = new object();
        private bool _stopped;

        private VmProcess(Process process, Action? afterStop)
        {
            _process = process;
            _afterStop = afterStop;
        }

        public ChannelReader<VmEvent> Events => _events.Reader;

        public TimeSpan Elapsed => _clock.Elapsed;

        /// <summary>Starts <paramref name="fileName"/>; stderr lines join the console with
        /// <paramref name="stderrPrefix"/> in front, so a backend's own complaints show up in the
        /// failure report. <paramref name="afterStop"/> runs after Stop killed the process (for VMs
        /// that outlive it, as a Hyper-V VM outlives its PowerShell).</summary>
        public static VmProcess Start(string fileName, IEnumerable<string> arguments, string stderrPrefix, Action? afterStop = null)
        {
            ProcessStartInfo start = new ProcessStartInfo(fileName)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            Process process = new Process { StartInfo = start };
            VmProcess vm = new VmProcess(process, afterStop);
            vm._clock.Start();
            try
            {
                process.Start();
            }
            catch (Win32Exception e)
            {
                process.Dispose();
                throw new BackendException($"could not start {fileName}: {e.Message}");
            }

            Task output = vm.PumpAsync(process.StandardOutput, string.Empty);
            Task error = vm.PumpAsync(process.StandardError, stderrPrefix);
            _ = vm.ReportExitAsync(output, error);
            return vm;
        }

        public void Stop()
        {
            lock (_gate)
            {
                if (_stopped)
                {
                    return;
                }

                _stopped = true;
            }

            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It had already exited.
            }

            _afterStop?.Invoke();
        }

        public void Dispose()
        {
            Stop();
            _process.Dispose();
        }

        private async Task PumpAsync(StreamReader reader, string prefix)
        {
            string? line;
            while ((line = await reader.ReadLineAsync().ConfigureAwait(false)) != null)
            {
                _events.Writer.TryWrite(new ConsoleLine(prefix + line, _clock.Elapsed));
            }
        }

        private async Task ReportExitAsync(Task output, Task error)
        {
            // Both pipes close when the process (and any child holding them) is gone; only then is
            // every console line in the channel ahead of the exit.
            await Task.WhenAll(output, error).ConfigureAwait(false);
            await _process.WaitForExitAsync().ConfigureAwait(false);
            TimeSpan at = _clock.Elapsed;
            int? code;
            try
            {
                code = _process.ExitCode;
            }
            catch (InvalidOperationException)
            {
                code = null;
            }

            _events.Writer.TryWrite(new VmExited(code, at));
            _events.Writer.TryComplete();
        }
    }
}
