// SanDevice recovery against AutoTarget: a connection cut under a read or a write (the device
// logs in again, re-issues what was unfinished, and the caller's buffer or the disk ends up
// exact), a command the target never answers (the per-command deadline fails the connection and
// the re-login re-issues it), and a target that never answers at all (Timeout after Retries, the
// caller's buffer untouched and not counted as read, and the next request heals the session).
using System;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.San;
using Bootstage.Boot.Scsi;
using Bootstage.Boot.Tests.Iscsi;

namespace Bootstage.Boot.Tests.San
{
    public class SanDeviceRecoveryTests
    {
        private static IscsiOptions SmallSegments()
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.MaxRecvDataSegmentLength = 4096;
            return options;
        }

        private static SanDevice Opened(AutoTarget target)
        {
            SanDevice device = SanTestKit.Opened(target, SmallSegments());
            device.ReadAheadBytes = 0;
            device.MaxTransferBytes = 16 * 1024;
            return device;
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void A_lost_connection_mid_read_logs_in_again_and_the_data_is_exact(bool statusInDataIn)
        {
            AutoTarget target = new AutoTarget { StatusInDataIn = statusInDataIn };
            SanDevice device = Opened(target);
            target.Drop(c => c.IsRead && c.Lba == 164);
            byte[] buffer = IscsiTestKit.Canary(128 * 512 + 16);

            Assert.Equal(IscsiStatus.Success, device.Read(100, 128, buffer, 16));

            SanTestKit.AssertDisk(target, 100, 128, buffer, 16);
            Assert.Equal(0xEE, buffer[15]);
            Assert.Equal(1UL, device.Counters.Reconnects);
            Assert.Equal(2, target.Connects);
            Assert.Equal(new[] { 1, 2 }, target.CommandsWhere(c => c.IsRead && c.Lba == 164).ConvertAll(c => c.Connection).ToArray());
            Assert.True(device.Session.Counters.Reissued >= 1);
            Assert.Equal(4096, target.LargestDataInSegment);
            Assert.Equal(128UL * 512, device.Counters.BytesRead);
            Assert.Equal(0, device.Session.Outstanding);
        }

        [Fact]
        public void The_connection_dropped_after_n_commands_mid_read_still_gives_exact_data()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = Opened(target);
            target.DropAtCommand = target.Commands.Count + 2;
            byte[] buffer = new byte[64 * 512];

            Assert.Equal(IscsiStatus.Success, device.Read(0, 64, buffer, 0));

            SanTestKit.AssertDisk(target, 0, 64, buffer);
            Assert.Equal("dropped", target.Commands[target.DropAtCommand - 1].Outcome);
            Assert.Equal(1UL, device.Counters.Reconnects);
        }

        [Theory]
        [InlineData(true, false)]
        [InlineData(false, true)]
        public void A_lost_connection_mid_write_logs_in_again_and_the_image_ends_up_exact(bool immediateData, bool initialR2T)
        {
            AutoTarget target = new AutoTarget { TargetImmediateData = immediateData, TargetInitialR2T = initialR2T };
            SanDevice device = Opened(target);
            target.Drop(c => c.IsWrite && c.Lba == 332);
            byte[] before = target.ReadBlocks(0, 2048);
            byte[] data = AutoTarget.RandomBytes(128 * 512, 901);

            Assert.Equal(IscsiStatus.Success, device.Write(300, 128, data, 0));

            Assert.Equal(data, target.ReadBlocks(300, 128));
            Assert.Equal(before.AsSpan(0, 300 * 512).ToArray(), target.ReadBlocks(0, 300));
            Assert.Equal(before.AsSpan(428 * 512).ToArray(), target.ReadBlocks(428, 2048 - 428));
            Assert.Equal(1UL, device.Counters.Reconnects);
            Assert.Equal(2, target.Count(c => c.IsWrite && c.Lba == 332));
            Assert.Equal(0, target.BadDataOuts);
            Assert.Equal(128UL * 512, device.Counters.BytesWritten);
        }

        [Fact]
        public void A_read_that_is_never_answered_times_out_and_is_reissued_after_a_new_login()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = Opened(target);
            target.Ignore(c => c.IsRead && c.Lba == 32, times: 1);
            ulong start = target.Milliseconds;
            byte[] buffer = IscsiTestKit.Canary(96 * 512);

            Assert.Equal(IscsiStatus.Success, device.Read(0, 96, buffer, 0));

