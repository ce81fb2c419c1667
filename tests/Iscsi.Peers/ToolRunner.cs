// Runs one of the peer tools (tgtadm, tgt-admin, the libiscsi binaries) as a child process with a
// deadline, capturing stdout and stderr. A tool that outlives its deadline is killed, optionally after
// SIGINTs that give it a chance to wind down and print what it has: iscsi-perf, for one, can overrun
// its -t and never return by itself, but on SIGINT it drains and prints its average. The caller can
// also ask for that interrupt before the deadline (a cancellation token), and can watch stdout as it
// arrives, so a run can be ended when something has happened rather than when a clock says so.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Bootstage.Iscsi.Peers
{
    /// <summary>What a finished tool run produced.</summary>
    public sealed class ToolResult
    {
        public ToolResult(string commandLine, int exitCode, string standardOutput, string standardError, bool timedOut, bool interrupted = false)
        {
            Interrupted = interrupted;
            CommandLine = commandLine;
            ExitCode = exitCode;
            StandardOutput = standardOutput;
            StandardError = standardError;
            TimedOut = timedOut;
        }

        /// <summary>The command as a shell would show it, for messages.</summary>
        public string CommandLine { get; }

        /// <summary>The exit code; -1 when the run was killed at its deadline.</summary>
        public int ExitCode { get; }

        public string StandardOutput { get; }

        public string StandardError { get; }

        /// <summary>Killed at its deadline (after any SIGINTs failed to end it).</summary>
        public bool TimedOut { get; }

        /// <summary>Sent SIGINT at its deadline or on request; it may then have ended by itself.</summary>
        public bool Interrupted { get; }

        public bool Succeeded => ExitCode == 0 && !TimedOut;

        /// <summary>One line for exception messages: the command, how it ended, and its stderr.</summary>
        public string Describe()
        {
            string ending = TimedOut ? "timed out and was killed" : (Interrupted ? "was interrupted at its deadline and " : "") + "exited with " + ExitCode;
            string stderr = StandardError.Trim();
            string stdout = StandardOutput.Trim();
            StringBuilder text = new StringBuilder();
            text.Append('`').Append(CommandLine).Append("` ").Append(ending);
            text.Append("; stderr: ").Append(stderr.Length == 0 ? "(empty)" : stderr);
            if (stdout.Length > 0)
            {
                text.Append("; stdout: ").Append(stdout.Length > 2000 ? stdout.Substring(stdout.Length - 2000) : stdout);
            }

            return text.ToString();
        }
    }

    /// <summary>A tool run that failed, carrying its <see cref="ToolResult"/>.</summary>
    public sealed class ToolFailedException : Exception
    {
        public ToolFailedException(ToolResult result)
            : base(result.Describe())
        {
            Result = result;
        }

        public ToolResult Result { get; }
    }

    /// <summary>Starts tools without a shell, so arguments need no quoting.</summary>
    public static class ToolRunner
    {
        private const int SigInt = 2;

        public static ToolResult Run(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout)
        {
            return Run(fileName, arguments, timeout, null);
        }

        /// <summary>
        /// Runs the tool. At <paramref name="timeout"/>, or as soon as <paramref name="interrupt"/> is
        /// cancelled, if <paramref name="interruptGrace"/> is given, it gets a SIGINT, and another after
        /// that grace, and is killed only if it is still running a grace later; otherwise it is killed
        /// at once. <paramref name="onOutput"/>, if given, is called with all of stdout so far each time
        /// more arrives (on a reader thread; never after this method returns).
        /// </summary>
        public static ToolResult Run(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, TimeSpan? interruptGrace, CancellationToken interrupt = default, Action<string>? onOutput = null)
        {
            ProcessStartInfo info = new ProcessStartInfo(fileName)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (string argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            string commandLine = Quote(fileName, arguments);
            using Process process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + commandLine);
            // No tool here reads stdin; closing it makes any that tries see end-of-file, not a hang.
            process.StandardInput.Close();
            Task<string> stdout = onOutput == null ? process.StandardOutput.ReadToEndAsync() : Watch(process.StandardOutput, onOutput);
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            bool exited = WaitForExit(process, timeout, interrupt);
            bool interrupted = false;
            for (int i = 0; !exited && interruptGrace != null && i < 2; i++)
            {
                // .NET reaps children on its own, so the pid is only known to be this tool's while
                // HasExited says no; the window between the check and the signal is microseconds.
                if (process.HasExited)
                {
                    exited = true;
                    break;
                }

                interrupted = true;
                Kill(process.Id, SigInt);
                exited = process.WaitForExit((int)interruptGrace.Value.TotalMilliseconds);
            }

            if (!exited)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited between the deadline and the kill.
                }
            }

            // The parameterless wait also waits for the redirected streams to reach end-of-file.
            process.WaitForExit();
            return new ToolResult(commandLine, exited ? process.ExitCode : -1, stdout.Result, stderr.Result, !exited, interrupted);
        }

        // Waits for the exit until the timeout, or until the token is cancelled; true if it exited.
        private static bool WaitForExit(Process process, TimeSpan timeout, CancellationToken interrupt)
        {
            if (!interrupt.CanBeCanceled)
            {
                return process.WaitForExit((int)timeout.TotalMilliseconds);
            }

            try
            {
                return process.WaitForExitAsync(CancellationToken.None).Wait((int)timeout.TotalMilliseconds, interrupt);
            }
            catch (OperationCanceledException)
            {
                return process.HasExited;
            }
        }

        // Reads stdout to its end, handing the text so far to the watcher after every chunk.
        private static async Task<string> Watch(StreamReader reader, Action<string> onOutput)
        {
            StringBuilder text = new StringBuilder();
            char[] buffer = new char[4096];
            int read;
            while ((read = await reader.ReadAsync(buffer, 0, buffer.Length).ConfigureAwait(false)) > 0)
            {
                text.Append(buffer, 0, read);
                onOutput(text.ToString());
            }

            return text.ToString();
        }

        /// <summary>Runs the tool and throws <see cref="ToolFailedException"/> unless it exits with 0.</summary>
        public static ToolResult RunChecked(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout)
        {
            ToolResult result = Run(fileName, arguments, timeout);
            if (!result.Succeeded)
            {
                throw new ToolFailedException(result);
            }

            return result;
        }

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static extern int Kill(int pid, int signal);

        internal static string Quote(string fileName, IReadOnlyList<string> arguments)
        {
            StringBuilder text = new StringBuilder(fileName);
            foreach (string argument in arguments)
            {
                text.Append(' ');
                bool plain = argument.Length > 0;
                foreach (char c in argument)
                {
                    plain &= char.IsLetterOrDigit(c) || "-_./:=,%@+".IndexOf(c) >= 0;
                }

                text.Append(plain ? argument : "'" + argument.Replace("'", "'\\''") + "'");
            }

            return text.ToString();
        }
    }
}
