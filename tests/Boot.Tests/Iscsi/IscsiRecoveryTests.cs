// Recovery at ErrorRecoveryLevel 0 (RFC 7143 §6.3.5, §7.1.4.3): after the connection fails and
// the owner calls Reconnect, the session logs in again with the same ISID and TSIH 0 and re-issues
// every unfinished task with a new CmdSN, oldest first; a PDU cut in half by the failure is
// forgotten with the old connection, and nothing the previous incarnation's target still sends
// can write outside the task's range or complete it with bytes it never placed.
using System;
using System.Collections.Generic;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests.Iscsi
{
    public class IscsiRecoveryTests
    {
        private readonly ScriptedTarget _target = new ScriptedTarget();

        private void FailAndRelogin(IscsiSession session, uint expCmdSn)
        {
            _target.FailConnection();
            session.Poll();
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.Pending, session.Reconnect());
            _target.Sent.Clear();
            session.Poll();
            SentPdu login = _target.LastSent(IscsiPdu.LoginRequest);
            Assert.Equal(session.Isid.ToArray(), login.Header.AsSpan(IscsiPdu.IsidOffset, 6).ToArray());
            Assert.Equal(0, login.Tsih);
            _target.Deliver(session, _target.LoginResponse(ScriptedTarget.LoginFlags(true, 0, 1), 0, ScriptedTarget.Text("AuthMethod=None")));
            IscsiTestKit.FinishOperational(session, _target, expCmdSn: expCmdSn);
        }

        [Fact]
        public void After_fail_and_reconnect_an_unfinished_task_is_reissued_with_a_new_cmdsn()
        {
            IscsiSession session = IscsiTestKit.LoggedIn(_target, expCmdSn: 500);
            byte[] buffer = IscsiTestKit.Canary(2048);
            IscsiTask task = IscsiTestKit.Read(session, buffer, 512, 1024);
            SentPdu first = _target.LastSent(IscsiPdu.ScsiCommand);
            Assert.Equal(500u, first.CmdSn);

            FailAndRelogin(session, expCmdSn: 900);
            SentPdu again = _target.LastSent(IscsiPdu.ScsiCommand);
            Assert.Equal(900u, again.CmdSn);
            Assert.Equal(task.Tag, again.Itt);
            Assert.Equal(first.Header.AsSpan(IscsiPdu.CdbOffset, 16).ToArray(), again.Header.AsSpan(IscsiPdu.CdbOffset, 16).ToArray());
            Assert.Equal(1, task.Reissues);
            Assert.Equal(1UL, session.Counters.Reissued);
            Assert.Equal(2UL, session.Counters.Logins);

            byte[] data = IscsiTestKit.Pattern(1024);
            _target.Deliver(session, _target.DataIn(task.Tag, 0, 0, data, flags: ScriptedTarget.F | ScriptedTarget.S));
            Assert.Equal(IscsiStatus.Success, task.Result);
            Assert.Equal(data, buffer.AsSpan(512, 1024).ToArray());
        }

        [Fact]
        public void A_data_in_cut_by_the_failure_is_forgotten_and_a_late_one_for_the_finished_task_cannot_corrupt_it()
        {
            IscsiSession session = IscsiTestKit.LoggedIn(_target);
            byte[] buffer = IscsiTestKit.Canary(2048);
            IscsiTask task = IscsiTestKit.Read(session, buffer, 512, 1024);

            // Old connection: half the data, then a PDU cut off in the middle of its data segment.
            _target.Deliver(session, _target.DataIn(task.Tag, 0, 0, IscsiTestKit.Canary(512, 0xAA), flags: 0));
            byte[] cut = _target.Wire(_target.DataIn(task.Tag, 512, 1, IscsiTestKit.Canary(512, 0xBB), flags: ScriptedTarget.F | ScriptedTarget.S));
            _target.PushRaw(cut.AsSpan(0, 48 + 100).ToArray());
            session.Poll();
            Assert.Equal(0, _target.Pending);

            FailAndRelogin(session, expCmdSn: 42);
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
            Assert.Equal(task.Tag, _target.LastSent(IscsiPdu.ScsiCommand).Itt);

            byte[] fresh = IscsiTestKit.Pattern(1024, 77);
            _target.Deliver(session, _target.DataIn(task.Tag, 0, 0, fresh, flags: ScriptedTarget.F | ScriptedTarget.S));
            Assert.Equal(IscsiStatus.Success, task.Result);
            Assert.Equal(fresh, buffer.AsSpan(512, 1024).ToArray());

            // The previous incarnation's last PDU, delivered late: the task is finished, so it is stale.
            _target.Deliver(session, _target.DataIn(task.Tag, 512, 1, IscsiTestKit.Canary(512, 0xBB), flags: ScriptedTarget.F | ScriptedTarget.S));
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
            Assert.Equal(1UL, session.Counters.StalePdus);
            Assert.Equal(fresh, buffer.AsSpan(512, 1024).ToArray());
            Assert.Equal(IscsiTestKit.Canary(512), buffer.AsSpan(0, 512).ToArray());
            Assert.Equal(IscsiTestKit.Canary(512), buffer.AsSpan(1536, 512).ToArray());
        }

        [Fact]
        public void A_late_data_in_continuing_the_previous_incarnation_is_not_placed_in_the_reissued_task()
        {
            IscsiSession session = IscsiTestKit.LoggedIn(_target);
            byte[] buffer = IscsiTestKit.Canary(2048);
            IscsiTask task = IscsiTestKit.Read(session, buffer, 512, 1024);
            _target.Deliver(session, _target.DataIn(task.Tag, 0, 0, IscsiTestKit.Canary(512, 0xAA), flags: 0));
            FailAndRelogin(session, expCmdSn: 42);

            // Offset 512 / DataSN 1 was right for the first incarnation, not for the reissued one.
            _target.Deliver(session, _target.DataIn(task.Tag, 512, 1, IscsiTestKit.Canary(512, 0xBB), flags: ScriptedTarget.F | ScriptedTarget.S));
            Assert.NotEqual(IscsiStatus.Success, task.Result);
            Assert.Equal(IscsiTestKit.Canary(1024), buffer.AsSpan(1024, 1024).ToArray());
            Assert.Equal(IscsiTestKit.Canary(512), buffer.AsSpan(0, 512).ToArray());
        }

        [Fact]
        public void Reissued_tasks_go_out_before_tasks_that_were_still_waiting_or_submitted_later()
        {
            IscsiSession session = IscsiTestKit.LoggedIn(_target, expCmdSn: 10, maxCmdSn: 10);
            _target.AutoWindow = false;
            IscsiTask sent = IscsiTestKit.Read(session, new byte[8], 0, 8);
            IscsiTask held = IscsiTestKit.Read(session, new byte[8], 0, 8);
            Assert.Single(_target.SentOf(IscsiPdu.ScsiCommand));

            _target.FailConnection();
            session.Poll();
            session.Reconnect();
            session.Poll();
            IscsiTask later = IscsiTestKit.Read(session, new byte[8], 0, 8);
            _target.Sent.Clear();
            _target.Deliver(session, _target.LoginResponse(ScriptedTarget.LoginFlags(true, 0, 1), 0, ScriptedTarget.Text("AuthMethod=None")));
            _target.AutoWindow = true;
            IscsiTestKit.FinishOperational(session, _target, expCmdSn: 20);
            session.Poll();

            List<SentPdu> commands = _target.SentOf(IscsiPdu.ScsiCommand);
            Assert.Equal(3, commands.Count);
            Assert.Equal(new[] { sent.Tag, held.Tag, later.Tag }, new[] { commands[0].Itt, commands[1].Itt, commands[2].Itt });
            Assert.Equal(new[] { 20u, 21u, 22u }, new[] { commands[0].CmdSn, commands[1].CmdSn, commands[2].CmdSn });
            Assert.Equal(1, sent.Reissues);
            Assert.Equal(0, held.Reissues);
        }

        [Fact]
        public void A_write_is_reissued_with_its_immediate_data_and_answers_new_r2ts_from_scratch()
        {
            IscsiSession session = IscsiTestKit.LoggedIn(_target, keys: IscsiTestKit.Keys("MaxRecvDataSegmentLength=4096", "FirstBurstLength=4096"));
            byte[] source = IscsiTestKit.Pattern(10000, 9);
            IscsiTask task = IscsiTestKit.Write(session, source, 0, source.Length);
            _target.Deliver(session, _target.R2T(task.Tag, 0x10, 0, 4096, 5904));
            Assert.Equal(2, _target.SentOf(IscsiPdu.DataOut).Count);

            _target.FailConnection();
            session.Poll();
            session.Reconnect();
            _target.Sent.Clear();
            session.Poll();
            _target.Deliver(session, _target.LoginResponse(ScriptedTarget.LoginFlags(true, 0, 1), 0, ScriptedTarget.Text("AuthMethod=None")));
            IscsiTestKit.FinishOperational(session, _target, IscsiTestKit.Keys("MaxRecvDataSegmentLength=4096", "FirstBurstLength=4096"));
            Assert.Equal(source.AsSpan(0, 4096).ToArray(), _target.LastSent(IscsiPdu.ScsiCommand).Data);
            Assert.Empty(_target.SentOf(IscsiPdu.DataOut));

            _target.Deliver(session, _target.R2T(task.Tag, 0x20, 0, 4096, 5904));
            List<SentPdu> dataOut = _target.SentOf(IscsiPdu.DataOut);
            Assert.Equal(2, dataOut.Count);
            Assert.Equal(0x20u, dataOut[0].Ttt);
            Assert.Equal(0u, dataOut[0].DataSn);
            _target.Deliver(session, _target.ScsiResponse(task.Tag));
            Assert.Equal(IscsiStatus.Success, task.Result);
            Assert.Equal(1, task.Reissues);
        }

        [Fact]
        public void Abort_tasks_finishes_every_unfinished_task_with_the_given_status()
        {
            IscsiSession session = IscsiTestKit.LoggedIn(_target);
            IscsiTask a = IscsiTestKit.Read(session, new byte[8], 0, 8);
            IscsiTask b = IscsiTestKit.Read(session, new byte[8], 0, 8);
            _target.FailConnection();
            session.Poll();
            session.AbortTasks(IscsiStatus.Aborted);
            Assert.Equal(IscsiStatus.Aborted, a.Result);
            Assert.Equal(IscsiStatus.Aborted, b.Result);
            Assert.Equal(0, session.Outstanding);

            session.Reconnect();
            session.Poll();
            _target.Sent.Clear();
            _target.Deliver(session, _target.LoginResponse(ScriptedTarget.LoginFlags(true, 0, 1), 0, ScriptedTarget.Text("AuthMethod=None")));
            IscsiTestKit.FinishOperational(session, _target);
            Assert.Empty(_target.SentOf(IscsiPdu.ScsiCommand));
            Assert.Equal(0, a.Reissues);
        }
    }
}
