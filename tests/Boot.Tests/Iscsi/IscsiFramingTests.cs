// PDU framing on the receive side (RFC 7143 §11.1, §12.1): a data segment above what we declared
// fails the connection before a byte of it is placed; a header digest mismatch fails it before the
// header can steer data anywhere; a data digest mismatch fails it too; both are counted. PDUs
// delivered in arbitrary pieces, down to one byte per poll, with padding and digests, still
// reassemble; an opcode a target must not send in Full Feature Phase fails the connection.
using System;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests.Iscsi
{
    public class IscsiFramingTests
    {
        private readonly ScriptedTarget _target = new ScriptedTarget();

        private IscsiSession DigestSession()
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.HeaderDigest = true;
            options.DataDigest = true;
            return IscsiTestKit.LoggedIn(_target, options, IscsiTestKit.Keys("HeaderDigest=CRC32C", "DataDigest=CRC32C"));
        }

        [Fact]
        public void A_data_segment_above_our_max_recv_data_segment_length_fails_the_connection()
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.MaxRecvDataSegmentLength = 8192;
            IscsiSession session = IscsiTestKit.LoggedIn(_target, options);
            byte[] buffer = IscsiTestKit.Canary(16384);
            IscsiTask task = IscsiTestKit.Read(session, buffer, 0, buffer.Length);

            _target.Deliver(session, _target.DataIn(task.Tag, 0, 0, IscsiTestKit.Pattern(8193), flags: 0));
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
            Assert.Equal(1UL, session.ConnectionCounters.OversizedSegments);
            Assert.Equal(IscsiTestKit.Canary(16384), buffer);
        }

        [Fact]
        public void A_data_segment_of_exactly_our_max_recv_data_segment_length_is_fine()
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.MaxRecvDataSegmentLength = 8192;
            IscsiSession session = IscsiTestKit.LoggedIn(_target, options);
            byte[] buffer = new byte[8192];
            IscsiTask task = IscsiTestKit.Read(session, buffer, 0, buffer.Length);
            _target.Deliver(session, _target.DataIn(task.Tag, 0, 0, IscsiTestKit.Pattern(8192), flags: ScriptedTarget.F | ScriptedTarget.S));
            Assert.Equal(IscsiStatus.Success, task.Result);
        }

        [Fact]
        public void A_lying_data_segment_length_in_a_bare_header_is_refused_before_the_data_arrives()
        {
            IscsiSession session = IscsiTestKit.LoggedIn(_target);
            IscsiTask task = IscsiTestKit.Read(session, new byte[64], 0, 64);
            TargetPdu pdu = _target.DataIn(task.Tag, 0, 0, Array.Empty<byte>(), flags: 0);
            pdu.DataSegmentLengthOverride = 0xFFFFFF;
            _target.Deliver(session, pdu);
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
            Assert.Equal(1UL, session.ConnectionCounters.OversizedSegments);
        }

        [Fact]
        public void A_header_digest_mismatch_fails_the_connection_before_the_header_steers_any_data()
        {
            IscsiSession session = DigestSession();
            byte[] buffer = IscsiTestKit.Canary(1024);
            IscsiTask task = IscsiTestKit.Read(session, buffer, 0, 1024);
            byte[] wire = _target.Wire(_target.DataIn(task.Tag, 0, 0, IscsiTestKit.Pattern(1024), flags: ScriptedTarget.F | ScriptedTarget.S));
            wire[IscsiPdu.BufferOffsetOffset + 3] ^= 0x01;
            _target.PushRaw(wire);
            _target.Drain(session);
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.DigestError, session.LastError);
            Assert.Equal(1UL, session.ConnectionCounters.HeaderDigestErrors);
            Assert.Equal(IscsiTestKit.Canary(1024), buffer);
            Assert.False(task.IsDone);
        }

        [Fact]
        public void A_corrupted_header_digest_itself_fails_the_connection()
        {
            IscsiSession session = DigestSession();
            byte[] wire = _target.Wire(_target.NopIn(IscsiPdu.ReservedTag, IscsiPdu.ReservedTag));
            wire[IscsiPdu.BasicHeaderLength] ^= 0x80;
            _target.PushRaw(wire);
            _target.Drain(session);
            Assert.Equal(IscsiStatus.DigestError, session.LastError);
            Assert.Equal(1UL, session.ConnectionCounters.HeaderDigestErrors);
        }

        [Fact]
        public void A_data_digest_mismatch_fails_the_connection_and_the_task_does_not_complete()
        {
            IscsiSession session = DigestSession();
            byte[] buffer = new byte[1000];
            IscsiTask task = IscsiTestKit.Read(session, buffer, 0, 1000);
            byte[] wire = _target.Wire(_target.DataIn(task.Tag, 0, 0, IscsiTestKit.Pattern(1000), flags: ScriptedTarget.F | ScriptedTarget.S));
            wire[IscsiPdu.BasicHeaderLength + 4 + 10] ^= 0x04;
            _target.PushRaw(wire);
            _target.Drain(session);
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.DigestError, session.LastError);
            Assert.Equal(1UL, session.ConnectionCounters.DataDigestErrors);
            Assert.False(task.IsDone);
        }

        [Fact]
        public void A_data_digest_that_skips_the_pad_bytes_is_a_mismatch()
        {
            IscsiSession session = DigestSession();
            IscsiTask task = IscsiTestKit.Read(session, new byte[10], 0, 10);
            byte[] data = IscsiTestKit.Pattern(10);
            byte[] wire = _target.Wire(_target.DataIn(task.Tag, 0, 0, data, flags: ScriptedTarget.F | ScriptedTarget.S));
            ScriptedTarget.Digest(data).CopyTo(wire, wire.Length - 4);
            _target.PushRaw(wire);
            _target.Drain(session);
            Assert.Equal(IscsiStatus.DigestError, session.LastError);
            Assert.Equal(1UL, session.ConnectionCounters.DataDigestErrors);
        }

        [Fact]
        public void Good_digests_and_pad_bytes_both_ways_complete_a_read_and_a_write()
        {
            IscsiSession session = DigestSession();
            byte[] buffer = new byte[1001];
            IscsiTask read = IscsiTestKit.Read(session, buffer, 0, 1001);
            byte[] source = IscsiTestKit.Pattern(333, 4);
            IscsiTask write = IscsiTestKit.Write(session, source, 0, source.Length);
            SentPdu command = _target.LastSent(IscsiPdu.ScsiCommand);
            Assert.True(command.HeaderDigestOk);
            Assert.True(command.DataDigestOk);
            Assert.Equal(source, command.Data);

            _target.Deliver(session,
                _target.DataIn(read.Tag, 0, 0, IscsiTestKit.Pattern(1001), flags: ScriptedTarget.F | ScriptedTarget.S),
                _target.ScsiResponse(write.Tag));
            Assert.Equal(IscsiStatus.Success, read.Result);
            Assert.Equal(IscsiStatus.Success, write.Result);
            Assert.Equal(IscsiTestKit.Pattern(1001), buffer);
            Assert.Equal(0UL, session.ConnectionCounters.HeaderDigestErrors + session.ConnectionCounters.DataDigestErrors);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void Pdus_delivered_one_byte_per_poll_still_reassemble(bool digests)
        {
            IscsiSession session = digests ? DigestSession() : IscsiTestKit.LoggedIn(_target);
            _target.BytesPerPoll = 1;
            _target.PieceSize = 1;
            byte[] buffer = IscsiTestKit.Canary(3000);
            IscsiTask task = IscsiTestKit.Read(session, buffer, 1, 2997);
            byte[] data = IscsiTestKit.Pattern(2997, 6);
            _target.Push(_target.NopIn(IscsiPdu.ReservedTag, 0x42, new byte[] { 1, 2, 3 }));
            _target.Push(_target.DataIn(task.Tag, 0, 0, data.AsSpan(0, 1001).ToArray(), flags: 0));
            _target.Push(_target.DataIn(task.Tag, 1001, 1, data.AsSpan(1001, 1).ToArray(), flags: 0));
            _target.Push(_target.DataIn(task.Tag, 1002, 2, data.AsSpan(1002).ToArray(), flags: 0));
            _target.Push(_target.ScsiResponse(task.Tag));
            int polls = 0;
            while (_target.Pending > 0 && polls++ < 10_000)
            {
                session.Poll();
            }

            session.Poll();
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
            Assert.Equal(IscsiStatus.Success, task.Result);
            Assert.Equal(data, buffer.AsSpan(1, 2997).ToArray());
            Assert.Equal(0xEE, buffer[0]);
            Assert.Equal(0xEE, buffer[2998]);
            Assert.Equal(0xEE, buffer[2999]);
            SentPdu echo = _target.LastSent(IscsiPdu.NopOut);
            Assert.Equal(new byte[] { 1, 2, 3 }, echo.Data);
        }

        [Theory]
        [InlineData(2)]
        [InlineData(3)]
        [InlineData(47)]
        [InlineData(49)]
        [InlineData(53)]
        [InlineData(4096)]
        public void Pdus_split_at_any_piece_size_reassemble(int pieceSize)
        {
            IscsiSession session = DigestSession();
            _target.PieceSize = pieceSize;
            byte[] buffer = new byte[5000];
            IscsiTask task = IscsiTestKit.Read(session, buffer, 0, 5000);
            byte[] data = IscsiTestKit.Pattern(5000, 2);
            _target.Deliver(session,
                _target.DataIn(task.Tag, 0, 0, data.AsSpan(0, 2503).ToArray(), flags: 0),
                _target.DataIn(task.Tag, 2503, 1, data.AsSpan(2503).ToArray(), flags: ScriptedTarget.F | ScriptedTarget.S));
            Assert.Equal(IscsiStatus.Success, task.Result);
            Assert.Equal(data, buffer);
        }

        [Theory]
        [InlineData(IscsiPdu.LoginResponse)]
        [InlineData(IscsiPdu.TextResponse)]
        [InlineData(IscsiPdu.TaskManagementResponse)]
        [InlineData(IscsiPdu.ScsiCommand)]
        [InlineData(0x1C)]
        public void An_opcode_a_target_must_not_send_in_full_feature_fails_the_connection(byte opcode)
        {
            IscsiSession session = IscsiTestKit.LoggedIn(_target);
            TargetPdu pdu = _target.NopIn(IscsiPdu.ReservedTag, IscsiPdu.ReservedTag);
            pdu.Header[0] = opcode;
            _target.Deliver(session, pdu);
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
        }

        [Fact]
        public void A_broken_transport_fails_the_session_with_connection_lost()
        {
            IscsiSession session = IscsiTestKit.LoggedIn(_target);
            _target.FailConnection();
            session.Poll();
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.ConnectionLost, session.LastError);
            Assert.Equal(1UL, session.Counters.ConnectionFailures);
        }
    }
}
