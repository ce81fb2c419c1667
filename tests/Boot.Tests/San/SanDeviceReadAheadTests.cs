// SanDevice read-ahead against AutoTarget: sequential one-block reads (the MBR, a loader walking
// its file) become a few large READs served from the cache, byte-exact up to the disk's end; a
// write anywhere in the cached window drops it, so the next read returns what was written; and a
// fill that fails (a medium error in the window, a reply cut short, a connection that keeps
// breaking) never lets the cache serve bytes the target did not confirm: the requested block
// still comes from the target.
using System;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.San;
using Bootstage.Boot.Scsi;
using Bootstage.Boot.Tests.Iscsi;

namespace Bootstage.Boot.Tests.San
{
    public class SanDeviceReadAheadTests
    {
        private static void ReadOneByOne(SanDevice device, AutoTarget target, ulong from, ulong to)
        {
            byte[] block = new byte[512];
            for (ulong lba = from; lba < to; lba++)
            {
                Array.Fill(block, (byte)0xEE);
                Assert.Equal(IscsiStatus.Success, device.Read(lba, 1, block, 0));
                SanTestKit.AssertDisk(target, lba, 1, block);
            }
        }

        [Fact]
        public void Sequential_one_block_reads_become_a_few_large_reads_and_the_data_is_exact_to_the_end_of_the_disk()
        {
            AutoTarget target = new AutoTarget(blockCount: 1000);
            SanDevice device = SanTestKit.Opened(target);
            int before = target.Count(c => c.IsRead);

            ReadOneByOne(device, target, 0, 1000);

            int reads = target.Count(c => c.IsRead) - before;
            Assert.True(reads <= 10, reads + " READ commands for 1000 sequential blocks");
            Assert.True(device.Counters.CacheHits >= 990, device.Counters.CacheHits + " cache hits");
            Assert.True(device.Counters.CacheFills >= 4);
            Assert.True(target.CommandsWhere(c => c.IsRead).TrueForAll(c => c.Lba + c.Blocks <= 1000));
            Assert.Equal(1000UL * 512, device.Counters.BytesRead);
        }

        [Fact]
        public void Larger_or_scattered_reads_go_to_the_target()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = SanTestKit.Opened(target);
            byte[] buffer = new byte[512 * 512];

            Assert.Equal(IscsiStatus.Success, device.Read(10, 1, buffer, 0));
            Assert.Equal(IscsiStatus.Success, device.Read(900, 1, buffer, 0));
            Assert.Equal(IscsiStatus.Success, device.Read(901, 512, buffer, 0));

            SanTestKit.AssertDisk(target, 901, 512, buffer);
            Assert.Equal(0UL, device.Counters.CacheHits);
            Assert.Equal(0UL, device.Counters.CacheFills);
        }

        [Fact]
        public void A_write_inside_the_cached_window_invalidates_it_and_the_next_read_returns_the_new_data()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = SanTestKit.Opened(target);
            ReadOneByOne(device, target, 0, 10);
            ulong fills = device.Counters.CacheFills;
            Assert.True(fills >= 1);

            // Block 200 sits in the window read ahead but not yet handed out; block 5 was handed out.
            byte[] fresh = AutoTarget.RandomBytes(2 * 512, 555);
            Assert.Equal(IscsiStatus.Success, device.Write(200, 1, fresh, 0));
            Assert.Equal(IscsiStatus.Success, device.Write(5, 1, fresh, 512));

            byte[] block = new byte[512];
            Assert.Equal(IscsiStatus.Success, device.Read(5, 1, block, 0));
            Assert.Equal(fresh.AsSpan(512).ToArray(), block);
            ReadOneByOne(device, target, 6, 260);
            Assert.Equal(IscsiStatus.Success, device.Read(200, 1, block, 0));
            Assert.Equal(fresh.AsSpan(0, 512).ToArray(), block);
            Assert.True(device.Counters.CacheFills > fills);
        }

        [Fact]
        public void A_write_outside_the_cached_window_keeps_it()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = SanTestKit.Opened(target);
            ReadOneByOne(device, target, 0, 10);
            ulong hits = device.Counters.CacheHits;
            int reads = target.Count(c => c.IsRead);

            Assert.Equal(IscsiStatus.Success, device.Write(1500, 1, new byte[512], 0));
            ReadOneByOne(device, target, 10, 20);

            Assert.Equal(hits + 10, device.Counters.CacheHits);
            Assert.Equal(reads, target.Count(c => c.IsRead));
        }

        [Fact]
        public void A_fill_that_meets_a_medium_error_serves_nothing_from_it_and_the_requested_blocks_come_from_the_target()
        {
            AutoTarget target = new AutoTarget(blockCount: 1000);
            SanDevice device = SanTestKit.Opened(target);
            device.MaxTransferBytes = 32 * 1024;
            target.CheckCondition(c => c.IsRead && c.Lba <= 300 && c.Lba + c.Blocks > 300, SenseKey.MediumError, 0x11, 0x00);
            ReadOneByOne(device, target, 0, 257);
            ulong hits = device.Counters.CacheHits;

            // The window from 257 holds the bad block 300: each fill fails, each block is read alone.
            ReadOneByOne(device, target, 257, 300);
            Assert.Equal(hits, device.Counters.CacheHits);

            byte[] block = IscsiTestKit.Canary(512);
            Assert.Equal(IscsiStatus.CheckCondition, device.Read(300, 1, block, 0));
            Assert.Equal(IscsiTestKit.Canary(512), block);
            Assert.Equal("unrecovered read error", SanTestKit.Text(device.LastSense.Describe()));

            // Past the bad block the read-ahead works again.
            ReadOneByOne(device, target, 301, 400);
            Assert.True(device.Counters.CacheHits > hits + 90);
        }

        [Fact]
        public void A_fill_the_target_cuts_short_never_serves_the_previous_window_bytes()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = SanTestKit.Opened(target);
            ReadOneByOne(device, target, 0, 257);
            target.ShortTransfer(c => c.IsRead && c.Lba == 257 && c.Blocks > 1);

            ReadOneByOne(device, target, 257, 600);

            Assert.Equal(1, target.Count(c => c.Outcome == "short"));
        }

        [Fact]
        public void A_fill_cut_by_a_connection_that_keeps_breaking_is_not_served_and_later_reads_see_the_disk()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = SanTestKit.Opened(target);
            device.Retries = 1;
            ReadOneByOne(device, target, 0, 257);
            ulong hits = device.Counters.CacheHits;
            ulong fills = device.Counters.CacheFills;
            target.Drop(c => c.IsRead && c.Lba == 257 && c.Blocks > 1, times: 2);

            byte[] block = IscsiTestKit.Canary(512);
            Assert.Equal(IscsiStatus.Success, device.Read(257, 1, block, 0));
            SanTestKit.AssertDisk(target, 257, 1, block);
            Assert.Equal(3, target.Connects);
            Assert.Equal(2, target.Count(c => c.Outcome == "dropped"));
            Assert.Equal(hits, device.Counters.CacheHits);
            Assert.Equal(fills, device.Counters.CacheFills);

            // Part of the failed fill landed in the cache; the disk changes behind it. What the
            // device hands out next must come from the disk, not from those bytes.
            byte[] changed = AutoTarget.RandomBytes(8 * 512, 808);
            target.WriteBlocks(258, changed);
            byte[] buffer = new byte[512];
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal(IscsiStatus.Success, device.Read(258 + (ulong)i, 1, buffer, 0));
                Assert.Equal(changed.AsSpan(i * 512, 512).ToArray(), buffer);
            }
        }
    }
}
