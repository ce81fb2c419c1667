// SanDevice reads and writes against a well-behaved AutoTarget: byte-exact round trips with
// Data-In cut to our MaxRecvDataSegmentLength and status in the last Data-In or a SCSI Response,
// writes through immediate data, unsolicited Data-Out and R2T bursts; a GOOD status for a
// transfer the target cut short (residual underflow) is not a success; and the range checks
// (past the end, zero or negative counts, short buffers, bad offsets) that refuse a request with
// InvalidArgument before anything reaches the wire, or NotLoggedIn before Open.
using System;
using System.Collections.Generic;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.San;
using Bootstage.Boot.Tests.Iscsi;

namespace Bootstage.Boot.Tests.San
{
    public class SanDeviceTransferTests
    {
        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void A_read_is_exact_with_data_in_cut_to_our_segment_length(bool statusInDataIn)
        {
            AutoTarget target = new AutoTarget { StatusInDataIn = statusInDataIn };
            IscsiOptions options = IscsiTestKit.Options();
            options.MaxRecvDataSegmentLength = 1024;
            SanDevice device = SanTestKit.Opened(target, options);
            device.ReadAheadBytes = 0;
            byte[] buffer = IscsiTestKit.Canary(200 * 512 + 8);

            Assert.Equal(IscsiStatus.Success, device.Read(1000, 200, buffer, 4));

            SanTestKit.AssertDisk(target, 1000, 200, buffer, 4);
            Assert.Equal(0xEE, buffer[3]);
            Assert.Equal(0xEE, buffer[200 * 512 + 4]);
            Assert.Equal(1024, target.LargestDataInSegment);
            Assert.Equal(2, target.Count(c => c.IsRead));
            Assert.Equal(200UL * 512, device.Counters.BytesRead);
        }

        [Theory]
        [InlineData(true, false, 65536u)]
        [InlineData(true, false, 16384u)]
        [InlineData(false, true, 65536u)]
        [InlineData(true, true, 65536u)]
        public void A_write_reaches_the_disk_exactly_through_immediate_unsolicited_and_solicited_data(bool immediateData, bool initialR2T, uint firstBurst)
        {
            AutoTarget target = new AutoTarget
            {
                TargetImmediateData = immediateData,
                TargetInitialR2T = initialR2T,
                TargetFirstBurstLength = firstBurst,
                TargetMaxBurstLength = 32768,
            };
            SanDevice device = SanTestKit.Opened(target);
            byte[] before = target.ReadBlocks(0, 2048);
            byte[] data = AutoTarget.RandomBytes(300 * 512, 17);

            Assert.Equal(IscsiStatus.Success, device.Write(700, 300, data, 0));

            Assert.Equal(data, target.ReadBlocks(700, 300));
            Assert.Equal(before.AsSpan(0, 700 * 512).ToArray(), target.ReadBlocks(0, 700));
            Assert.Equal(before.AsSpan(1000 * 512).ToArray(), target.ReadBlocks(1000, 1048));
            Assert.Equal(0, target.BadDataOuts);
            Assert.Equal(0, target.StrayDataOuts);
            Assert.True(target.LargestDataOutSegment <= 8192);
            Assert.Equal(3, target.CommittedWrites.Count);
            Assert.Equal(300UL * 512, device.Counters.BytesWritten);
            List<SentPdu> dataOut = target.Scripted.SentOf(IscsiPdu.DataOut);
            Assert.Equal(initialR2T || firstBurst < 128 * 512, dataOut.Exists(p => p.Ttt != IscsiPdu.ReservedTag));
            Assert.Equal(!initialR2T, dataOut.Exists(p => p.Ttt == IscsiPdu.ReservedTag));
            Assert.Equal(immediateData, target.Commands.Exists(c => c.IsWrite && c.ImmediateBytes > 0));
        }

        [Fact]
        public void A_read_the_target_calls_good_but_cut_short_is_not_reported_as_read()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = SanTestKit.Opened(target);
            device.ReadAheadBytes = 0;
            target.ShortTransfer(c => c.IsRead && c.Lba == 40);
            byte[] buffer = IscsiTestKit.Canary(8 * 512);

            IscsiStatus status = device.Read(40, 8, buffer, 0);

