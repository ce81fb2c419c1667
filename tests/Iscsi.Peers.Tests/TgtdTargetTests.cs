// TgtdTarget against the real tgtd, observed only through libiscsi's tools and /proc: a started
// target serves its LUN at the configured size, CHAP bindings are enforced in both directions,
// Restart (after a stop or a SIGKILL) brings the same configuration back on the same ports, Stop
// leaves no tgtd behind, tgtadm failures are reported with their command line, and a 3 TiB sparse
// file becomes a 3 TiB LUN.
using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using Bootstage.Iscsi.Peers;

namespace Bootstage.Iscsi.Peers.Tests
{
    public class TgtdTargetTests
    {
        private const string Iqn = "iqn.2026-01.test.peers:disk";
        private const long SmallLun = 8L << 20;

        [Fact]
        public void Start_serves_a_lun_whose_capacity_libiscsi_reads_back()
        {
            using TgtdTarget target = TgtdTarget.Start();
            Assert.Equal("127.0.0.1", target.Address);
            Assert.NotEqual(target.Port, target.ControlPort);
            Assert.True(target.IsRunning);
            AddDisk(target, 1, Iqn, SmallLun, seed: 1);

            Assert.Equal(SmallLun, LibIscsi.CapacityBytes(LibIscsi.Url(target, Iqn)));
            string report = LibIscsi.ReadCapacity16(LibIscsi.Url(target, Iqn));
            Assert.Contains("RETURNED LOGICAL BLOCK ADDRESS:" + (SmallLun / 512 - 1), report);
            Assert.Contains("LOGICAL BLOCK LENGTH IN BYTES:512", report);
            Assert.Contains("Peripheral Device Type:DIRECT_ACCESS", LibIscsi.Inquiry(LibIscsi.Url(target, Iqn)));
            Assert.Contains(Iqn, LibIscsi.List("iscsi://127.0.0.1:" + target.Port));
            Assert.Contains("tgtd", target.LogText);
        }

        [Fact]
        public void Lun_zero_is_tgtds_controller_and_lun_one_the_disk()
        {
            using TgtdTarget target = TgtdTarget.Start();
            AddDisk(target, 1, Iqn, SmallLun, seed: 2);

            string controller = LibIscsi.Inquiry(LibIscsi.Url(target, Iqn, lun: 0));
            Assert.Contains("Peripheral Device Type:STORAGE_ARRAY_CONTROLLER", controller);
            string disk = LibIscsi.Inquiry(LibIscsi.Url(target, Iqn, lun: 1));
            Assert.Contains("Peripheral Device Type:DIRECT_ACCESS", disk);
        }

        [Fact]
        public void Chap_bound_target_refuses_initiators_without_the_right_secret()
        {
            using TgtdTarget target = TgtdTarget.Start();
            AddDisk(target, 1, Iqn, SmallLun, seed: 3);
            target.AddAccount("alice", "alicesecret12");
            target.BindAccount(1, "alice");

            Assert.Throws<ToolFailedException>(() => LibIscsi.Inquiry(LibIscsi.Url(target, Iqn)));
            Assert.Throws<ToolFailedException>(() => LibIscsi.Inquiry(LibIscsi.Url(target, Iqn, user: "alice", password: "wrongsecret12")));
            string inquiry = LibIscsi.Inquiry(LibIscsi.Url(target, Iqn, user: "alice", password: "alicesecret12"));
            Assert.Contains("Peripheral Device Type:DIRECT_ACCESS", inquiry);
        }

        [Fact]
        public void Mutual_chap_target_proves_itself_with_its_outgoing_account()
        {
            using TgtdTarget target = TgtdTarget.Start();
            AddDisk(target, 1, Iqn, SmallLun, seed: 4);
            target.AddAccount("alice", "alicesecret12");
            target.AddAccount("disk", "targetsecret34");
            target.BindAccount(1, "alice");
            target.BindAccount(1, "disk", outgoing: true);

            Assert.Contains("disk (outgoing)", target.ShowTargets());
            string good = LibIscsi.Url(target, Iqn, user: "alice", password: "alicesecret12", targetUser: "disk", targetPassword: "targetsecret34");
            Assert.Contains("DIRECT_ACCESS", LibIscsi.Inquiry(good));
            // The initiator, expecting another secret, rejects the target's CHAP response.
            string wrong = LibIscsi.Url(target, Iqn, user: "alice", password: "alicesecret12", targetUser: "disk", targetPassword: "notthesecret");
            ToolFailedException failure = Assert.Throws<ToolFailedException>(() => LibIscsi.Inquiry(wrong));
            Assert.Contains("CHAP", failure.Result.StandardError);
        }

