// `-- iscsi [seconds]`: sequential reads from one tgtd LUN (64 MiB file, loopback) by our
// initiator over a host socket and by libiscsi's iscsi-perf, in the same run, at queue depth 1
// and 16 and three request sizes, with the ratio; then ours again over our own TCP/IP stack and
// libslirp in-process, and the image in QEMU/TCG. Ours keeps the queue full the way iscsi-perf
// does: a finished READ is replaced at once by the next one, wrapping at the end of the LUN.
using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.San;
using Bootstage.Boot.Scsi;
using Bootstage.Iscsi.Peers;
using Bootstage.Net;
using Bootstage.Net.Slirp;

namespace Bootstage.Bench
{
    internal static class IscsiBenchmark
    {
        private const string Iqn = "iqn.2026-11.org.bootstage.bench:disk";
        private const ulong Lun1 = 0x0001_0000_0000_0000;

        public static void Run(int seconds)
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-bench-iscsi-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            string file = TgtdTarget.CreateBackingFile(Path.Combine(directory, "lun.img"), 64 << 20, 1);
            using (TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd")))
            {
                Measure(target, file, seconds);
            }

            Directory.Delete(directory, recursive: true);
        }

        private static void Measure(TgtdTarget target, string file, int seconds)
        {
            target.AddTarget(1, Iqn);
            target.AddLun(1, 1, file);
            target.BindAll(1);
            string url = LibIscsi.Url(target, Iqn, 1);

            Console.WriteLine($"iSCSI sequential read, tgtd 64 MiB LUN on 127.0.0.1:{target.Port}, {seconds} s per figure, MiB/s");
            Console.WriteLine("request   qdepth   ours (host socket)   iscsi-perf   ratio   ours: bytes allocated per READ   ours (our TCP over slirp)");
            foreach (int blocks in new[] { 8, 64, 128 })
            {
                foreach (int depth in new[] { 1, 16 })
                {
                    double ours = Ours(target, blocks, depth, seconds, viaSlirp: false);
                    double allocated = LastAllocatedPerCommand;
                    PerfResult theirs = LibIscsi.RunPerf(url, depth, blocks, seconds);
                    double stack = Ours(target, blocks, depth, seconds, viaSlirp: true);
                    Console.WriteLine($"{blocks / 2,4} KiB   {depth,6}   {ours,18:F0}   {theirs.MiBPerSecond,10:F0}   {ours / theirs.MiBPerSecond,5:F2}   {allocated,30:F1}   {stack,25:F0}");
                }
            }

            // The image itself: virtio-net, our stack, QEMU's slirp to the same tgtd; 1 MiB requests.
            string? serial = QemuImage.Boot($"console=serial root-path=iscsi:10.0.2.2::{target.Port}:1:{Iqn} santest=read:64");
            Match match = Regex.Match(serial ?? string.Empty, @"name=san-read bytes=(\d+) ms=(\d+)");
            if (match.Success)
            {
                double bytes = double.Parse(match.Groups[1].Value);
                double elapsed = double.Parse(match.Groups[2].Value) / 1000;
                Console.WriteLine($"the image in QEMU/TCG over virtio-net: {bytes / (1 << 20):0} MiB in {elapsed:0.000} s = {bytes / elapsed / (1 << 20):0.0} MiB/s");
            }
            else
            {
                Console.WriteLine("the image in QEMU/TCG: no san-read result (build it with ./build.sh image)");
            }
        }

        private static double LastAllocatedPerCommand;

        private static double Ours(TgtdTarget target, int blocks, int depth, int seconds, bool viaSlirp)
        {
            using SlirpNetwork? slirp = viaSlirp ? new SlirpNetwork() : null;
            IIscsiTransport transport = new SocketTransport();
            byte[] server = Encoding.ASCII.GetBytes(target.Address);
            if (slirp != null)
            {
                // Our whole stack in-process: TCP, IPv4, ARP over libslirp, whose NAT reaches 127.0.0.1 as 10.0.2.2.
                NetInterface netif = new NetInterface(new SlirpNetDevice(slirp, new byte[] { 0x52, 0x54, 0, 0x12, 0x34, 0x56 }), new WallClock());
                netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), new Ipv4Address(10, 0, 2, 3));
                transport = new TcpIscsiTransport(netif, new SeededRandom(2));
                server = Encoding.ASCII.GetBytes("10.0.2.2");
            }

            IscsiOptions options = new IscsiOptions
            {
                InitiatorName = Encoding.ASCII.GetBytes("iqn.2026-11.org.bootstage:bench"),
                TargetName = Encoding.ASCII.GetBytes(Iqn),
            };
            IscsiSession session = new IscsiSession(options, transport, new SeededRandom(1));
            SanDevice disk = new SanDevice(session, server, (ushort)target.Port, Lun1);
            if (disk.Open() != IscsiStatus.Success)
            {
                throw new InvalidOperationException("login failed: " + session.LastError);
            }

            int bytes = blocks * 512;
            byte[] buffer = new byte[bytes * depth];
            IscsiTask?[] tasks = new IscsiTask?[depth];
            byte[] cdb = new byte[16];
            ulong next = 0;
            long done = 0;
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            Stopwatch watch = Stopwatch.StartNew();
            long limit = seconds * 1000L;
            while (watch.ElapsedMilliseconds < limit)
            {
                for (int i = 0; i < depth; i++)
                {
                    IscsiTask? task = tasks[i];
                    if (task != null && task.IsDone)
                    {
                        if (task.Result != IscsiStatus.Success)
                        {
                            throw new InvalidOperationException("READ failed: " + task.Result);
                        }

                        session.Release(task);
                        tasks[i] = null;
                        done++;
                    }

                    if (tasks[i] == null)
                    {
                        if (next + (ulong)blocks > disk.BlockCount)
                        {
                            next = 0;
                        }

                        int length = ScsiCdb.ReadOrWrite(false, next, (uint)blocks, cdb);
                        tasks[i] = session.Submit(Lun1, cdb.AsSpan(0, length), false, buffer, i * bytes, bytes);
                        next += (ulong)blocks;
                    }
                }

                session.Poll();
            }

            double elapsed = watch.Elapsed.TotalSeconds;
            LastAllocatedPerCommand = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (double)Math.Max(1, done);
            disk.Close();
            return done * (double)bytes / elapsed / (1 << 20);
        }
    }
}
