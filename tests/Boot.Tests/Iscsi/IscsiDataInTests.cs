// Data-In and SCSI Response from a hostile target (RFC 7143 §11.4, §11.7): data lands in the
// caller's buffer only in order (BufferOffset, DataSN), only inside the task's range and only for
// a read; anything else fails the connection and leaves the buffer alone. PDUs for tasks we no
// longer know are counted and dropped. A good status must account for every byte, S needs F, and
// a SenseLength that lies about the segment never reads past it.
using System;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests.Iscsi
{
    public class IscsiDataInTests
    {
        // The task reads Length bytes into the middle of a canary-filled buffer.
        private const int Offset = 512;
        private const int Length = 1024;

        private readonly ScriptedTarget _target = new ScriptedTarget();
        private readonly IscsiSession _session;
        private readonly byte[] _buffer = IscsiTestKit.Canary(2048);

        public IscsiDataInTests()
        {
            _session = IscsiTestKit.LoggedIn(_target);
        }

        private IscsiTask Read() => IscsiTestKit.Read(_session, _buffer, Offset, Length);

        private void AssertConnectionFailed(IscsiStatus reason)
        {
            Assert.Equal(IscsiSessionState.Failed, _session.State);
            Assert.Equal(reason, _session.LastError);
        }

        private void AssertUntouchedOutside(int from, int to)
        {
            for (int i = 0; i < _buffer.Length; i++)
            {
                if (i < from || i >= to)
                {
                    Assert.True(_buffer[i] == 0xEE, "byte " + i + " was written");
                }
            }
        }

        private void AssertUntouched() => AssertUntouchedOutside(0, 0);

        [Fact]
        public void Data_in_in_order_lands_in_the_callers_range_and_completes_the_read()
        {
            IscsiTask task = Read();
            byte[] data = IscsiTestKit.Pattern(Length);
            _target.Deliver(_session,
                _target.DataIn(task.Tag, 0, 0, data.AsSpan(0, 400).ToArray(), flags: 0),
                _target.DataIn(task.Tag, 400, 1, data.AsSpan(400, 401).ToArray(), flags: 0),
                _target.DataIn(task.Tag, 801, 2, data.AsSpan(801).ToArray(), flags: ScriptedTarget.F | ScriptedTarget.S));
            Assert.Equal(IscsiStatus.Success, task.Result);
            Assert.True(task.IsDone);
            Assert.Equal(data, _buffer.AsSpan(Offset, Length).ToArray());
            AssertUntouchedOutside(Offset, Offset + Length);
            Assert.Equal(IscsiSessionState.FullFeature, _session.State);
        }

        [Fact]
        public void Data_in_with_an_out_of_order_buffer_offset_fails_the_connection_and_writes_nothing()
        {
            IscsiTask task = Read();
            _target.Deliver(_session, _target.DataIn(task.Tag, 512, 0, IscsiTestKit.Pattern(512), flags: 0));
            AssertConnectionFailed(IscsiStatus.ProtocolError);
            AssertUntouched();
            Assert.False(task.IsDone);
        }

        [Fact]
        public void Data_in_that_repeats_an_offset_already_received_fails_the_connection()
        {
            IscsiTask task = Read();
            _target.Deliver(_session, _target.DataIn(task.Tag, 0, 0, IscsiTestKit.Pattern(512, 3), flags: 0));
            _target.Deliver(_session, _target.DataIn(task.Tag, 0, 1, IscsiTestKit.Pattern(512, 9), flags: 0));
            AssertConnectionFailed(IscsiStatus.ProtocolError);
            Assert.Equal(IscsiTestKit.Pattern(512, 3), _buffer.AsSpan(Offset, 512).ToArray());
            AssertUntouchedOutside(Offset, Offset + 512);
        }

        [Theory]
        [InlineData(1u)]
        [InlineData(5u)]
        [InlineData(0xFFFFFFFFu)]
        public void Data_in_with_a_wrong_data_sn_fails_the_connection(uint dataSn)
        {
            IscsiTask task = Read();
            _target.Deliver(_session, _target.DataIn(task.Tag, 0, dataSn, IscsiTestKit.Pattern(Length), flags: ScriptedTarget.F | ScriptedTarget.S));
            AssertConnectionFailed(IscsiStatus.ProtocolError);
            Assert.False(task.IsDone);
            AssertUntouchedOutside(Offset, Offset + Length);
        }

        [Theory]
        [InlineData(0u, 1025)]
        [InlineData(0u, 2048)]
        [InlineData(1024u, 4)]
        [InlineData(0xFFFFFF00u, 512)]
        public void Data_in_past_the_end_of_the_buffer_fails_the_connection_and_writes_nothing(uint offset, int length)
        {
            IscsiTask task = Read();
            if (offset == 1024)
            {
                _target.Deliver(_session, _target.DataIn(task.Tag, 0, 0, IscsiTestKit.Pattern(1024), flags: 0));
                Assert.Equal(IscsiSessionState.FullFeature, _session.State);
                Array.Fill(_buffer, (byte)0xEE, Offset, 1024);
            }

            _target.Deliver(_session, _target.DataIn(task.Tag, offset, offset == 1024 ? 1u : 0u, IscsiTestKit.Pattern(length), flags: ScriptedTarget.F));
            AssertConnectionFailed(IscsiStatus.ProtocolError);
            AssertUntouched();
            Assert.False(task.IsDone);
        }

        [Fact]
        public void Data_in_for_a_write_task_fails_the_connection_and_leaves_the_write_buffer_alone()
        {
            byte[] source = IscsiTestKit.Pattern(Length, 5);
            IscsiTask write = IscsiTestKit.Write(_session, source, 0, Length);
            _target.Deliver(_session, _target.DataIn(write.Tag, 0, 0, new byte[Length], flags: ScriptedTarget.F | ScriptedTarget.S));
            AssertConnectionFailed(IscsiStatus.ProtocolError);
            Assert.Equal(IscsiTestKit.Pattern(Length, 5), source);
            Assert.False(write.IsDone);
        }

        [Fact]
        public void An_empty_data_in_with_status_for_a_write_task_is_malformed_and_does_not_complete_it()
        {
            byte[] source = IscsiTestKit.Pattern(Length, 5);
            IscsiTask write = IscsiTestKit.Write(_session, source, 0, Length);
            _target.Deliver(_session, _target.DataIn(write.Tag, 0, 0, Array.Empty<byte>(), flags: ScriptedTarget.F | ScriptedTarget.S));
            AssertConnectionFailed(IscsiStatus.ProtocolError);
            Assert.NotEqual(IscsiStatus.Success, write.Result);
        }

        [Theory]
        [InlineData(0x00000000u)]
        [InlineData(0x0000001Fu)]
        [InlineData(0x12345678u)]
        [InlineData(0x80000001u)]
        public void Data_in_for_an_unknown_itt_is_dropped_and_counted_once_without_failing(uint itt)
        {
            IscsiTask task = Read();
            ulong before = _session.Counters.StalePdus;
            _target.Deliver(_session, _target.DataIn(itt == 0 ? task.Tag ^ 0x40 : itt, 0, 0, IscsiTestKit.Pattern(Length), flags: ScriptedTarget.F | ScriptedTarget.S));
            Assert.Equal(IscsiSessionState.FullFeature, _session.State);
            Assert.Equal(before + 1, _session.Counters.StalePdus);
            AssertUntouched();
            Assert.False(task.IsDone);
        }

        [Fact]
        public void Data_in_for_a_finished_and_reused_task_slot_is_stale_and_cannot_reach_the_new_buffer()
        {
            IscsiTask first = Read();
            uint oldTag = first.Tag;
            _target.Deliver(_session, _target.DataIn(oldTag, 0, 0, IscsiTestKit.Pattern(Length), flags: ScriptedTarget.F | ScriptedTarget.S));
            Assert.Equal(IscsiStatus.Success, first.Result);
            _session.Release(first);

            byte[] other = IscsiTestKit.Canary(Length);
            IscsiTask second = IscsiTestKit.Read(_session, other, 0, Length);
            Assert.Same(first, second);
            Assert.NotEqual(oldTag, second.Tag);

            _target.Deliver(_session, _target.DataIn(oldTag, 0, 0, new byte[Length], flags: ScriptedTarget.F | ScriptedTarget.S));
            Assert.Equal(IscsiSessionState.FullFeature, _session.State);
            Assert.Equal(1UL, _session.Counters.StalePdus);
            Assert.Equal(IscsiTestKit.Canary(Length), other);
            Assert.False(second.IsDone);
        }

        [Fact]
        public void A_good_status_with_missing_bytes_completes_the_task_with_protocol_error_not_success()
        {
            IscsiTask task = Read();
            _target.Deliver(_session,
                _target.DataIn(task.Tag, 0, 0, IscsiTestKit.Pattern(512), flags: 0),
                _target.ScsiResponse(task.Tag));
            Assert.True(task.IsDone);
            Assert.Equal(IscsiStatus.ProtocolError, task.Result);
        }

        [Fact]
        public void A_good_status_in_the_last_data_in_with_bytes_missing_is_not_success_either()
        {
            IscsiTask task = Read();
            _target.Deliver(_session, _target.DataIn(task.Tag, 0, 0, IscsiTestKit.Pattern(512), flags: ScriptedTarget.F | ScriptedTarget.S, residual: 100));
            Assert.Equal(IscsiStatus.ProtocolError, task.Result);
        }

        [Fact]
        public void An_underflow_residual_that_accounts_for_the_missing_bytes_is_success()
        {
            IscsiTask task = Read();
            _target.Deliver(_session,
                _target.DataIn(task.Tag, 0, 0, IscsiTestKit.Pattern(512), flags: 0),
                _target.ScsiResponse(task.Tag, residual: 512, underflow: true));
            Assert.Equal(IscsiStatus.Success, task.Result);
            Assert.Equal(512, task.Residual);
            AssertUntouchedOutside(Offset, Offset + 512);
        }

        [Fact]
        public void A_residual_larger_than_the_task_is_not_believed()
        {
            IscsiTask task = Read();
            _target.Deliver(_session, _target.ScsiResponse(task.Tag, residual: 5000, underflow: true));
            Assert.Equal(IscsiStatus.ProtocolError, task.Result);
            Assert.Equal(0, task.Residual);
        }

        [Fact]
        public void The_status_bit_without_the_final_bit_is_malformed_and_fails_the_connection()
        {
            IscsiTask task = Read();
            _target.Deliver(_session, _target.DataIn(task.Tag, 0, 0, IscsiTestKit.Pattern(Length), flags: ScriptedTarget.S));
            AssertConnectionFailed(IscsiStatus.ProtocolError);
            Assert.False(task.IsDone);
        }

        [Fact]
        public void Sense_length_larger_than_the_segment_reads_nothing_out_of_bounds()
        {
            IscsiTask task = Read();
            byte[] sense = { 0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0 };
            _target.Deliver(_session, _target.ScsiResponse(task.Tag, status: 0x02, sense: sense, senseLengthField: 0xFFFF));
            Assert.Equal(IscsiStatus.CheckCondition, task.Result);
            Assert.Equal(0, task.SenseLength);
            Assert.Equal(IscsiSessionState.FullFeature, _session.State);
            Assert.True(_session.Counters.MalformedPdus > 0);
        }

        [Fact]
        public void Sense_data_is_kept_and_sense_longer_than_we_store_is_cut_to_our_bound()
        {
            IscsiTask task = Read();
            byte[] sense = { 0x70, 0, 0x02, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x04, 0x01 };
            _target.Deliver(_session, _target.ScsiResponse(task.Tag, status: 0x02, sense: sense));
            Assert.Equal(IscsiStatus.CheckCondition, task.Result);
            Assert.Equal(sense, task.Sense.ToArray());

            IscsiTask big = IscsiTestKit.Read(_session, new byte[16], 0, 16);
            byte[] longSense = IscsiTestKit.Pattern(300);
            _target.Deliver(_session, _target.ScsiResponse(big.Tag, status: 0x02, sense: longSense));
            Assert.Equal(IscsiTask.MaxSense, big.SenseLength);
            Assert.Equal(longSense.AsSpan(0, IscsiTask.MaxSense).ToArray(), big.Sense.ToArray());
        }

        [Fact]
        public void A_one_byte_response_segment_is_not_read_as_a_sense_length()
        {
            IscsiTask task = Read();
            TargetPdu response = _target.ScsiResponse(task.Tag, status: 0x02);
            response.Data = new byte[] { 0x00 };
            _target.Deliver(_session, response);
            Assert.Equal(IscsiStatus.CheckCondition, task.Result);
            Assert.Equal(0, task.SenseLength);
        }

        [Theory]
        [InlineData(0, 0x01, IscsiStatus.ScsiFailed)]
        [InlineData(0x08, 0, IscsiStatus.ScsiBusy)]
        [InlineData(0x28, 0, IscsiStatus.ScsiBusy)]
        [InlineData(0x18, 0, IscsiStatus.ScsiFailed)]
        public void Non_good_status_or_a_failed_response_never_completes_as_success(byte status, byte response, IscsiStatus expected)
        {
            IscsiTask task = Read();
            _target.Deliver(_session, _target.DataIn(task.Tag, 0, 0, IscsiTestKit.Pattern(Length), flags: 0), _target.ScsiResponse(task.Tag, status: status, response: response));
            Assert.Equal(expected, task.Result);
        }

        [Fact]
        public void Data_in_while_logging_out_lands_in_the_buffer_before_it_counts()
        {
            IscsiTask task = Read();
            Assert.Equal(IscsiStatus.Pending, _session.Logout());
            byte[] data = IscsiTestKit.Pattern(Length, 11);
            _target.Deliver(_session, _target.DataIn(task.Tag, 0, 0, data, flags: ScriptedTarget.F | ScriptedTarget.S));
            Assert.Equal(IscsiStatus.Success, task.Result);
            Assert.Equal(data, _buffer.AsSpan(Offset, Length).ToArray());
            AssertUntouchedOutside(Offset, Offset + Length);
        }

        [Fact]
        public void Data_in_behind_the_logout_response_cannot_complete_a_read_with_data_it_never_placed()
        {
            IscsiTask task = Read();
            Assert.Equal(IscsiStatus.Pending, _session.Logout());
            SentPdu logout = _target.LastSent(IscsiPdu.LogoutRequest);
            _target.Push(_target.LogoutResponse(logout.Itt));
            _target.Push(_target.DataIn(task.Tag, 0, 0, IscsiTestKit.Pattern(Length), flags: ScriptedTarget.F | ScriptedTarget.S));
            _session.Poll();
            Assert.Equal(IscsiSessionState.LoggedOut, _session.State);
            Assert.NotEqual(IscsiStatus.Success, task.Result);
            AssertUntouched();
        }
    }
}
