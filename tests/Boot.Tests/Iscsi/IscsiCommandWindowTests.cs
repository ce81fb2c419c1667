// The CmdSN window in Full Feature Phase (RFC 7143 §4.2.2.1): a non-immediate command goes out
// only while CmdSN ≤ MaxCmdSN (serial arithmetic, across the 2^32 wrap), held commands leave in
// submission order with consecutive CmdSNs once a response widens the window, a MaxCmdSN below
// ExpCmdSN-1 is ignored, and immediate PDUs (NOP-Out, Logout) never use up a CmdSN.
using System.Collections.Generic;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests.Iscsi
{
    public class IscsiCommandWindowTests
    {
        private readonly ScriptedTarget _target = new ScriptedTarget();

        private IscsiSession LoggedIn(uint expCmdSn, uint maxCmdSn)
        {
            IscsiSession session = IscsiTestKit.LoggedIn(_target, expCmdSn: expCmdSn, maxCmdSn: maxCmdSn);
            _target.AutoWindow = false;
            return session;
        }

        private IscsiTask Submit(IscsiSession session)
        {
            IscsiTask? task = session.Submit(0, IscsiTestKit.TestUnitReady, false, null, 0, 0);
            Assert.NotNull(task);
            return task!;
        }

        private List<SentPdu> Commands() => _target.SentOf(IscsiPdu.ScsiCommand);

        [Fact]
        public void Commands_wait_for_the_cmdsn_window_then_go_out_in_submission_order_with_consecutive_cmdsns()
        {
            IscsiSession session = LoggedIn(100, 100);
            IscsiTask first = Submit(session);
            IscsiTask second = Submit(session);
            IscsiTask third = Submit(session);
            IscsiTask fourth = Submit(session);
            session.Poll();
            Assert.Single(Commands());
            Assert.Equal(100u, Commands()[0].CmdSn);
            Assert.Equal(first.Tag, Commands()[0].Itt);
            Assert.False(Commands()[0].Immediate);

            _target.Deliver(session, _target.ScsiResponse(first.Tag).Window(101, 103));
            List<SentPdu> sent = Commands();
            Assert.Equal(4, sent.Count);
            Assert.Equal(new[] { first.Tag, second.Tag, third.Tag, fourth.Tag }, new[] { sent[0].Itt, sent[1].Itt, sent[2].Itt, sent[3].Itt });
            Assert.Equal(new[] { 100u, 101u, 102u, 103u }, new[] { sent[0].CmdSn, sent[1].CmdSn, sent[2].CmdSn, sent[3].CmdSn });
            Assert.Equal(IscsiStatus.Success, first.Result);
            Assert.Equal(3, session.Outstanding);
        }

        [Fact]
        public void A_closed_window_holds_every_command_until_max_cmdsn_moves()
        {
            IscsiSession session = LoggedIn(100, 99);
            IscsiTask task = Submit(session);
            session.Poll();
            Assert.Empty(Commands());
            Assert.Equal(IscsiTaskState.Waiting, task.State);

            _target.Deliver(session, _target.NopIn(IscsiPdu.ReservedTag, IscsiPdu.ReservedTag).Window(100, 100));
            Assert.Single(Commands());
            Assert.Equal(100u, Commands()[0].CmdSn);
        }

        [Fact]
        public void A_max_cmdsn_below_exp_cmdsn_minus_one_is_ignored()
        {
            IscsiSession session = LoggedIn(100, 100);
            IscsiTask first = Submit(session);
            Submit(session);
            session.Poll();
            Assert.Single(Commands());

            // MaxCmdSN 150 < ExpCmdSN-1 = 199: invalid, so it must not open the window to 150.
            _target.Deliver(session, _target.ScsiResponse(first.Tag).Window(200, 150));
            Assert.Equal(IscsiStatus.Success, first.Result);
            Assert.Single(Commands());

            // A window that is merely closed (MaxCmdSN = ExpCmdSN-1) is valid and keeps it shut.
            _target.Deliver(session, _target.NopIn(IscsiPdu.ReservedTag, IscsiPdu.ReservedTag).Window(101, 100));
            Assert.Single(Commands());

            _target.Deliver(session, _target.NopIn(IscsiPdu.ReservedTag, IscsiPdu.ReservedTag).Window(101, 101));
            Assert.Equal(2, Commands().Count);
            Assert.Equal(101u, Commands()[1].CmdSn);
        }

        [Fact]
        public void Max_cmdsn_never_moves_back_so_an_old_window_in_a_late_pdu_does_not_shrink_it()
        {
            IscsiSession session = LoggedIn(100, 101);
            Submit(session);
            _target.Deliver(session, _target.NopIn(IscsiPdu.ReservedTag, IscsiPdu.ReservedTag).Window(100, 100));
            Submit(session);
            session.Poll();
            Assert.Equal(2, Commands().Count);
            Assert.Equal(101u, Commands()[1].CmdSn);
        }

        [Fact]
        public void The_window_works_across_the_32_bit_wrap()
        {
            IscsiSession session = LoggedIn(0xFFFFFFFE, 0x00000001);
            for (int i = 0; i < 5; i++)
            {
                Submit(session);
            }

            session.Poll();
            List<SentPdu> sent = Commands();
            Assert.Equal(new[] { 0xFFFFFFFEu, 0xFFFFFFFFu, 0u, 1u }, new[] { sent[0].CmdSn, sent[1].CmdSn, sent[2].CmdSn, sent[3].CmdSn });
            Assert.Equal(4, sent.Count);

            _target.Deliver(session, _target.NopIn(IscsiPdu.ReservedTag, IscsiPdu.ReservedTag).Window(2, 2));
            Assert.Equal(5, Commands().Count);
            Assert.Equal(2u, Commands()[4].CmdSn);
        }

        [Fact]
        public void Commands_submitted_during_login_go_out_at_full_feature_in_order()
        {
            IscsiSession session = IscsiTestKit.Session(_target);
            IscsiTestKit.StartAndPassSecurity(session, _target);
            IscsiTask a = Submit(session);
            IscsiTask b = Submit(session);
            Assert.Empty(Commands());
            IscsiTestKit.FinishOperational(session, _target, expCmdSn: 7);
            List<SentPdu> sent = Commands();
            Assert.Equal(2, sent.Count);
            Assert.Equal(new[] { a.Tag, b.Tag }, new[] { sent[0].Itt, sent[1].Itt });
            Assert.Equal(new[] { 7u, 8u }, new[] { sent[0].CmdSn, sent[1].CmdSn });
        }

        [Fact]
        public void Immediate_pdus_carry_the_next_cmdsn_without_using_it_up()
        {
            IscsiSession session = LoggedIn(100, 120);
            _target.Deliver(session, _target.NopIn(IscsiPdu.ReservedTag, 0x77));
            SentPdu echo = _target.LastSent(IscsiPdu.NopOut);
            Assert.True(echo.Immediate);
            Assert.Equal(100u, echo.CmdSn);
            Submit(session);
            Assert.Equal(100u, _target.LastSent(IscsiPdu.ScsiCommand).CmdSn);
        }

        [Fact]
        public void Every_task_slot_busy_refuses_a_submission_instead_of_overwriting_one()
        {
            IscsiSession session = LoggedIn(100, 99);
            for (int i = 0; i < IscsiSession.MaxTasks; i++)
            {
                Submit(session);
            }

            Assert.Null(session.Submit(0, IscsiTestKit.TestUnitReady, false, null, 0, 0));
            Assert.Equal(IscsiSession.MaxTasks, session.Outstanding);
        }

        [Fact]
        public void Submissions_with_a_buffer_that_cannot_hold_the_length_are_refused()
        {
            IscsiSession session = LoggedIn(100, 120);
            byte[] buffer = new byte[100];
            Assert.Null(session.Submit(0, IscsiTestKit.Read10, false, buffer, 50, 51));
            Assert.Null(session.Submit(0, IscsiTestKit.Read10, false, null, 0, 10));
            Assert.Null(session.Submit(0, IscsiTestKit.Read10, false, buffer, -1, 10));
            Assert.Null(session.Submit(0, new byte[17], false, buffer, 0, 10));
            Assert.Null(session.Submit(0, new byte[0], false, buffer, 0, 10));
            Assert.Empty(Commands());
        }
    }
}