        [Fact]
        public void Restart_brings_back_targets_luns_and_accounts()
        {
            using TgtdTarget target = TgtdTarget.Start();
            const string secondIqn = "iqn.2026-01.test.peers:second";
            AddDisk(target, 1, Iqn, SmallLun, seed: 5);
            AddDisk(target, 2, secondIqn, 2 * SmallLun, seed: 6);
            target.AddAccount("alice", "alicesecret12");
            target.BindAccount(1, "alice");
            target.SetTargetParameter(2, "MaxRecvDataSegmentLength", "65536");
            target.SetTargetParameter(2, "nop_interval", "7");
            int port = target.Port;
            int controlPort = target.ControlPort;
            int pidBefore = target.ProcessId!.Value;
            // Sessions that came and went before the restart must not keep the port from being bound again.
            Assert.Equal(2 * SmallLun, LibIscsi.CapacityBytes(LibIscsi.Url(target, secondIqn)));

            target.Restart();

            Assert.Equal(port, target.Port);
            Assert.Equal(controlPort, target.ControlPort);
            Assert.NotEqual(pidBefore, target.ProcessId!.Value);
            Assert.False(ProcessIsAlive(pidBefore));
            Assert.Throws<ToolFailedException>(() => LibIscsi.Inquiry(LibIscsi.Url(target, Iqn)));
            Assert.Equal(SmallLun, LibIscsi.CapacityBytes(LibIscsi.Url(target, Iqn, user: "alice", password: "alicesecret12")));
            Assert.Equal(2 * SmallLun, LibIscsi.CapacityBytes(LibIscsi.Url(target, secondIqn)));
            string parameters = target.ShowTarget(2);
            Assert.Contains("MaxRecvDataSegmentLength=65536", parameters);
            Assert.Contains("nop_interval=7", parameters);
        }

        [Fact]
        public void Restart_after_kill_brings_the_target_back()
        {
            using TgtdTarget target = TgtdTarget.Start();
            AddDisk(target, 1, Iqn, SmallLun, seed: 7);
            int pid = target.ProcessId!.Value;

            target.Kill();

            Assert.False(target.IsRunning);
            Assert.Null(target.ProcessId);
            Assert.False(ProcessIsAlive(pid));
            Assert.False(AcceptsConnections(target.Port));
            Assert.Throws<InvalidOperationException>(() => target.AddTarget(2, "iqn.2026-01.test.peers:late"));

            target.Restart();

            Assert.Equal(SmallLun, LibIscsi.CapacityBytes(LibIscsi.Url(target, Iqn)));
        }

        [Fact]
        public void Stop_leaves_no_tgtd_process_for_that_port()
        {
            using TgtdTarget target = TgtdTarget.Start();
            AddDisk(target, 1, Iqn, SmallLun, seed: 8);
            int pid = target.ProcessId!.Value;
            Assert.Contains(pid, TgtdProcessesFor(target.Port));

            string outcome = target.Stop();

            // The clean sequence (tgt-admin included, with its -C) was enough: no SIGKILL needed.
            Assert.Equal("stopped", outcome);
            Assert.False(target.IsRunning);
            Assert.Empty(TgtdProcessesFor(target.Port));
            Assert.False(AcceptsConnections(target.Port));
            Assert.Equal("not running", target.Stop());
        }

        [Fact]
        public void Dispose_removes_the_work_directory_and_control_socket()
        {
            TgtdTarget target = TgtdTarget.Start();
            string directory = target.WorkDirectory;
            string socket = "/var/run/tgtd/socket." + target.ControlPort;
            int port = target.Port;
            Assert.True(File.Exists(socket + ".lock"));

            target.Dispose();

            Assert.False(Directory.Exists(directory));
            Assert.False(File.Exists(socket));
            Assert.False(File.Exists(socket + ".lock"));
            Assert.Empty(TgtdProcessesFor(port));
            Assert.Throws<ObjectDisposedException>(() => target.Restart());
        }

