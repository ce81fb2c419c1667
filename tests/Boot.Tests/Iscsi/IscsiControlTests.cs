// Session control PDUs in Full Feature Phase: NOP-In pings echoed by an immediate NOP-Out that
// repeats TTT, LUN and data (RFC 7143 §11.18-11.19), NOP-Ins that want no answer, keepalive pings
// after idle time and their timeout (on the manual clock), Async Messages (§11.9: event 1 asks for
// a logout, 2 and 3 drop the connection), Reject (§11.17) finishing the task it names, and Logout
// (§11.14-11.15) with reason 0 ending LoggedOut.
using System;
using System.Collections.Generic;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests.Iscsi
{
    public class IscsiControlTests
    {
        private readonly ScriptedTarget _target = new ScriptedTarget();
        private readonly IscsiOptions _options = IscsiTestKit.Options();

        private IscsiSession LoggedIn() => IscsiTestKit.LoggedIn(_target, _options);

        [Fact]
        public void A_nop_in_ping_is_answered_by_an_immediate_nop_out_echoing_ttt_lun_and_data_without_advancing_cmdsn()
        {
            IscsiSession session = LoggedIn();
            IscsiTask before = IscsiTestKit.Read(session, new byte[8], 0, 8);
            uint cmdSn = _target.LastSent(IscsiPdu.ScsiCommand).CmdSn;
            byte[] data = { 1, 2, 3, 4, 5, 6, 7 };
            _target.Deliver(session, _target.NopIn(IscsiPdu.ReservedTag, 0xABCD0123, data, lun: 0x0001_0000_0000_0000));
            SentPdu echo = _target.LastSent(IscsiPdu.NopOut);
            Assert.True(echo.Immediate);
            Assert.True(echo.Final);
            Assert.Equal(IscsiPdu.ReservedTag, echo.Itt);
            Assert.Equal(0xABCD0123u, echo.Ttt);
            Assert.Equal(0x0001_0000_0000_0000UL, echo.Lun);
            Assert.Equal(data, echo.Data);
            Assert.Equal(cmdSn + 1, echo.CmdSn);
            Assert.Equal(1UL, session.Counters.NopInPingsAnswered);

            IscsiTestKit.Read(session, new byte[8], 0, 8);
            Assert.Equal(cmdSn + 1, _target.LastSent(IscsiPdu.ScsiCommand).CmdSn);
            Assert.False(before.IsDone);
        }

        [Fact]
        public void A_nop_in_with_the_reserved_ttt_gets_no_answer()
        {
            IscsiSession session = LoggedIn();
            _target.Deliver(session, _target.NopIn(IscsiPdu.ReservedTag, IscsiPdu.ReservedTag, new byte[] { 9 }));
            session.Poll();
            Assert.Empty(_target.SentOf(IscsiPdu.NopOut));
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
        }

        [Fact]
        public void Two_pings_in_one_batch_never_get_an_echo_carrying_the_other_pings_data()
        {
            IscsiSession session = LoggedIn();
            _target.Deliver(session,
                _target.NopIn(IscsiPdu.ReservedTag, 0x1111, new byte[] { 0xA1, 0xA2, 0xA3, 0xA4, 0xA5 }),
                _target.NopIn(IscsiPdu.ReservedTag, 0x2222, new byte[] { 0xB1, 0xB2, 0xB3 }));
            List<SentPdu> echoes = _target.SentOf(IscsiPdu.NopOut);
            Assert.NotEmpty(echoes);
            foreach (SentPdu echo in echoes)
            {
                byte[] expected = echo.Ttt == 0x1111 ? new byte[] { 0xA1, 0xA2, 0xA3, 0xA4, 0xA5 } : new byte[] { 0xB1, 0xB2, 0xB3 };
                Assert.Equal(expected, echo.Data);
            }

            Assert.Equal(0x1111u, echoes[0].Ttt);

            // Once the echo has left, the next ping is answered again.
            _target.Deliver(session, _target.NopIn(IscsiPdu.ReservedTag, 0x3333, new byte[] { 0xC1 }));
            SentPdu last = _target.LastSent(IscsiPdu.NopOut);
            Assert.Equal(0x3333u, last.Ttt);
            Assert.Equal(new byte[] { 0xC1 }, last.Data);
        }

        [Fact]
        public void A_ping_with_more_data_than_we_echo_is_dropped_not_truncated()
        {
            IscsiSession session = LoggedIn();
            _target.Deliver(session, _target.NopIn(IscsiPdu.ReservedTag, 0x44, new byte[5000]));
            Assert.Empty(_target.SentOf(IscsiPdu.NopOut));
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
        }

        [Fact]
        public void A_keepalive_nop_out_goes_out_after_the_idle_time_and_its_answer_keeps_the_session_up()
        {
            _options.KeepaliveIdleMs = 10_000;
            _options.KeepaliveTimeoutMs = 5_000;
            IscsiSession session = LoggedIn();
            _target.Milliseconds = 9_999;
            session.Poll();
            Assert.Empty(_target.SentOf(IscsiPdu.NopOut));

            _target.Milliseconds = 10_000;
            session.Poll();
            SentPdu ping = _target.LastSent(IscsiPdu.NopOut);
            Assert.True(ping.Immediate);
            Assert.NotEqual(IscsiPdu.ReservedTag, ping.Itt);
            Assert.Equal(IscsiPdu.ReservedTag, ping.Ttt);
            Assert.Empty(ping.Data);
            Assert.Equal(1UL, session.Counters.KeepalivesSent);
            session.Poll();
            Assert.Single(_target.SentOf(IscsiPdu.NopOut));

            _target.Milliseconds = 12_000;
            _target.Deliver(session, _target.NopIn(ping.Itt, IscsiPdu.ReservedTag));
            _target.Milliseconds = 20_000;
            session.Poll();
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
            Assert.Single(_target.SentOf(IscsiPdu.NopOut));

            IscsiTestKit.Read(session, new byte[8], 0, 8);
            Assert.Equal(ping.CmdSn, _target.LastSent(IscsiPdu.ScsiCommand).CmdSn);
        }

        [Fact]
        public void An_unanswered_keepalive_fails_the_session_with_timeout()
        {
            _options.KeepaliveIdleMs = 10_000;
            _options.KeepaliveTimeoutMs = 5_000;
            IscsiSession session = LoggedIn();
            _target.Milliseconds = 10_000;
            session.Poll();
            Assert.Single(_target.SentOf(IscsiPdu.NopOut));
            _target.Milliseconds = 15_000;
            session.Poll();
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
            _target.Milliseconds = 15_001;
            session.Poll();
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.Timeout, session.LastError);
        }

        [Fact]
        public void A_nop_in_with_someone_elses_task_tag_does_not_count_as_the_keepalive_answer()
        {
            _options.KeepaliveIdleMs = 10_000;
            _options.KeepaliveTimeoutMs = 5_000;
            IscsiSession session = LoggedIn();
            _target.Milliseconds = 10_000;
            session.Poll();
            SentPdu ping = _target.LastSent(IscsiPdu.NopOut);
            _target.Deliver(session, _target.NopIn(ping.Itt ^ 1, IscsiPdu.ReservedTag));
            Assert.Equal(1UL, session.Counters.StalePdus);
            _target.Milliseconds = 15_001;
            session.Poll();
            Assert.Equal(IscsiStatus.Timeout, session.LastError);
        }

        [Fact]
        public void Keepalive_zero_disables_the_ping()
        {
            _options.KeepaliveIdleMs = 0;
            IscsiSession session = LoggedIn();
            _target.Milliseconds = 1_000_000;
            session.Poll();
            Assert.Empty(_target.SentOf(IscsiPdu.NopOut));
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
        }

        [Theory]
        [InlineData(2)]
        [InlineData(3)]
        public void Async_event_that_drops_the_connection_fails_it_at_once(byte asyncEvent)
        {
            IscsiSession session = LoggedIn();
            IscsiTask task = IscsiTestKit.Read(session, new byte[8], 0, 8);
            _target.Deliver(session, _target.Async(asyncEvent, 0, 2, 20));
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.ConnectionLost, session.LastError);
            Assert.False(task.IsDone);
            Assert.Equal(1UL, session.Counters.AsyncMessages);
        }

        [Fact]
        public void Async_event_one_asks_the_owner_to_log_out_and_keeps_the_session_running()
        {
            IscsiSession session = LoggedIn();
            Assert.False(session.LogoutRequested);
            _target.Deliver(session, _target.Async(1, 0, 0, 5));
            Assert.True(session.LogoutRequested);
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
        }

        [Theory]
        [InlineData(0)]
        [InlineData(4)]
        [InlineData(255)]
        public void Other_async_events_change_nothing(byte asyncEvent)
        {
            IscsiSession session = LoggedIn();
            _target.Deliver(session, _target.Async(asyncEvent));
            Assert.False(session.LogoutRequested);
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
        }

        [Fact]
        public void A_reject_naming_a_task_completes_it_with_rejected()
        {
            IscsiSession session = LoggedIn();
            IscsiTask task = IscsiTestKit.Read(session, new byte[8], 0, 8);
            IscsiTask other = IscsiTestKit.Read(session, new byte[8], 0, 8);
            SentPdu command = _target.SentOf(IscsiPdu.ScsiCommand)[0];
            _target.Deliver(session, _target.Reject(command.Header));
            Assert.Equal(IscsiStatus.Rejected, task.Result);
            Assert.True(task.IsDone);
            Assert.False(other.IsDone);
            Assert.Equal(1UL, session.Counters.Rejects);
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
        }

        [Fact]
        public void A_reject_too_short_to_name_a_pdu_is_counted_and_ignored()
        {
            IscsiSession session = LoggedIn();
            IscsiTask task = IscsiTestKit.Read(session, new byte[8], 0, 8);
            SentPdu command = _target.LastSent(IscsiPdu.ScsiCommand);
            _target.Deliver(session, _target.Reject(command.Header.AsSpan(0, 20).ToArray()));
            Assert.False(task.IsDone);
            Assert.Equal(1UL, session.Counters.Rejects);
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
        }

        [Fact]
        public void Logout_sends_reason_zero_immediately_and_ends_logged_out_on_the_response()
        {
            IscsiSession session = LoggedIn();
            Assert.Equal(IscsiStatus.Pending, session.Logout());
            Assert.Equal(IscsiSessionState.LoggingOut, session.State);
            SentPdu logout = _target.LastSent(IscsiPdu.LogoutRequest);
            Assert.True(logout.Immediate);
            Assert.True(logout.Final);
            Assert.Equal(0, logout.Flags & 0x7F);
            Assert.Equal(0, logout.Header[20] | logout.Header[21]);

            _target.Deliver(session, _target.LogoutResponse(logout.Itt));
            Assert.Equal(IscsiSessionState.LoggedOut, session.State);
            Assert.Equal(1, _target.Closes);
        }

        [Fact]
        public void A_logout_response_with_another_tag_is_stale_and_the_logout_still_waits()
        {
            IscsiSession session = LoggedIn();
            session.Logout();
            SentPdu logout = _target.LastSent(IscsiPdu.LogoutRequest);
            _target.Deliver(session, _target.LogoutResponse(logout.Itt + 1));
            Assert.Equal(IscsiSessionState.LoggingOut, session.State);
            Assert.Equal(1UL, session.Counters.StalePdus);
            _target.Deliver(session, _target.LogoutResponse(logout.Itt));
            Assert.Equal(IscsiSessionState.LoggedOut, session.State);
        }

        [Fact]
        public void The_target_closing_the_connection_after_a_logout_request_ends_logged_out()
        {
            IscsiSession session = LoggedIn();
            session.Logout();
            _target.FailConnection();
            session.Poll();
            Assert.Equal(IscsiSessionState.LoggedOut, session.State);
        }

        [Fact]
        public void Logout_before_full_feature_just_drops_the_connection()
        {
            IscsiSession session = IscsiTestKit.Session(_target);
            session.Start("192.0.2.10"u8, 3260);
            session.Poll();
            Assert.Equal(IscsiStatus.NotLoggedIn, session.Logout());
            Assert.Equal(IscsiSessionState.LoggedOut, session.State);
            Assert.Empty(_target.SentOf(IscsiPdu.LogoutRequest));
        }
    }
}