            Assert.Equal(IscsiStatus.ProtocolError, status);
            Assert.Equal("short", target.Commands[target.Commands.Count - 1].Outcome);
            Assert.Equal(IscsiTestKit.Canary(4 * 512), buffer.AsSpan(4 * 512).ToArray());
            Assert.Equal(0UL, device.Counters.BytesRead);
        }

        [Fact]
        public void A_write_the_target_calls_good_but_cut_short_is_not_reported_as_written()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = SanTestKit.Opened(target);
            target.ShortTransfer(c => c.IsWrite);
            byte[] data = AutoTarget.RandomBytes(32 * 512, 12);

            IscsiStatus status = device.Write(64, 32, data, 0);

            Assert.Equal(IscsiStatus.ProtocolError, status);
            Assert.Equal(0UL, device.Counters.BytesWritten);
        }

        [Fact]
        public void The_last_block_of_the_disk_can_be_read_and_written()
        {
            AutoTarget target = new AutoTarget(blockCount: 100);
            SanDevice device = SanTestKit.Opened(target);
            byte[] block = AutoTarget.RandomBytes(512, 3);

            Assert.Equal(IscsiStatus.Success, device.Write(99, 1, block, 0));
            byte[] back = new byte[512];
            Assert.Equal(IscsiStatus.Success, device.Read(99, 1, back, 0));

            Assert.Equal(block, back);
            Assert.Equal(block, target.ReadBlocks(99, 1));
        }

        [Fact]
        public void Before_open_reads_and_writes_are_refused_with_not_logged_in_and_nothing_connects()
        {
            AutoTarget target = new AutoTarget();
            SanDevice device = SanTestKit.Device(target);

            Assert.Equal(IscsiStatus.NotLoggedIn, device.Read(0, 1, new byte[512], 0));
            Assert.Equal(IscsiStatus.NotLoggedIn, device.Write(0, 1, new byte[512], 0));

            Assert.Equal(0, target.Connects);
            Assert.Empty(target.Scripted.Sent);
        }

        [Theory]
        [InlineData(99UL, 2, 1024, 0)]
        [InlineData(100UL, 1, 512, 0)]
        [InlineData(ulong.MaxValue, 1, 512, 0)]
        [InlineData(0x1_0000_0000UL, 1, 512, 0)]
        [InlineData(0UL, 0, 512, 0)]
        [InlineData(0UL, -1, 512, 0)]
        [InlineData(0UL, int.MinValue, 512, 0)]
        [InlineData(0UL, 2, 1023, 0)]
        [InlineData(0UL, 1, 512, 1)]
        [InlineData(0UL, 1, 512, -1)]
        [InlineData(0UL, 1, 0, 0)]
        [InlineData(50UL, int.MaxValue, 512, 0)]
        public void A_request_outside_the_disk_or_the_buffer_is_refused_before_anything_reaches_the_wire(ulong lba, int blocks, int bufferLength, int offset)
        {
            AutoTarget target = new AutoTarget(blockCount: 100);
            SanDevice device = SanTestKit.Opened(target);
            int commands = target.Commands.Count;
            int sent = target.Scripted.Sent.Count;
            byte[] buffer = IscsiTestKit.Canary(bufferLength);

            Assert.Equal(IscsiStatus.InvalidArgument, device.Read(lba, blocks, buffer, offset));
            Assert.Equal(IscsiStatus.InvalidArgument, device.Write(lba, blocks, buffer, offset));

            Assert.Equal(commands, target.Commands.Count);
            Assert.Equal(sent, target.Scripted.Sent.Count);
            Assert.Equal(IscsiTestKit.Canary(bufferLength), buffer);
            Assert.Equal(0UL, device.Counters.BytesRead + device.Counters.BytesWritten);
        }

        [Fact]
        public void A_null_buffer_is_refused_with_invalid_argument()
        {
            AutoTarget target = new AutoTarget(blockCount: 100);
            SanDevice device = SanTestKit.Opened(target);
            int commands = target.Commands.Count;

            Assert.Equal(IscsiStatus.InvalidArgument, device.Read(0, 1, null!, 0));
            Assert.Equal(IscsiStatus.InvalidArgument, device.Write(0, 1, null!, 0));

            Assert.Equal(commands, target.Commands.Count);
        }
    }
}