            SanTestKit.AssertDisk(target, 0, 96, buffer);
            Assert.Equal(1UL, device.Counters.Timeouts);
            Assert.Equal(1UL, device.Counters.Reconnects);
            Assert.Equal(2, target.Connects);
            Assert.True(target.Milliseconds - start > SanTestKit.CommandTimeoutMs);
            Assert.Equal("good", target.CommandsWhere(c => c.IsRead && c.Lba == 32)[1].Outcome);
        }

        [Fact]
        public void A_write_that_is_never_answered_times_out_and_is_reissued_after_a_new_login()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = Opened(target);
            target.Ignore(c => c.IsWrite, times: 1);
            byte[] data = AutoTarget.RandomBytes(40 * 512, 5);

            Assert.Equal(IscsiStatus.Success, device.Write(7, 40, data, 0));

            Assert.Equal(data, target.ReadBlocks(7, 40));
            Assert.Equal(1UL, device.Counters.Timeouts);
            Assert.Equal(2, target.Connects);
        }

        [Fact]
        public void A_target_that_never_answers_ends_in_timeout_after_the_retries_and_the_buffer_is_not_reported_as_read()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = Opened(target);
            device.Retries = 2;
            AutoFault silence = target.Ignore(c => c.IsRead);
            byte[] buffer = IscsiTestKit.Canary(8 * 512);

            IscsiStatus status = device.Read(10, 8, buffer, 0);

            Assert.Equal(IscsiStatus.Timeout, status);
            Assert.Equal(IscsiTestKit.Canary(8 * 512), buffer);
            Assert.Equal(0UL, device.Counters.BytesRead);
            Assert.Equal(3UL, device.Counters.Timeouts);
            Assert.Equal(2UL, device.Counters.Reconnects);
            Assert.Equal(3, target.Count(c => c.IsRead));
            Assert.Equal(0, device.Session.Outstanding);

            // The target recovers: the next request logs in again and is served.
            silence.Remaining = 0;
            Assert.Equal(IscsiStatus.Success, device.Read(10, 8, buffer, 0));
            SanTestKit.AssertDisk(target, 10, 8, buffer);
        }

        [Fact]
        public void A_command_that_is_never_answered_ends_in_timeout_after_the_retries()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = Opened(target);
            device.Retries = 2;
            target.Ignore(c => c.Opcode == ScsiCdb.InquiryOpcode);
            byte[] reply = IscsiTestKit.Canary(96);
            byte[] cdb = new byte[16];

            IscsiStatus status = device.Command(cdb.AsSpan(0, ScsiCdb.StandardInquiry(96, cdb)), false, reply, 0, 96);

            Assert.Equal(IscsiStatus.Timeout, status);
            Assert.Equal(IscsiTestKit.Canary(96), reply);
            Assert.Equal(3, target.Count(c => c.Opcode == ScsiCdb.InquiryOpcode && c.Number > 3));
            Assert.Equal(0, device.Session.Outstanding);
        }

        [Fact]
        public void Target_not_found_while_a_target_that_served_us_restarts_is_waited_out()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = Opened(target);
            target.Drop(c => c.IsRead);
            target.LoginStatus = 0x0203;
            target.LoginFailures = 2;
            byte[] buffer = new byte[16 * 512];

            Assert.Equal(IscsiStatus.Success, device.Read(0, 16, buffer, 0));

            SanTestKit.AssertDisk(target, 0, 16, buffer);
            Assert.Equal(2, target.LoginsRefused);
            Assert.Equal(4, target.Connects);
            Assert.Equal(3UL, device.Counters.Reconnects);
        }

        [Fact]
        public void A_target_that_cannot_be_reached_again_ends_the_read_with_the_connect_error()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = Opened(target);
            device.Retries = 2;
            target.Drop(c => c.IsRead);
            target.Scripted.ConnectResult = IscsiStatus.ConnectFailed;
            byte[] buffer = IscsiTestKit.Canary(4 * 512);

            IscsiStatus status = device.Read(0, 4, buffer, 0);

            Assert.Equal(IscsiStatus.ConnectFailed, status);
            Assert.Equal(3, target.Connects);
            Assert.Equal(0UL, device.Counters.BytesRead);
            Assert.Equal(0, device.Session.Outstanding);
        }

        [Fact]
        public void A_target_that_asks_for_a_logout_gets_one_before_the_next_request_and_a_fresh_login()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = Opened(target);
            Assert.Equal(1, target.Logins);

            // Async event 1: "please log out" (RFC 7143 §11.9.1), arriving while the device is idle.
            target.Scripted.Push(target.Scripted.Async(1, parameter3: 5));
            device.Session.Poll();
            Assert.True(device.Session.LogoutRequested);

            byte[] buffer = new byte[8 * 512];
            Assert.Equal(IscsiStatus.Success, device.Read(40, 8, buffer, 0));
            SanTestKit.AssertDisk(target, 40, 8, buffer);
            Assert.Equal(1, target.LogoutRequests);
            Assert.Equal(2, target.Logins);
            Assert.False(device.Session.LogoutRequested);
        }
    }
}