        [Fact]
        public void Two_targets_run_side_by_side_on_distinct_ports()
        {
            using TgtdTarget first = TgtdTarget.Start();
            using TgtdTarget second = TgtdTarget.Start();
            Assert.NotEqual(first.Port, second.Port);
            Assert.NotEqual(first.ControlPort, second.ControlPort);
            AddDisk(first, 1, Iqn, SmallLun, seed: 9);
            AddDisk(second, 1, Iqn, 2 * SmallLun, seed: 10);

            Assert.Equal(SmallLun, LibIscsi.CapacityBytes(LibIscsi.Url(first, Iqn)));
            Assert.Equal(2 * SmallLun, LibIscsi.CapacityBytes(LibIscsi.Url(second, Iqn)));
            first.Stop();
            Assert.Equal(2 * SmallLun, LibIscsi.CapacityBytes(LibIscsi.Url(second, Iqn)));
        }

        [Fact]
        public void A_failing_tgtadm_call_throws_with_its_command_line_and_stderr()
        {
            using TgtdTarget target = TgtdTarget.Start();
            string file = TgtdTarget.CreateSparseFile(Path.Combine(target.WorkDirectory, "orphan.img"), SmallLun);

            ToolFailedException failure = Assert.Throws<ToolFailedException>(() => target.AddLun(9, 1, file));

            Assert.Contains("/usr/sbin/tgtadm -C " + target.ControlPort + " --lld iscsi --op new --mode logicalunit --tid 9", failure.Message);
            Assert.Contains("can't find the target", failure.Message);
            Assert.NotEqual(0, failure.Result.ExitCode);
        }

        [Fact]
        public void A_3_TiB_sparse_lun_reports_3_TiB_and_stays_sparse()
        {
            const long size = 3L << 40;
            using TgtdTarget target = TgtdTarget.Start();
            string file = TgtdTarget.CreateSparseFile(Path.Combine(target.WorkDirectory, "huge.img"), size);
            // Past 2 TiB (LBA 2^32) is where READ(10)/READ CAPACITY(10) stop reaching.
            long[] offsets = { 0, (2L << 40) + 4096, size - 4096 };
            foreach (long offset in offsets)
            {
                TgtdTarget.WriteAt(file, offset, TgtdTarget.RegionPattern(offset));
            }

            target.AddTarget(1, Iqn);
            target.AddLun(1, 1, file);
            target.BindAll(1);

            string url = LibIscsi.Url(target, Iqn);
            Assert.Equal(size, LibIscsi.CapacityBytes(url));
            Assert.Contains("RETURNED LOGICAL BLOCK ADDRESS:" + (size / 512 - 1), LibIscsi.ReadCapacity16(url));
            Assert.Equal(size, new FileInfo(file).Length);
            Assert.True(AllocatedBytes(file) < (1L << 20), "three 4 KiB regions, the rest holes");
        }

        private static void AddDisk(TgtdTarget target, int tid, string iqn, long size, int seed)
        {
            string file = TgtdTarget.CreateBackingFile(Path.Combine(target.WorkDirectory, "lun-" + tid + ".img"), size, seed);
            target.AddTarget(tid, iqn);
            target.AddLun(tid, 1, file);
            target.BindAll(tid);
        }

        private static List<int> TgtdProcessesFor(int port)
        {
            // The same match a person cleaning up would use: pkill -f 'tgtd -f --iscsi portal=127.0.0.1:<port>'.
            string needle = "tgtd -f --iscsi portal=127.0.0.1:" + port + " ";
            List<int> pids = new List<int>();
            foreach (string directory in Directory.GetDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(directory), out int pid))
                {
                    continue;
                }

                try
                {
                    string commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                    if (commandLine.Contains(needle, StringComparison.Ordinal))
                    {
                        pids.Add(pid);
                    }
                }
                catch (IOException)
                {
                    // The process exited while being looked at.
                }
                catch (UnauthorizedAccessException)
                {
                }
            }

            return pids;
        }

        private static bool ProcessIsAlive(int pid)
        {
            // A zombie still has a /proc entry; its state letter says it is dead.
            try
            {
                string status = File.ReadAllText("/proc/" + pid + "/stat");
                int afterName = status.LastIndexOf(')');
                return status[afterName + 2] != 'Z';
            }
            catch (IOException)
            {
                return false;
            }
        }

        private static bool AcceptsConnections(int port)
        {
            using Socket socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Connect(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }

        private static long AllocatedBytes(string path)
        {
            ToolResult stat = ToolRunner.RunChecked("/usr/bin/stat", new[] { "-c", "%b %B", path }, TimeSpan.FromSeconds(10));
            string[] fields = stat.StandardOutput.Trim().Split(' ');
            return long.Parse(fields[0]) * long.Parse(fields[1]);
        }
    }
}
