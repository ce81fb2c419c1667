// Starting tgtd for TgtdTarget: picking ports, launching it in its own session with its output in a
// log file, and deciding when it is really serving. tgtd is awkward here in three ways: it will not
// take a control port above 32767; when its portal is taken it does not exit but falls back to
// 0.0.0.0:3260; and it only reports a taken control port (its lock file) in its log before exiting.
using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace Bootstage.Iscsi.Peers
{
    public sealed partial class TgtdTarget
    {
        private void LaunchLocked()
        {
            AppendLog("==== " + DateTime.UtcNow.ToString("O") + " starting tgtd on " + Address + ":" + Port + ", control port " + ControlPort);
            // Only this start's lines count when judging why it failed.
            int logStart = ReadLog().Length;
            // tgtd reopens nothing after start, so the shell sets up the log redirection and then
            // execs setsid, which (not being a group leader) execs tgtd in place: the pid .NET
            // reports is tgtd's, and tgtd sits in its own session, away from the test host's signals.
            // The log path is passed as $0 and tgtd's command line as "$@", so nothing needs quoting.
            ProcessStartInfo info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("exec /usr/bin/setsid \"$@\" </dev/null >>\"$0\" 2>&1");
            info.ArgumentList.Add(_logPath);
            info.ArgumentList.Add(TgtdPath);
            // Argument order matters to people cleaning up by hand with
            // pkill -f 'tgtd -f --iscsi portal=127.0.0.1:<port>'.
            info.ArgumentList.Add("-f");
            info.ArgumentList.Add("--iscsi");
            info.ArgumentList.Add("portal=" + Address + ":" + Port);
            info.ArgumentList.Add("--control-port");
            info.ArgumentList.Add(ControlPort.ToString());
            Process process = Process.Start(info) ?? throw new InvalidOperationException("could not start tgtd");
            _process?.Dispose();
            _process = process;
            try
            {
                WaitUntilServing(process, logStart);
            }
            catch
            {
                ShutDownFailedStart(process);
                throw;
            }
        }

        private void WaitUntilServing(Process process, int logStart)
        {
            Stopwatch clock = Stopwatch.StartNew();
            string expectedPortal = "Portal: " + Address + ":" + Port + ",";
            while (true)
            {
                if (process.HasExited)
                {
                    string log = ReadLog();
                    log = log.Length >= logStart ? log.Substring(logStart) : log;
                    bool lockTaken = log.Contains("another tgtd is using", StringComparison.Ordinal);
                    throw new TgtdStartException(this + " exited with " + process.ExitCode + " while starting" + (lockTaken ? " (control port taken by another tgtd)" : "") + LogTail(), lockTaken);
                }

                // Ask tgtd itself which portals it has: when it cannot bind the one it was given it
                // does not exit but falls back to 0.0.0.0:3260 and [::]:3260, and a TCP probe alone
                // could then be answered by some other listener on our port.
                ToolResult portals = ToolRunner.Run(TgtadmPath, WithControlPort(new[] { "--lld", "iscsi", "--op", "show", "--mode", "portal" }), ToolTimeout);
                if (portals.Succeeded)
                {
                    if (!portals.StandardOutput.Contains(expectedPortal, StringComparison.Ordinal))
                    {
                        throw new TgtdStartException(this + " did not get its portal (tgtadm lists: " + portals.StandardOutput.Trim().Replace('\n', ' ') + ")" + LogTail(), portsTaken: true);
                    }

                    if (ProcessIsTgtd(process.Id) && PortAcceptsConnections())
                    {
                        return;
                    }
                }

                if (clock.Elapsed > StartDeadline)
                {
                    string last = portals.Succeeded ? "the portal refused TCP connections" : portals.Describe();
                    throw new TgtdStartException(this + " was not serving after " + StartDeadline.TotalSeconds + " s (" + last + ")" + LogTail(), portsTaken: false);
                }

                Thread.Sleep(20);
            }
        }

        private static bool ProcessIsTgtd(int pid)
        {
            // The exec chain sh -> setsid -> tgtd keeps the pid; until it completes the pid is still
            // the shell's, and signalling it would miss tgtd.
            try
            {
                string exe = new FileInfo("/proc/" + pid + "/exe").LinkTarget ?? "";
                return exe == TgtdPath;
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        }

        private bool PortAcceptsConnections()
        {
            using Socket socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Connect(IPAddress.Parse(Address), Port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }

        private void ShutDownFailedStart(Process process)
        {
            if (process.HasExited)
            {
                return;
            }

            // SIGKILL, not tgtadm: with no targets there is nothing to shut down cleanly, and the
            // control socket may belong to another tgtd that owned this number first.
            KillProcess(process);
        }

        private static (int Port, int ControlPort) PickPorts()
        {
            int port;
            using (Socket portal = BindAnyLoopbackPort())
            {
                port = ((IPEndPoint)portal.LocalEndPoint!).Port;
            }

            // The control port only names tgtd's unix socket, and tgtd refuses numbers above 32767,
            // which rules out the kernel's ephemeral TCP range (32768-60999 here); so draw one at
            // random and skip any whose socket has a live tgtd behind it. A collision that slips
            // through (two starts drawing the same number) fails tgtd's lock and Start retries.
            for (int attempt = 0; attempt < 100; attempt++)
            {
                int controlPort = Random.Shared.Next(MinControlPort, MaxControlPort + 1);
                if (controlPort != port && !ControlSocketAnswers(controlPort))
                {
                    return (port, controlPort);
                }
            }

            throw new InvalidOperationException("no free tgtd control port in " + MinControlPort + "-" + MaxControlPort);
        }

        private static bool ControlSocketAnswers(int controlPort)
        {
            string path = Path.Combine(ControlSocketDirectory, "socket." + controlPort);
            if (!File.Exists(path))
            {
                return false;
            }

            using Socket socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(path));
                return true;
            }
            catch (SocketException)
            {
                // A file left by a tgtd that is gone: tgtd replaces it.
                return false;
            }
        }

        private static Socket BindAnyLoopbackPort()
        {
            Socket socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return socket;
        }

        /// <summary>A start that failed; <see cref="PortsTaken"/> says whether other ports may work.</summary>
        private sealed class TgtdStartException : InvalidOperationException
        {
            public TgtdStartException(string message, bool portsTaken)
                : base(message)
            {
                PortsTaken = portsTaken;
            }

            public bool PortsTaken { get; }
        }
    }
}
