// Reads and writes against tgtd, compared byte for byte with the LUN's backing file: random
// ranges over a host socket and through our own TCP stack over libslirp, a sparse LUN larger than
// 2 TiB (READ/WRITE(16) across the 2^32-block line), tgtd killed and restarted in the middle of a
// transfer (the SAN device logs in again and re-issues), and NOP-In pings from a target with a
// short nop_interval (answered, so tgtd keeps the connection).
using System;
using System.Diagnostics;
using System.Threading;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.San;
using Bootstage.Iscsi.Peers;

namespace Bootstage.Iscsi.Tests
{
    public class TransferTests
    {
        private static void ReadAndWriteRandomRanges(IscsiRig rig, SanDevice disk, int seed, int rounds)
        {
            Random random = new Random(seed);
            int maxBlocks = 3000;
            byte[] buffer = new byte[maxBlocks * 512];
            for (int round = 0; round < rounds; round++)
            {
                int blocks = random.Next(4) switch { 0 => 1, 1 => random.Next(1, 16), 2 => 128 + random.Next(-1, 2), _ => random.Next(1, maxBlocks) };
                ulong lba = (ulong)random.NextInt64(0, (long)disk.BlockCount - blocks);
                if (random.Next(3) == 0)
                {
                    random.NextBytes(buffer.AsSpan(0, blocks * 512));
                    Assert.Equal(IscsiStatus.Success, disk.Write(lba, blocks, buffer, 0));
                    Assert.True(buffer.AsSpan(0, blocks * 512).SequenceEqual(rig.ReadBacking((long)lba * 512, blocks * 512)), $"write of {blocks} at {lba} differs in the file");
                }

                Array.Clear(buffer);
                Assert.Equal(IscsiStatus.Success, disk.Read(lba, blocks, buffer, 0));
                Assert.True(buffer.AsSpan(0, blocks * 512).SequenceEqual(rig.ReadBacking((long)lba * 512, blocks * 512)), $"read of {blocks} at {lba} differs from the file");
            }
        }

