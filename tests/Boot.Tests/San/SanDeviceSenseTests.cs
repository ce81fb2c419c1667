// SanDevice and CHECK CONDITION against AutoTarget: UNIT ATTENTION (a one-time event, the command
// did not run) re-sends just that command; MEDIUM ERROR is the caller's answer at once, with the
// sense kept in LastSense, and no retry loop; BUSY is tried again. With several commands in
// flight, a failure is returned only after the others have finished at the target: their Data-In
// and Data-Out still use the caller's buffer, which must not be handed back before.
using System;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.San;
using Bootstage.Boot.Scsi;
using Bootstage.Boot.Tests.Iscsi;

namespace Bootstage.Boot.Tests.San
{
    public class SanDeviceSenseTests
    {
        private static SanDevice Opened(AutoTarget target)
        {
            SanDevice device = SanTestKit.Opened(target);
            device.ReadAheadBytes = 0;
            device.MaxTransferBytes = 8 * 512;
            return device;
        }

        [Fact]
        public void A_unit_attention_once_resends_that_read_and_the_data_is_exact()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = Opened(target);
            target.CheckCondition(c => c.IsRead && c.Lba == 48, SenseKey.UnitAttention, 0x29, 0x00, times: 1);
            byte[] buffer = IscsiTestKit.Canary(32 * 512);

            Assert.Equal(IscsiStatus.Success, device.Read(40, 32, buffer, 0));

            SanTestKit.AssertDisk(target, 40, 32, buffer);
            Assert.Equal(1UL, device.Counters.CommandRetries);
            Assert.Equal(new[] { "check", "good" }, target.CommandsWhere(c => c.IsRead && c.Lba == 48).ConvertAll(c => c.Outcome).ToArray());
            Assert.Equal(5, target.Count(c => c.IsRead));
            Assert.Equal(1, target.Connects);
            Assert.Equal(0UL, device.Counters.Reconnects);
        }

        [Fact]
        public void A_unit_attention_once_resends_that_write_and_the_image_is_exact()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = Opened(target);
            target.CheckCondition(c => c.IsWrite && c.Lba == 8, SenseKey.UnitAttention, 0x29, 0x00, times: 1);
            byte[] data = AutoTarget.RandomBytes(24 * 512, 31);

            Assert.Equal(IscsiStatus.Success, device.Write(0, 24, data, 0));

