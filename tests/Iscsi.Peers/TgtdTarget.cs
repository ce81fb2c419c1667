// Debian's userspace iSCSI target, tgtd (tgt 1.0.85), run as a child process on 127.0.0.1 for tests
// and benchmarks. Each instance gets its own portal port and its own control port (tgtd's management
// channel is the unix socket /var/run/tgtd/socket.<control port>, guarded by a lock file beside it),
// so instances can run side by side. Configuration goes through tgtadm -C <control port>; every call
// that shapes the target is remembered so Restart can bring the same targets, LUNs, accounts,
// bindings and parameters back on the same ports. tgtd ignores SIGTERM, so Stop uses tgt's own
// shutdown sequence (state offline, drop the targets, delete the system) and only then SIGKILL.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace Bootstage.Iscsi.Peers
{
    /// <summary>
    /// One tgtd on loopback. Methods may be called from any thread; they are serialised internally.
    /// The backing files named in <see cref="AddLun"/> belong to the caller (put them in
    /// <see cref="WorkDirectory"/> to have Dispose remove them).
    /// </summary>
    public sealed partial class TgtdTarget : IDisposable
    {
        public const string TgtdPath = "/usr/sbin/tgtd";
        public const string TgtadmPath = "/usr/sbin/tgtadm";
        public const string TgtAdminPath = "/usr/sbin/tgt-admin";

        /// <summary>How long Start and Restart wait for the portal to accept connections.</summary>
        public static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(10);

        private const string ControlSocketDirectory = "/var/run/tgtd";
        private const int MinControlPort = 10000;
        private const int MaxControlPort = 32767;
        private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(20);
        private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(3);

        private readonly object _gate = new object();
        private readonly List<string[]> _replayable = new List<string[]>();
        private readonly string _logPath;
        private Process? _process;
        private bool _disposed;

        private TgtdTarget(string workDirectory, int port, int controlPort)
        {
            WorkDirectory = workDirectory;
            Port = port;
            ControlPort = controlPort;
            _logPath = Path.Combine(workDirectory, "tgtd.log");
        }

        /// <summary>The portal address; tgtd listens nowhere else.</summary>
        public string Address => "127.0.0.1";

        /// <summary>The iSCSI portal's TCP port.</summary>
        public int Port { get; }

        /// <summary>tgtd's management channel number (tgtd --control-port, tgtadm -C).</summary>
        public int ControlPort { get; }

        /// <summary>Holds tgtd's log; removed by Dispose unless <see cref="KeepWorkDirectory"/>.</summary>
        public string WorkDirectory { get; }

        /// <summary>Set to keep the work directory (and the log) after Dispose, for post-mortems.</summary>
        public bool KeepWorkDirectory { get; set; }

        /// <summary>The pid of the running tgtd, or null when it is stopped or killed.</summary>
        public int? ProcessId
        {
            get
            {
                lock (_gate)
                {
                    return IsRunningLocked ? _process!.Id : null;
                }
            }
        }

        public bool IsRunning
        {
            get
            {
                lock (_gate)
                {
                    return IsRunningLocked;
                }
            }
        }

        /// <summary>Everything tgtd wrote to stdout and stderr, across restarts.</summary>
        public string LogText => ReadLog();

        private bool IsRunningLocked => _process != null && !_process.HasExited;

        /// <summary>
        /// Starts tgtd on 127.0.0.1 with a free portal port and a free control port, and returns once
        /// the portal accepts connections. <paramref name="workDirectory"/> defaults to a new directory
        /// under the system temp directory; it is created if missing.
        /// </summary>
        public static TgtdTarget Start(string? workDirectory = null)
        {
            string directory = workDirectory ?? Path.Combine(Path.GetTempPath(), "tgtd-" + Guid.NewGuid().ToString("N").Substring(0, 12));
            Directory.CreateDirectory(directory);
            try
            {
                return StartIn(directory);
            }
            catch when (workDirectory == null)
            {
                // The exception carries the log's tail; a directory nobody asked for is just litter.
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (IOException)
                {
                }

                throw;
            }
        }

        private static TgtdTarget StartIn(string directory)
        {
            Exception? last = null;
            // A port found free can be taken by someone else before tgtd binds it, and a control port
            // can collide with another tgtd's; both show up as a refused start, so try fresh numbers.
            for (int attempt = 0; attempt < 3; attempt++)
            {
                (int port, int controlPort) = PickPorts();
                TgtdTarget target = new TgtdTarget(directory, port, controlPort);
                try
                {
                    lock (target._gate)
                    {
                        target.LaunchLocked();
                    }

                    return target;
                }
                catch (TgtdStartException e) when (e.PortsTaken)
                {
                    last = e;
                }
            }

            throw new InvalidOperationException("tgtd would not start on fresh ports after 3 attempts", last);
        }

        /// <summary>Adds target <paramref name="tid"/> (1 or more) named <paramref name="iqn"/>.</summary>
        public void AddTarget(int tid, string iqn)
        {
            Configure("--lld", "iscsi", "--op", "new", "--mode", "target", "--tid", Tid(tid), "-T", iqn);
        }

        /// <summary>
        /// Adds a disk LUN backed by a regular file. LUN 0 is tgtd's own controller, so a target's
        /// first disk is LUN 1.
        /// </summary>
        public void AddLun(int tid, int lun, string backingFile) => AddLun(tid, lun, backingFile, cdrom: false);

        /// <summary>Adds a LUN; with <paramref name="cdrom"/> tgtd presents it as an MMC CD-ROM (2048-byte blocks).</summary>
        public void AddLun(int tid, int lun, string backingFile, bool cdrom)
        {
            if (lun < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(lun), lun, "LUN 0 is tgtd's controller; disks start at LUN 1");
            }

            string path = Path.GetFullPath(backingFile);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException("backing file for LUN " + lun + " is missing", path);
            }

            if (cdrom)
            {
                Configure("--lld", "iscsi", "--op", "new", "--mode", "logicalunit", "--tid", Tid(tid), "--lun", lun.ToString(), "-b", path, "--device-type", "cd");
            }
            else
            {
                Configure("--lld", "iscsi", "--op", "new", "--mode", "logicalunit", "--tid", Tid(tid), "--lun", lun.ToString(), "-b", path);
            }
        }

        /// <summary>Lets every initiator address log in to the target (tgtd refuses all by default).</summary>
        public void BindAll(int tid)
        {
            Configure("--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", Tid(tid), "-I", "ALL");
        }

        /// <summary>Adds a CHAP account. Accounts are global in tgtd; bind one to a target to use it.</summary>
        public void AddAccount(string user, string password)
        {
            Configure("--lld", "iscsi", "--op", "new", "--mode", "account", "--user", user, "--password", password);
        }

        /// <summary>
        /// Binds an account to a target. Incoming (the default): initiators must answer CHAP with it.
        /// Outgoing: tgtd proves itself with it when an initiator asks (mutual CHAP).
        /// </summary>
        public void BindAccount(int tid, string user, bool outgoing = false)
        {
            List<string> arguments = new List<string> { "--lld", "iscsi", "--op", "bind", "--mode", "account", "--tid", Tid(tid), "--user", user };
            if (outgoing)
            {
                arguments.Add("--outgoing");
            }

            Configure(arguments.ToArray());
        }

        /// <summary>
        /// Sets a target parameter: a login key (MaxRecvDataSegmentLength, HeaderDigest, ...), tgt's
        /// nop_interval/nop_count, or RedirectAddress/RedirectPort/RedirectReason. Values as
        /// <see cref="ShowTarget"/> prints them.
        /// </summary>
        public void SetTargetParameter(int tid, string name, string value)
        {
            Configure("--lld", "iscsi", "--op", "update", "--mode", "target", "--tid", Tid(tid), "--name", name, "-v", value);
        }

        /// <summary>tgtadm's listing of all targets: LUNs with sizes, accounts, ACLs, sessions.</summary>
        public string ShowTargets()
        {
            return Tgtadm("--lld", "iscsi", "--op", "show", "--mode", "target").StandardOutput;
        }

        /// <summary>tgtadm's parameter listing for one target (name=value lines).</summary>
        public string ShowTarget(int tid)
        {
            return Tgtadm("--lld", "iscsi", "--op", "show", "--mode", "target", "--tid", Tid(tid)).StandardOutput;
        }

        /// <summary>
        /// Runs any tgtadm command against this tgtd (the -C option is added) without remembering it
        /// for Restart. Throws <see cref="ToolFailedException"/> when tgtadm fails.
        /// </summary>
        public ToolResult Tgtadm(params string[] arguments)
        {
            lock (_gate)
            {
                ThrowIfDisposed();
                return ToolRunner.RunChecked(TgtadmPath, WithControlPort(arguments), ToolTimeout);
            }
        }

        /// <summary>
        /// Stops tgtd and starts it again on the same portal and control ports, then replays every
        /// AddTarget/AddLun/BindAll/AddAccount/BindAccount/SetTargetParameter call made so far. Works
        /// after <see cref="Kill"/> and <see cref="Stop"/> too. Initiators see their connections drop.
        /// </summary>
        public void Restart()
        {
            lock (_gate)
            {
                ThrowIfDisposed();
                StopLocked();
                // The ports were ours a moment ago; only a stranger grabbing one in between makes this
                // fail, and then the replay has nowhere to go, so no retry on other numbers.
                LaunchLocked();
                foreach (string[] arguments in _replayable)
                {
                    ToolRunner.RunChecked(TgtadmPath, WithControlPort(arguments), ToolTimeout);
                }
            }
        }

        /// <summary>SIGKILLs tgtd: connections reset, nothing is shut down cleanly.</summary>
        public void Kill()
        {
            lock (_gate)
            {
                if (IsRunningLocked)
                {
                    KillProcess(_process!);
                }
            }
        }

        /// <summary>
        /// Shuts tgtd down with tgt's stop sequence, then SIGKILLs it if it is still alive 3 s later.
        /// Best effort: a failing step does not stop the next (the outcome is in <see cref="LogText"/>
        /// and the returned text); throws only if the process survives SIGKILL. Idempotent.
        /// </summary>
        public string Stop()
        {
            lock (_gate)
            {
                return StopLocked();
            }
        }

        /// <summary>Stops tgtd, removes its control socket files and (unless kept) the work directory.</summary>
        public void Dispose()
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                StopLocked();
                _process?.Dispose();
                _process = null;
                // tgtd leaves socket.N and socket.N.lock behind; without this they pile up run after
                // run. Unless another tgtd has taken the number since ours went away.
                if (!ControlSocketAnswers(ControlPort))
                {
                    DeleteQuietly(ControlSocketPath);
                    DeleteQuietly(ControlSocketPath + ".lock");
                }

                if (!KeepWorkDirectory)
                {
                    try
                    {
                        Directory.Delete(WorkDirectory, recursive: true);
                    }
                    catch (IOException)
                    {
                    }
                    catch (UnauthorizedAccessException)
                    {
                    }
                }
            }
        }

        public override string ToString()
        {
            return "tgtd " + Address + ":" + Port + " (control port " + ControlPort + ")";
        }

        private string ControlSocketPath => Path.Combine(ControlSocketDirectory, "socket." + ControlPort);

        private void Configure(params string[] arguments)
        {
            lock (_gate)
            {
                ThrowIfDisposed();
                if (!IsRunningLocked)
                {
                    throw new InvalidOperationException(this + " is not running; Restart it before configuring");
                }

                ToolRunner.RunChecked(TgtadmPath, WithControlPort(arguments), ToolTimeout);
                _replayable.Add(arguments);
            }
        }

        private string[] WithControlPort(IReadOnlyList<string> arguments)
        {
            string[] all = new string[arguments.Count + 2];
            all[0] = "-C";
            all[1] = ControlPort.ToString();
            for (int i = 0; i < arguments.Count; i++)
            {
                all[i + 2] = arguments[i];
            }

            return all;
        }

        private static string Tid(int tid)
        {
            if (tid < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(tid), tid, "tgtd target ids start at 1");
            }

            return tid.ToString();
        }

        private string StopLocked()
        {
            if (!IsRunningLocked)
            {
                return "not running";
            }

            Process process = _process!;
            List<ToolResult> steps = new List<ToolResult>();
            string control = ControlPort.ToString();
            // The documented sequence: refuse new logins, take the targets offline, drop them all
            // (an empty config plus --force deletes every target even with sessions), then delete the
            // system, which makes tgtd exit. tgt-admin passes its -C on to every tgtadm it runs.
            steps.Add(ToolRunner.Run(TgtadmPath, new[] { "-C", control, "--op", "update", "--mode", "sys", "--name", "State", "-v", "offline" }, ToolTimeout));
            steps.Add(ToolRunner.Run(TgtAdminPath, new[] { "-C", control, "--offline", "ALL" }, ToolTimeout));
            steps.Add(ToolRunner.Run(TgtAdminPath, new[] { "-C", control, "--update", "ALL", "-c", "/dev/null", "-f" }, ToolTimeout));
            steps.Add(ToolRunner.Run(TgtadmPath, new[] { "-C", control, "--op", "delete", "--mode", "system" }, ToolTimeout));
            bool exited = process.WaitForExit((int)ExitGrace.TotalMilliseconds);
            if (!exited)
            {
                KillProcess(process);
            }

            List<string> failures = steps.Where(step => !step.Succeeded).Select(step => step.Describe()).ToList();
            string outcome = (exited ? "stopped" : "did not exit within " + ExitGrace.TotalSeconds + " s; killed")
                + (failures.Count == 0 ? "" : "; failed steps: " + string.Join(" | ", failures));
            AppendLog("==== " + DateTime.UtcNow.ToString("O") + " " + outcome);
            return outcome;
        }

        private void KillProcess(Process process)
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            if (!process.WaitForExit(10_000))
            {
                throw new InvalidOperationException(this + " (pid " + process.Id + ") survived SIGKILL for 10 s");
            }

            AppendLog("==== " + DateTime.UtcNow.ToString("O") + " killed pid " + process.Id);
        }

        private string ReadLog()
        {
            try
            {
                using FileStream stream = new FileStream(_logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using StreamReader reader = new StreamReader(stream);
                return reader.ReadToEnd();
            }
            catch (FileNotFoundException)
            {
                return "";
            }
            catch (DirectoryNotFoundException)
            {
                return "";
            }
        }

        private string LogTail()
        {
            string[] lines = ReadLog().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            IEnumerable<string> tail = lines.Skip(Math.Max(0, lines.Length - 30));
            return Environment.NewLine + "tgtd log (" + _logPath + ") ends:" + Environment.NewLine + string.Join(Environment.NewLine, tail);
        }

        private void AppendLog(string line)
        {
            // tgtd appends through O_APPEND too, so our markers interleave with its lines cleanly.
            using FileStream stream = new FileStream(_logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            using StreamWriter writer = new StreamWriter(stream);
            writer.WriteLine(line);
        }

        private static void DeleteQuietly(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        private void ThrowIfDisposed()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
        }
    }
}
