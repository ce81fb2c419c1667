// Writes (RFC 7143 §4.2.5, §11.7, §11.8): immediate data bounded by FirstBurstLength and the
// target's MaxRecvDataSegmentLength, unsolicited Data-Out (TTT 0xffffffff) only when InitialR2T=No,
// and R2T answered with Data-Out PDUs that carry the R2T's TTT, consecutive offsets, DataSN from 0
// per R2T, F on the last and no more than the target's MaxRecvDataSegmentLength each. R2Ts outside
// the buffer, empty, for a read or above MaxBurstLength fail the connection.
using System;
using System.Collections.Generic;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests.Iscsi
{
    public class IscsiDataOutTests
    {
        private readonly ScriptedTarget _target = new ScriptedTarget();

        private IscsiSession Session(string keys, bool immediate = true, bool initialR2T = false)
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.ImmediateData = immediate;
            options.InitialR2T = initialR2T;
            return IscsiTestKit.LoggedIn(_target, options, keys);
        }

        private static void AssertDataOut(SentPdu pdu, IscsiTask task, uint ttt, uint offset, uint dataSn, byte[] source, int length, bool final)
        {
            Assert.Equal(IscsiPdu.DataOut, pdu.Opcode);
            Assert.False(pdu.Immediate);
            Assert.Equal(task.Tag, pdu.Itt);
            Assert.Equal(ttt, pdu.Ttt);
            Assert.Equal(offset, pdu.BufferOffset);
            Assert.Equal(dataSn, pdu.DataSn);
            Assert.Equal(final, pdu.Final);
            Assert.Equal(source.AsSpan((int)offset, length).ToArray(), pdu.Data);
        }

        [Fact]
        public void R2t_is_answered_with_data_out_carrying_its_ttt_offsets_data_sn_from_zero_and_f_on_the_last()
        {
            IscsiSession session = Session(IscsiTestKit.Keys("ImmediateData=No", "InitialR2T=Yes", "MaxRecvDataSegmentLength=4096"));
            byte[] source = IscsiTestKit.Pattern(10000);
            IscsiTask task = IscsiTestKit.Write(session, source, 0, source.Length);
            SentPdu command = _target.LastSent(IscsiPdu.ScsiCommand);
            Assert.Empty(command.Data);
            Assert.Equal(10000u, command.ExpectedLength);
            Assert.Equal(IscsiPdu.FinalFlag | IscsiPdu.WriteFlag, command.Flags & (IscsiPdu.FinalFlag | IscsiPdu.WriteFlag | IscsiPdu.ReadFlag));
            session.Poll();
            Assert.Empty(_target.SentOf(IscsiPdu.DataOut));

            _target.Deliver(session, _target.R2T(task.Tag, 0x1234, 0, 0, 10000));
            List<SentPdu> dataOut = _target.SentOf(IscsiPdu.DataOut);
            Assert.Equal(3, dataOut.Count);
            AssertDataOut(dataOut[0], task, 0x1234, 0, 0, source, 4096, false);
            AssertDataOut(dataOut[1], task, 0x1234, 4096, 1, source, 4096, false);
            AssertDataOut(dataOut[2], task, 0x1234, 8192, 2, source, 1808, true);

            _target.Deliver(session, _target.ScsiResponse(task.Tag));
            Assert.Equal(IscsiStatus.Success, task.Result);
        }

        [Fact]
        public void Each_r2t_starts_its_own_data_sn_at_zero_and_keeps_its_own_ttt()
        {
            IscsiSession session = Session(IscsiTestKit.Keys("ImmediateData=No", "InitialR2T=Yes", "MaxRecvDataSegmentLength=4096", "MaxOutstandingR2T=2"));
            byte[] source = IscsiTestKit.Pattern(12000, 3);
            IscsiTask task = IscsiTestKit.Write(session, source, 0, source.Length);
            _target.Deliver(session, _target.R2T(task.Tag, 0xA, 0, 0, 6000), _target.R2T(task.Tag, 0xB, 1, 6000, 6000));
            List<SentPdu> dataOut = _target.SentOf(IscsiPdu.DataOut);
            Assert.Equal(4, dataOut.Count);
            AssertDataOut(dataOut[0], task, 0xA, 0, 0, source, 4096, false);
            AssertDataOut(dataOut[1], task, 0xA, 4096, 1, source, 1904, true);
            AssertDataOut(dataOut[2], task, 0xB, 6000, 0, source, 4096, false);
            AssertDataOut(dataOut[3], task, 0xB, 10096, 1, source, 1904, true);
        }

        [Fact]
        public void Data_out_never_exceeds_the_targets_max_recv_data_segment_length_nor_reads_outside_the_callers_range()
        {
            IscsiSession session = Session(IscsiTestKit.Keys("ImmediateData=No", "InitialR2T=Yes", "MaxRecvDataSegmentLength=512"));
            byte[] buffer = IscsiTestKit.Canary(3000, 0x99);
            byte[] payload = IscsiTestKit.Pattern(2000, 8);
            payload.CopyTo(buffer, 500);
            IscsiTask task = IscsiTestKit.Write(session, buffer, 500, 2000);
            _target.Deliver(session, _target.R2T(task.Tag, 1, 0, 0, 2000));
            List<SentPdu> dataOut = _target.SentOf(IscsiPdu.DataOut);
            Assert.Equal(4, dataOut.Count);
            int total = 0;
            foreach (SentPdu pdu in dataOut)
            {
                Assert.True(pdu.Data.Length <= 512);
                Assert.Equal(payload.AsSpan((int)pdu.BufferOffset, pdu.Data.Length).ToArray(), pdu.Data);
                total += pdu.Data.Length;
            }

            Assert.Equal(2000, total);
        }

        [Theory]
        [InlineData(0u, 10001u)]
        [InlineData(9000u, 1001u)]
        [InlineData(10000u, 1u)]
        [InlineData(0xFFFFFFF0u, 0x20u)]
        [InlineData(0u, 0u)]
        public void An_r2t_beyond_the_buffer_or_of_length_zero_fails_the_connection(uint offset, uint length)
        {
            IscsiSession session = Session(IscsiTestKit.Keys("ImmediateData=No", "InitialR2T=Yes"));
            byte[] source = IscsiTestKit.Pattern(10000);
            IscsiTask task = IscsiTestKit.Write(session, source, 0, source.Length);
            _target.Deliver(session, _target.R2T(task.Tag, 7, 0, offset, length));
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
            Assert.Empty(_target.SentOf(IscsiPdu.DataOut));
        }

        [Fact]
        public void An_r2t_above_max_burst_length_or_with_the_reserved_ttt_fails_the_connection()
        {
            IscsiSession session = Session(IscsiTestKit.Keys("ImmediateData=No", "InitialR2T=Yes", "MaxBurstLength=4096"));
            IscsiTask task = IscsiTestKit.Write(session, IscsiTestKit.Pattern(10000), 0, 10000);
            _target.Deliver(session, _target.R2T(task.Tag, 7, 0, 0, 4097));
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);

            ScriptedTarget other = new ScriptedTarget();
            IscsiSession second = IscsiTestKit.LoggedIn(other);
            IscsiTask write = IscsiTestKit.Write(second, IscsiTestKit.Pattern(100000), 0, 100000);
            other.Deliver(second, other.R2T(write.Tag, IscsiPdu.ReservedTag, 0, 65536, 4096));
            Assert.Equal(IscsiStatus.ProtocolError, second.LastError);
        }

        [Fact]
        public void An_r2t_for_a_read_task_fails_the_connection()
        {
            IscsiSession session = Session(IscsiTestKit.DefaultOperationalKeys);
            byte[] buffer = IscsiTestKit.Canary(4096);
            IscsiTask task = IscsiTestKit.Read(session, buffer, 0, 4096);
            _target.Deliver(session, _target.R2T(task.Tag, 7, 0, 0, 4096));
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
            Assert.Empty(_target.SentOf(IscsiPdu.DataOut));
        }

        [Fact]
        public void An_r2t_for_an_unknown_task_is_counted_as_stale_and_sends_nothing()
        {
            IscsiSession session = Session(IscsiTestKit.DefaultOperationalKeys);
            _target.Deliver(session, _target.R2T(0x0000_0FC1, 7, 0, 0, 4096));
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
            Assert.Equal(1UL, session.Counters.StalePdus);
            Assert.Empty(_target.SentOf(IscsiPdu.DataOut));
        }

        [Theory]
        [InlineData(8192, 65536, 8192)]
        [InlineData(65536, 4096, 4096)]
        [InlineData(1000, 65536, 1000)]
        [InlineData(16384, 16384, 16384)]
        public void Immediate_data_is_limited_by_first_burst_length_and_the_targets_max_recv_data_segment_length(int firstBurst, int targetMrdsl, int expected)
        {
            IscsiSession session = Session(IscsiTestKit.Keys("InitialR2T=Yes", "ImmediateData=Yes", "FirstBurstLength=" + firstBurst, "MaxRecvDataSegmentLength=" + targetMrdsl));
            byte[] source = IscsiTestKit.Pattern(40000);
            IscsiTestKit.Write(session, source, 0, source.Length);
            session.Poll();
            SentPdu command = _target.LastSent(IscsiPdu.ScsiCommand);
            Assert.Equal(source.AsSpan(0, Math.Min(expected, firstBurst)).ToArray(), command.Data);
            Assert.Empty(_target.SentOf(IscsiPdu.DataOut));
        }

        [Fact]
        public void A_write_shorter_than_the_first_burst_goes_entirely_as_immediate_data()
        {
            IscsiSession session = Session(IscsiTestKit.Keys("InitialR2T=Yes", "ImmediateData=Yes"));
            byte[] source = IscsiTestKit.Pattern(700);
            IscsiTask task = IscsiTestKit.Write(session, source, 0, source.Length);
            Assert.Equal(source, _target.LastSent(IscsiPdu.ScsiCommand).Data);
            _target.Deliver(session, _target.ScsiResponse(task.Tag));
            Assert.Equal(IscsiStatus.Success, task.Result);
        }

        [Fact]
        public void No_immediate_data_when_the_target_answers_immediate_data_no()
        {
            IscsiSession session = Session(IscsiTestKit.Keys("InitialR2T=Yes", "ImmediateData=No"));
            IscsiTestKit.Write(session, IscsiTestKit.Pattern(700), 0, 700);
            session.Poll();
            Assert.Empty(_target.LastSent(IscsiPdu.ScsiCommand).Data);
            Assert.Empty(_target.SentOf(IscsiPdu.DataOut));
        }

        [Fact]
        public void Unsolicited_data_out_uses_the_reserved_ttt_up_to_first_burst_length_when_initial_r2t_is_no()
        {
            IscsiSession session = Session(IscsiTestKit.Keys("InitialR2T=No", "ImmediateData=Yes", "FirstBurstLength=16384", "MaxRecvDataSegmentLength=4096"));
            Assert.False(session.Parameters.InitialR2T);
            byte[] source = IscsiTestKit.Pattern(40000, 2);
            IscsiTask task = IscsiTestKit.Write(session, source, 0, source.Length);
            session.Poll();
            Assert.Equal(source.AsSpan(0, 4096).ToArray(), _target.LastSent(IscsiPdu.ScsiCommand).Data);
            // F=0 on the command: unsolicited Data-Out follows (a target reads F=1 as "R2T the rest").
            Assert.False(_target.LastSent(IscsiPdu.ScsiCommand).Final);
            List<SentPdu> dataOut = _target.SentOf(IscsiPdu.DataOut);
            Assert.Equal(3, dataOut.Count);
            AssertDataOut(dataOut[0], task, IscsiPdu.ReservedTag, 4096, 0, source, 4096, false);
            AssertDataOut(dataOut[1], task, IscsiPdu.ReservedTag, 8192, 1, source, 4096, false);
            AssertDataOut(dataOut[2], task, IscsiPdu.ReservedTag, 12288, 2, source, 4096, true);

            // The rest is solicited.
            _target.Deliver(session, _target.R2T(task.Tag, 0x77, 0, 16384, 23616));
            List<SentPdu> all = _target.SentOf(IscsiPdu.DataOut);
            Assert.Equal(3 + 6, all.Count);
            Assert.Equal(0x77u, all[3].Ttt);
            Assert.Equal(16384u, all[3].BufferOffset);
            Assert.Equal(0u, all[3].DataSn);
            Assert.True(all[8].Final);
        }

        [Fact]
        public void Unsolicited_data_out_without_immediate_data_starts_at_offset_zero()
        {
            IscsiSession session = Session(IscsiTestKit.Keys("InitialR2T=No", "ImmediateData=No", "FirstBurstLength=8192", "MaxRecvDataSegmentLength=8192"), immediate: false);
            byte[] source = IscsiTestKit.Pattern(5000, 4);
            IscsiTask task = IscsiTestKit.Write(session, source, 0, source.Length);
            session.Poll();
            Assert.Empty(_target.LastSent(IscsiPdu.ScsiCommand).Data);
            Assert.False(_target.LastSent(IscsiPdu.ScsiCommand).Final);
            List<SentPdu> dataOut = _target.SentOf(IscsiPdu.DataOut);
            Assert.Single(dataOut);
            AssertDataOut(dataOut[0], task, IscsiPdu.ReservedTag, 0, 0, source, 5000, true);
        }

        [Fact]
        public void No_unsolicited_data_out_when_initial_r2t_is_yes()
        {
            IscsiSession session = Session(IscsiTestKit.Keys("InitialR2T=Yes", "ImmediateData=Yes", "FirstBurstLength=16384", "MaxRecvDataSegmentLength=4096"));
            Assert.True(session.Parameters.InitialR2T);
            IscsiTestKit.Write(session, IscsiTestKit.Pattern(40000), 0, 40000);
            session.Poll();
            session.Poll();
            Assert.Empty(_target.SentOf(IscsiPdu.DataOut));
            Assert.True(_target.LastSent(IscsiPdu.ScsiCommand).Final);
        }

        [Fact]
        public void Data_out_still_queued_when_a_write_ends_is_taken_back_not_sent_from_the_callers_buffer()
        {
            IscsiSession session = Session(IscsiTestKit.Keys("ImmediateData=No", "InitialR2T=Yes", "MaxRecvDataSegmentLength=4096"));
            byte[] source = IscsiTestKit.Pattern(10000);
            IscsiTask task = IscsiTestKit.Write(session, source, 0, source.Length);
            _target.SendBudget = 0;
            _target.Deliver(session, _target.R2T(task.Tag, 0x77, 0, 0, 10000));
            Assert.Empty(_target.SentOf(IscsiPdu.DataOut));

            // The target ends the task early; the caller may reuse its buffer at once.
            _target.Deliver(session, _target.ScsiResponse(task.Tag, status: 0x02));
            Assert.True(task.IsDone);
            Array.Clear(source);
            _target.SendBudget = int.MaxValue;
            session.Poll();
            Assert.Empty(_target.SentOf(IscsiPdu.DataOut));
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
        }

        [Fact]
        public void A_write_that_ends_while_its_data_out_is_half_sent_drops_the_connection()
        {
            IscsiSession session = Session(IscsiTestKit.Keys("ImmediateData=No", "InitialR2T=Yes", "MaxRecvDataSegmentLength=4096"));
            byte[] source = IscsiTestKit.Pattern(10000);
            IscsiTask task = IscsiTestKit.Write(session, source, 0, source.Length);
            _target.SendBudget = IscsiPdu.BasicHeaderLength + 100;
            _target.Deliver(session, _target.R2T(task.Tag, 0x77, 0, 0, 10000));
            Assert.Empty(_target.SentOf(IscsiPdu.DataOut));

            _target.Deliver(session, _target.ScsiResponse(task.Tag, status: 0x02));
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
        }

        [Fact]
        public void An_r2t_beyond_max_outstanding_r2t_fails_the_connection()
        {
            IscsiSession session = Session(IscsiTestKit.Keys("ImmediateData=No", "InitialR2T=Yes", "MaxOutstandingR2T=1", "MaxRecvDataSegmentLength=512"));
            Assert.Equal(1u, session.Parameters.MaxOutstandingR2T);
            byte[] source = IscsiTestKit.Pattern(256 * 1024);
            IscsiTask task = IscsiTestKit.Write(session, source, 0, source.Length);

            // A blocked socket keeps the first burst (128 PDUs of 512 bytes) from being queued to its end.
            _target.SendBudget = 0;
            _target.Deliver(session, _target.R2T(task.Tag, 0x10, 0, 0, 65536));
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
            _target.Deliver(session, _target.R2T(task.Tag, 0x11, 1, 65536, 65536));
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
        }
    }
}