            Assert.Equal(data, target.ReadBlocks(0, 24));
            Assert.Equal(1UL, device.Counters.CommandRetries);
            Assert.Equal(2, target.Count(c => c.IsWrite && c.Lba == 8));
        }

        [Fact]
        public void A_unit_attention_on_the_first_test_unit_ready_after_login_does_not_stop_open()
        {
            AutoTarget target = new AutoTarget();
            target.CheckCondition(c => c.IsTestUnitReady, SenseKey.UnitAttention, 0x29, 0x00, times: 1);

            Assert.Equal(IscsiStatus.Success, SanTestKit.Device(target).Open());

            Assert.Equal(2, target.Count(c => c.IsTestUnitReady));
        }

        [Fact]
        public void A_busy_status_is_tried_again()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = Opened(target);
            target.Busy(c => c.IsRead, times: 2);
            byte[] buffer = new byte[4 * 512];

            Assert.Equal(IscsiStatus.Success, device.Read(3, 4, buffer, 0));

            SanTestKit.AssertDisk(target, 3, 4, buffer);
            Assert.Equal(3, target.Count(c => c.IsRead));
        }

        [Fact]
        public void A_medium_error_returns_check_condition_with_the_sense_and_is_not_retried()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = Opened(target);
            target.CheckCondition(c => c.IsRead && c.Lba == 200, SenseKey.MediumError, 0x11, 0x00);
            byte[] buffer = IscsiTestKit.Canary(4 * 512);

            Assert.Equal(IscsiStatus.CheckCondition, device.Read(200, 4, buffer, 0));

            Assert.Equal(SenseKey.MediumError, device.LastSense.Key);
            Assert.Equal("unrecovered read error", SanTestKit.Text(device.LastSense.Describe()));
            Assert.Equal(1, target.Count(c => c.IsRead));
            Assert.Equal(0UL, device.Counters.CommandRetries);
            Assert.Equal(0UL, device.Counters.BytesRead);
            Assert.Equal(IscsiTestKit.Canary(4 * 512), buffer);
            Assert.Equal(1, target.Connects);
        }

        [Fact]
        public void A_write_error_while_other_writes_are_in_flight_is_returned_only_after_they_finished_at_the_target()
        {
            // No immediate or unsolicited data: every write waits for an R2T and then sends its
            // Data-Out from the caller's buffer, and the target answers slowly.
            AutoTarget target = new AutoTarget { TargetImmediateData = false, TargetInitialR2T = true };
            SanDevice device = SanTestKit.Opened(target);
            device.QueueDepth = 4;
            device.MaxTransferBytes = 2 * 512;
            target.LatencyPolls = 6;
            target.CheckCondition(c => c.IsWrite && c.Lba == 102, SenseKey.MediumError, 0x0C, 0x00);
            byte[] before = target.ReadBlocks(100, 16);
            byte[] data = AutoTarget.RandomBytes(16 * 512, 64);

            Assert.Equal(IscsiStatus.CheckCondition, device.Write(100, 16, data, 0));

            // Four commands went out (QueueDepth); the three that did not fail got their R2T, sent all
            // their data and reached the disk before Write returned.
            Assert.Equal("write error", SanTestKit.Text(device.LastSense.Describe()));
            Assert.Equal(0, device.Session.Outstanding);
            Assert.Equal(new ulong[] { 100, 102, 104, 106 }, target.CommandsWhere(c => c.IsWrite).ConvertAll(c => c.Lba).ToArray());
            SeenCommand failed = target.CommandsWhere(c => c.IsWrite && c.Lba == 102)[0];
            foreach (SeenCommand other in target.CommandsWhere(c => c.IsWrite && c.Lba != 102))
            {
                Assert.Equal("good", other.Outcome);
                Assert.Equal(1, other.DataOuts);
                Assert.True(other.AnsweredAtPoll > failed.AnsweredAtPoll, "the failure came back while the other writes were in flight");
            }

            Assert.Equal(3, target.CommittedWrites.Count);
            Assert.Equal(data.AsSpan(0, 1024).ToArray(), target.ReadBlocks(100, 2));
            Assert.Equal(before.AsSpan(1024, 1024).ToArray(), target.ReadBlocks(102, 2));
            Assert.Equal(data.AsSpan(2048, 2048).ToArray(), target.ReadBlocks(104, 4));
            Assert.Equal(before.AsSpan(4096).ToArray(), target.ReadBlocks(108, 8));

            // The caller owns the buffer again: nothing sent later may come from it.
            byte[] disk = target.ReadBlocks(100, 16);
            Array.Fill(data, (byte)0x5A);
            for (int i = 0; i < 50; i++)
            {
                device.Session.Poll();
            }

            Assert.Equal(disk, target.ReadBlocks(100, 16));
            Assert.Equal(0, target.StrayDataOuts);
            Assert.Equal(0, target.BadDataOuts);
        }

        [Fact]
        public void A_connection_lost_while_waiting_out_a_failed_write_ends_it_with_the_first_error_and_nothing_leaves_the_buffer_later()
        {
            AutoTarget target = new AutoTarget { TargetImmediateData = false, TargetInitialR2T = true };
            SanDevice device = SanTestKit.Opened(target);
            device.QueueDepth = 4;
            device.MaxTransferBytes = 2 * 512;
            target.LatencyPolls = 6;
            target.CheckCondition(c => c.IsWrite && c.Lba == 102, SenseKey.MediumError, 0x0C, 0x00);
            target.DropAtPoll = target.Polls + 3;
            byte[] disk = target.ReadBlocks(100, 8);
            byte[] data = AutoTarget.RandomBytes(8 * 512, 65);

            Assert.Equal(IscsiStatus.CheckCondition, device.Write(100, 8, data, 0));

            Assert.Equal(0, device.Session.Outstanding);
            Assert.Equal(IscsiSessionState.Failed, device.Session.State);
            Array.Fill(data, (byte)0x5A);
            for (int i = 0; i < 50; i++)
            {
                device.Session.Poll();
            }

            Assert.Equal(disk, target.ReadBlocks(100, 8));
            Assert.Empty(target.CommittedWrites);
            Assert.Equal(0, target.StrayDataOuts);

            // The next request logs in again and is served.
            byte[] again = AutoTarget.RandomBytes(2 * 512, 66);
            Assert.Equal(IscsiStatus.Success, device.Write(100, 2, again, 0));
            Assert.Equal(again, target.ReadBlocks(100, 2));
            Assert.Equal(2, target.Connects);
        }

        [Fact]
        public void A_read_error_while_other_reads_are_in_flight_is_returned_only_after_their_data_arrived()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = SanTestKit.Opened(target);
            device.ReadAheadBytes = 0;
            device.QueueDepth = 4;
            device.MaxTransferBytes = 2 * 512;
            target.LatencyPolls = 6;
            target.CheckCondition(c => c.IsRead && c.Lba == 500, SenseKey.MediumError, 0x11, 0x00);
            byte[] buffer = IscsiTestKit.Canary(16 * 512);

            Assert.Equal(IscsiStatus.CheckCondition, device.Read(500, 16, buffer, 0));

            Assert.Equal(0, device.Session.Outstanding);
            Assert.Equal(4, target.Count(c => c.IsRead));
            Assert.Equal(0UL, device.Session.Counters.StalePdus);
            Assert.Equal(0UL, device.Counters.BytesRead);
            SanTestKit.AssertDisk(target, 502, 6, buffer, 2 * 512);
            Assert.Equal(IscsiTestKit.Canary(1024), buffer.AsSpan(0, 1024).ToArray());
        }
    }
}