        [Fact]
        public void Random_ranges_read_and_write_byte_exact_over_a_host_socket()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 32 << 20, seed: 11);
            SanDevice disk = rig.OverSocket(IscsiRig.Options());
            Assert.Equal(IscsiStatus.Success, disk.Open());
            ReadAndWriteRandomRanges(rig, disk, seed: 1, rounds: 200);
            Assert.True(disk.Counters.Commands > 200);
        }

        [Fact]
        public void Random_ranges_read_and_write_byte_exact_through_our_stack_over_slirp()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 32 << 20, seed: 12);
            rig.Target.AddAccount("alice", "alicesecret12");
            rig.Target.BindAccount(1, "alice");
            SanDevice disk = rig.OverSlirp(IscsiRig.Options("alice", "alicesecret12"));
            Assert.Equal(IscsiStatus.Success, disk.Open());
            ReadAndWriteRandomRanges(rig, disk, seed: 2, rounds: 60);
            Assert.True(rig.Interface!.Counters.FramesReceived > 100, "the data did not come through our stack");
        }

        [Fact]
        public void Whole_lun_read_matches_the_backing_file_through_our_stack()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 16 << 20, seed: 13);
            SanDevice disk = rig.OverSlirp(IscsiRig.Options());
            Assert.Equal(IscsiStatus.Success, disk.Open());
            byte[] data = new byte[16 << 20];
            Assert.Equal(IscsiStatus.Success, disk.Read(0, (int)disk.BlockCount, data, 0));
            Assert.Equal(rig.ReadBacking(0, data.Length), data);
        }

        [Fact]
        public void Sequential_small_reads_are_served_by_read_ahead()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 4 << 20, seed: 14);
            SanDevice disk = rig.OverSocket(IscsiRig.Options());
            Assert.Equal(IscsiStatus.Success, disk.Open());
            byte[] block = new byte[4 * 512];
            for (ulong lba = 100; lba < 100 + 1024; lba += 4)
            {
                Assert.Equal(IscsiStatus.Success, disk.Read(lba, 4, block, 0));
                Assert.Equal(rig.ReadBacking((long)lba * 512, block.Length), block);
            }

            Assert.True(disk.Counters.CacheHits > 200, $"cache hits {disk.Counters.CacheHits}");
            Assert.True(disk.Counters.Commands < 40, $"commands {disk.Counters.Commands}");

            // A write through the device must never leave stale blocks in the window.
            byte[] fresh = new byte[512];
            new Random(4).NextBytes(fresh);
            Assert.Equal(IscsiStatus.Success, disk.Read(2000, 4, block, 0));
            Assert.Equal(IscsiStatus.Success, disk.Read(2004, 4, block, 0));
            Assert.Equal(IscsiStatus.Success, disk.Write(2010, 1, fresh, 0));
            Assert.Equal(IscsiStatus.Success, disk.Read(2008, 4, block, 0));
            Assert.Equal(fresh, block.AsSpan(2 * 512, 512).ToArray());
        }

        [Fact]
        public void Ranges_across_the_2_TiB_line_use_16_byte_commands_on_a_sparse_3_TiB_lun()
        {
            long size = 3L << 40;
            using IscsiRig rig = new IscsiRig(lunSize: size, sparse: true);
            long line = (1L << 32) * 512;
            byte[] pattern = new byte[64 * 1024];
            new Random(21).NextBytes(pattern);
            TgtdTarget.WriteAt(rig.BackingFile, line - 32 * 1024, pattern);

            SanDevice disk = rig.OverSocket(IscsiRig.Options());
            Assert.Equal(IscsiStatus.Success, disk.Open());
            Assert.Equal((ulong)size / 512, disk.BlockCount);

            byte[] data = new byte[pattern.Length];
            Assert.Equal(IscsiStatus.Success, disk.Read((1UL << 32) - 64, 128, data, 0));
            Assert.Equal(pattern, data);

            byte[] written = new byte[8 * 512];
            new Random(22).NextBytes(written);
            Assert.Equal(IscsiStatus.Success, disk.Write((1UL << 32) - 4, 8, written, 0));
            Assert.Equal(written, rig.ReadBacking(line - 4 * 512, written.Length));
            Assert.Equal(IscsiStatus.Success, disk.Read(disk.BlockCount - 8, 8, written, 0));
            Assert.Equal(new byte[8 * 512], written);
        }

        [Theory]
        [InlineData(false, false)]
        [InlineData(true, false)]
        [InlineData(false, true)]
        [InlineData(true, true)]
        public void Survives_tgtd_restarting_in_the_middle_of_a_transfer(bool write, bool throughOurStack)
        {
            using IscsiRig rig = new IscsiRig(lunSize: (throughOurStack ? 16 : 64) << 20, seed: 15);
            SanDevice disk = throughOurStack ? rig.OverSlirp(IscsiRig.Options()) : rig.OverSocket(IscsiRig.Options());
            Assert.Equal(IscsiStatus.Success, disk.Open());
            byte[] data = new byte[(throughOurStack ? 16 : 64) << 20];
            if (write)
            {
                new Random(31).NextBytes(data);
            }

            // Halfway through, tgtd is killed (the connection dies under us) and started again
            // half a second later; the loop waits only for the kill, so the next requests meet a
            // dead target and must ride out the restart.
            // A failure on the restarter thread is kept and rethrown here: thrown there, it would
            // take the whole test host down.
            using ManualResetEventSlim halfway = new ManualResetEventSlim();
            using ManualResetEventSlim killed = new ManualResetEventSlim();
            Exception? restartError = null;
            Thread restarter = new Thread(() =>
            {
                try
                {
                    halfway.Wait();
                    rig.Target.Kill();
                    killed.Set();
                    Thread.Sleep(500);
                    rig.Target.Restart();
                }
                catch (Exception error)
                {
                    restartError = error;
                }
            })
            { IsBackground = true };
            restarter.Start();
            int total = data.Length / 512;
            for (int block = 0; block < total; block += 256)
            {
                if (block == total / 2)
                {
                    halfway.Set();
                    Assert.True(killed.Wait(TimeSpan.FromSeconds(30)), "tgtd was not killed");
                }

                IscsiStatus status = write ? disk.Write((ulong)block, 256, data, block * 512) : disk.Read((ulong)block, 256, data, block * 512);
                Assert.Equal(IscsiStatus.Success, status);
            }

            Assert.True(restarter.Join(TimeSpan.FromSeconds(60)), "the restart did not finish");
            Assert.Null(restartError);
            Assert.True(disk.Counters.Reconnects > 0, "the restart went unnoticed");
            Assert.Equal(rig.ReadBacking(0, data.Length), data);
        }

        [Fact]
        public void Answers_NOP_In_pings_so_the_target_keeps_the_connection()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 1 << 20);
            rig.Target.SetTargetParameter(1, "nop_interval", "1");
            rig.Target.SetTargetParameter(1, "nop_count", "2");
            SanDevice disk = rig.OverSocket(IscsiRig.Options());
            Assert.Equal(IscsiStatus.Success, disk.Open());
            // tgtd pings an idle connection every second and drops it after two unanswered pings,
            // so three answered pings on a live connection show it was kept. Wait for them, not for
            // a clock; the limit only ends a run where the pings never come or go unanswered.
            Stopwatch idle = Stopwatch.StartNew();
            while (disk.Session.Counters.NopInPingsAnswered < 3)
            {
                Assert.True(idle.Elapsed < TimeSpan.FromSeconds(60), $"answered {disk.Session.Counters.NopInPingsAnswered} pings in {idle.Elapsed.TotalSeconds:F0} s");
                Assert.Equal(0UL, disk.Session.Counters.ConnectionFailures);
                disk.Session.Poll();
                Thread.Sleep(1);
            }

            Assert.Equal(IscsiSessionState.FullFeature, disk.Session.State);
            Assert.Equal(0UL, disk.Session.Counters.ConnectionFailures);
            byte[] block = new byte[512];
            Assert.Equal(IscsiStatus.Success, disk.Read(1, 1, block, 0));
            Assert.Equal(rig.ReadBacking(512, 512), block);
        }

        [Theory]
        [InlineData("Yes", "Yes", "262144", "65536", "8192")]
        [InlineData("No", "Yes", "262144", "65536", "8192")]
        [InlineData("No", "No", "16384", "8192", "4096")]
        [InlineData("Yes", "No", "16384", "16384", "512")]
        public void Writes_land_exactly_under_every_negotiated_write_mode(string initialR2T, string immediateData, string maxBurst, string firstBurst, string targetMrdsl)
        {
            using IscsiRig rig = new IscsiRig(lunSize: 8 << 20, seed: 16);
            rig.Target.SetTargetParameter(1, "InitialR2T", initialR2T);
            rig.Target.SetTargetParameter(1, "ImmediateData", immediateData);
            rig.Target.SetTargetParameter(1, "MaxBurstLength", maxBurst);
            rig.Target.SetTargetParameter(1, "FirstBurstLength", firstBurst);
            rig.Target.SetTargetParameter(1, "MaxRecvDataSegmentLength", targetMrdsl);
            SanDevice disk = rig.OverSocket(IscsiRig.Options());
            Assert.Equal(IscsiStatus.Success, disk.Open());
            IscsiParameters negotiated = disk.Session.Parameters;
            Assert.Equal(initialR2T == "Yes", negotiated.InitialR2T);
            Assert.Equal(immediateData == "Yes", negotiated.ImmediateData);
            Assert.Equal(uint.Parse(maxBurst), negotiated.MaxBurstLength);
            Assert.Equal(uint.Parse(targetMrdsl), negotiated.TargetMaxRecvDataSegmentLength);

            Random random = new Random(17);
            byte[] data = new byte[1 << 20];
            foreach (int blocks in new[] { 1, 7, 128, 129, 2048 })
            {
                ulong lba = (ulong)random.Next(0, (8 << 20) / 512 - blocks);
                random.NextBytes(data.AsSpan(0, blocks * 512));
                Assert.Equal(IscsiStatus.Success, disk.Write(lba, blocks, data, 0));
                Assert.True(data.AsSpan(0, blocks * 512).SequenceEqual(rig.ReadBacking((long)lba * 512, blocks * 512)), $"{blocks} blocks at {lba} differ in the file");
            }
        }
    }
}
