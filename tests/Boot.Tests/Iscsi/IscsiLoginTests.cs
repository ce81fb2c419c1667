// The login phase against a scripted target (RFC 7143 §6, §11.12-11.13): what the first Login
// Request carries (random-format ISID, TSIH 0, immediate bit, CSG/NSG, the mandatory keys), how
// status classes end the login, redirects (class 1) and redirect loops, responses split with the
// C bit, answers to keys the target proposes, digests switched on only after a negotiated login,
// and the malformed responses a real target never sends.
using System;
using System.Text;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests.Iscsi
{
    public class IscsiLoginTests
    {
        private readonly ScriptedTarget _target = new ScriptedTarget();

        private IscsiSession StartedSession(IscsiOptions? options = null)
        {
            IscsiSession session = IscsiTestKit.Session(_target, options);
            Assert.Equal(IscsiStatus.Pending, session.Start(Encoding.ASCII.GetBytes(IscsiTestKit.Portal), 3260));
            session.Poll();
            Assert.Equal(IscsiSessionState.LoggingIn, session.State);
            return session;
        }

        private void Respond(IscsiSession session, byte flags, ushort status, string keys)
        {
            _target.Deliver(session, _target.LoginResponse(flags, status, keys));
        }

        [Fact]
        public void First_login_request_has_a_random_format_isid_tsih_zero_the_immediate_bit_and_asks_security_to_operational()
        {
            IscsiSession session = StartedSession();
            SentPdu login = _target.LastSent(IscsiPdu.LoginRequest);
            Assert.Equal(0x43, login.Header[0]);
            Assert.True(login.Immediate);
            Assert.True(login.Transit);
            Assert.False(login.Continue);
            Assert.Equal(IscsiPdu.SecurityNegotiation, login.Csg);
            Assert.Equal(IscsiPdu.OperationalNegotiation, login.Nsg);
            Assert.Equal(0x80, login.Header[IscsiPdu.IsidOffset]);
            Assert.Equal(session.Isid.ToArray(), login.Header.AsSpan(IscsiPdu.IsidOffset, 6).ToArray());
            Assert.Equal(0, login.Tsih);
            Assert.Equal(0, login.Header[3]);
            Assert.Equal(0, login.Header[20] | login.Header[21]);
            Assert.Equal(new[] { ("192.0.2.10", (ushort)3260) }, _target.Connects);
        }

        [Fact]
        public void First_login_request_names_initiator_and_target_a_normal_session_and_auth_method_none()
        {
            StartedSession();
            SentPdu login = _target.LastSent(IscsiPdu.LoginRequest);
            Assert.Equal("iqn.2024-01.org.example:initiator", login.Key("InitiatorName"));
            Assert.Equal("iqn.2024-01.org.example:disk1", login.Key("TargetName"));
            Assert.Equal("Normal", login.Key("SessionType"));
            Assert.Equal("None", login.Key("AuthMethod"));
        }

        [Fact]
        public void With_credentials_only_chap_is_offered_and_transit_waits_for_the_chap_exchange()
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.Username = "user"u8.ToArray();
            options.Password = "secret-12-bytes"u8.ToArray();
            StartedSession(options);
            SentPdu login = _target.LastSent(IscsiPdu.LoginRequest);
            Assert.Equal("CHAP", login.Key("AuthMethod"));
            Assert.False(login.Transit);
            Assert.Equal(IscsiPdu.SecurityNegotiation, login.Csg);
        }

        [Fact]
        public void Operational_stage_proposes_our_keys_and_full_feature_takes_the_tsih_and_the_negotiated_values()
        {
            IscsiSession session = StartedSession();
            Respond(session, ScriptedTarget.LoginFlags(true, 0, 1), 0, ScriptedTarget.Text("AuthMethod=None", "TargetPortalGroupTag=3"));
            SentPdu proposal = _target.LastSent(IscsiPdu.LoginRequest);
            Assert.True(proposal.Transit);
            Assert.Equal(IscsiPdu.OperationalNegotiation, proposal.Csg);
            Assert.Equal(IscsiPdu.FullFeaturePhase, proposal.Nsg);
            Assert.Equal("None", proposal.Key("HeaderDigest"));
            Assert.Equal("262144", proposal.Key("MaxRecvDataSegmentLength"));
            Assert.Equal("0", proposal.Key("ErrorRecoveryLevel"));
            Assert.Equal(proposal.Itt, _target.SentOf(IscsiPdu.LoginRequest)[0].Itt);

            IscsiTestKit.FinishOperational(session, _target, IscsiTestKit.Keys("MaxBurstLength=65536", "MaxRecvDataSegmentLength=4096"));
            Assert.Equal(0x1234, session.Tsih);
            Assert.Equal(3u, session.Parameters.TargetPortalGroupTag);
            Assert.Equal(65536u, session.Parameters.MaxBurstLength);
            Assert.Equal(4096u, session.Parameters.TargetMaxRecvDataSegmentLength);
            Assert.Equal(IscsiStatus.Success, session.LastError);
        }

        [Theory]
        [InlineData(0x0201, IscsiStatus.AuthenticationFailed)]
        [InlineData(0x0202, IscsiStatus.AuthorizationFailed)]
        [InlineData(0x0203, IscsiStatus.TargetNotFound)]
        [InlineData(0x0204, IscsiStatus.TargetRemoved)]
        [InlineData(0x0207, IscsiStatus.LoginRejected)]
        [InlineData(0x0300, IscsiStatus.TargetError)]
        [InlineData(0x0301, IscsiStatus.TargetBusy)]
        [InlineData(0x0302, IscsiStatus.TargetBusy)]
        [InlineData(0x0400, IscsiStatus.ProtocolError)]
        public void Login_status_classes_end_the_login_with_a_named_status(int status, IscsiStatus expected)
        {
            IscsiSession session = StartedSession();
            Respond(session, 0, (ushort)status, "");
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(expected, session.LastError);
            Assert.Single(_target.Connects);
        }

        [Fact]
        public void A_redirect_reconnects_to_the_target_address_and_logs_in_there_with_the_same_isid()
        {
            IscsiSession session = StartedSession();
            byte[] firstIsid = _target.LastSent(IscsiPdu.LoginRequest).Header.AsSpan(8, 6).ToArray();
            _target.Push(_target.LoginResponse(0, 0x0101, ScriptedTarget.Text("TargetAddress=198.51.100.7:3261,2")));
            session.Poll();
            Assert.Equal(("198.51.100.7", (ushort)3261), _target.Connects[^1]);
            Assert.Equal(1UL, session.Counters.Redirects);
            Assert.Equal(IscsiSessionState.Connecting, session.State);

            _target.Sent.Clear();
            session.Poll();
            SentPdu login = _target.LastSent(IscsiPdu.LoginRequest);
            Assert.Equal(firstIsid, login.Header.AsSpan(8, 6).ToArray());
            Assert.Equal(0, login.Tsih);
            Assert.Equal(IscsiPdu.SecurityNegotiation, login.Csg);
            Respond(session, ScriptedTarget.LoginFlags(true, 0, 1), 0, ScriptedTarget.Text("AuthMethod=None"));
            IscsiTestKit.FinishOperational(session, _target);
            Assert.Equal(2, _target.Connects.Count);
        }

        [Theory]
        [InlineData(0x0101, false)]
        [InlineData(0x0102, true)]
        public void A_temporary_redirect_serves_one_login_and_a_permanent_one_replaces_the_portal(int status, bool permanent)
        {
            IscsiSession session = StartedSession();
            Respond(session, 0, (ushort)status, ScriptedTarget.Text("TargetAddress=198.51.100.7:3261"));
            Assert.Equal(("198.51.100.7", (ushort)3261), _target.Connects[^1]);

            // The redirected connection breaks later: the next login goes back to the original
            // portal after a temporary move, and stays with the new one after a permanent move.
            session.Fail(IscsiStatus.ConnectionLost);
            session.Reconnect();
            Assert.Equal(permanent ? ("198.51.100.7", (ushort)3261) : (IscsiTestKit.Portal, (ushort)3260), _target.Connects[^1]);
        }

        [Fact]
        public void A_redirect_to_a_bracketed_ipv6_literal_connects_without_the_brackets()
        {
            IscsiSession session = StartedSession();
            Respond(session, 0, 0x0102, ScriptedTarget.Text("TargetAlias=moved", "TargetAddress=[2001:db8::20]:3270"));
            Assert.Equal(("2001:db8::20", (ushort)3270), _target.Connects[^1]);
        }

        [Fact]
        public void A_redirect_loop_ends_with_too_many_redirects()
        {
            IscsiOptions options = IscsiTestKit.Options();
            IscsiSession session = StartedSession(options);
            for (int i = 0; i < 20 && session.State != IscsiSessionState.Failed; i++)
            {
                Respond(session, 0, 0x0101, ScriptedTarget.Text("TargetAddress=198.51.100." + (i + 1) + ":3260"));
                session.Poll();
            }

            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.TooManyRedirects, session.LastError);
            Assert.Equal(1 + options.MaxRedirects, _target.Connects.Count);
            Assert.Equal((ulong)options.MaxRedirects, session.Counters.Redirects);
        }

        [Theory]
        [InlineData("")]
        [InlineData("TargetAlias=elsewhere\0")]
        [InlineData("TargetAddress=198.51.100.7:0\0")]
        [InlineData("TargetAddress=[2001:db8::1\0")]
        public void A_redirect_without_a_usable_target_address_fails_without_connecting(string keys)
        {
            IscsiSession session = StartedSession();
            Respond(session, 0, 0x0101, keys);
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
            Assert.Single(_target.Connects);
        }

        [Fact]
        public void A_login_response_split_with_the_c_bit_is_gathered_before_its_keys_are_read()
        {
            IscsiSession session = StartedSession();
            _target.Sent.Clear();
            Respond(session, ScriptedTarget.LoginFlags(false, 0, 0, more: true), 0, "TargetAlias=disk\0AuthMe");
            SentPdu more = _target.LastSent(IscsiPdu.LoginRequest);
            Assert.False(more.Transit);
            Assert.False(more.Continue);
            Assert.Equal(IscsiPdu.SecurityNegotiation, more.Csg);
            Assert.Empty(more.Data);
            Assert.Equal(IscsiSessionState.LoggingIn, session.State);

            Respond(session, ScriptedTarget.LoginFlags(true, 0, 1), 0, "thod=None\0");
            SentPdu proposal = _target.LastSent(IscsiPdu.LoginRequest);
            Assert.Equal(IscsiPdu.OperationalNegotiation, proposal.Csg);
            IscsiTestKit.FinishOperational(session, _target);
        }

        [Fact]
        public void Continue_and_transit_together_are_a_protocol_error()
        {
            IscsiSession session = StartedSession();
            Respond(session, (byte)(ScriptedTarget.LoginFlags(true, 0, 1) | IscsiPdu.ContinueFlag), 0, "AuthMethod=None\0");
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
        }

        [Fact]
        public void Login_text_gathered_past_its_bound_fails_instead_of_growing()
        {
            IscsiSession session = StartedSession();
            string chunk = "X-Filler=" + new string('a', 8000) + "\0";
            for (int i = 0; i < 6 && session.State == IscsiSessionState.LoggingIn; i++)
            {
                Respond(session, ScriptedTarget.LoginFlags(false, 0, 0, more: true), 0, chunk);
            }

            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
        }

        [Fact]
        public void A_login_response_with_another_task_tag_fails_the_login()
        {
            IscsiSession session = StartedSession();
            TargetPdu response = _target.LoginResponse(ScriptedTarget.LoginFlags(true, 0, 1), 0, "AuthMethod=None\0");
            response.Set32(IscsiPdu.InitiatorTaskTagOffset, _target.LastLoginRequest!.Itt + 1);
            _target.Deliver(session, response);
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
        }

        [Fact]
        public void A_login_response_with_a_version_other_than_zero_fails_the_login()
        {
            IscsiSession session = StartedSession();
            TargetPdu response = _target.LoginResponse(ScriptedTarget.LoginFlags(true, 0, 1), 0, "AuthMethod=None\0");
            response.Header[3] = 1;
            _target.Deliver(session, response);
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
        }

        [Fact]
        public void A_login_response_for_another_stage_fails_the_login()
        {
            IscsiSession session = StartedSession();
            Respond(session, ScriptedTarget.LoginFlags(true, 1, 3), 0, "AuthMethod=None\0");
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
        }

        [Fact]
        public void Any_pdu_but_a_login_response_during_login_fails_the_connection()
        {
            IscsiSession session = StartedSession();
            _target.Deliver(session, _target.NopIn(IscsiPdu.ReservedTag, 7));
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
            Assert.Empty(_target.SentOf(IscsiPdu.NopOut));
        }

        [Fact]
        public void A_login_response_larger_than_8192_bytes_fails_the_connection()
        {
            IscsiSession session = StartedSession();
            Respond(session, ScriptedTarget.LoginFlags(false, 0, 0, more: true), 0, "X-Big=" + new string('b', 8200) + "\0");
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
            Assert.Equal(1UL, session.ConnectionCounters.OversizedSegments);
        }

        [Fact]
        public void A_target_that_never_answers_the_login_times_out()
        {
            IscsiOptions options = IscsiTestKit.Options();
            IscsiSession session = StartedSession(options);
            _target.Milliseconds = options.LoginTimeoutMs;
            session.Poll();
            Assert.Equal(IscsiSessionState.LoggingIn, session.State);
            _target.Milliseconds = options.LoginTimeoutMs + 1;
            session.Poll();
            Assert.Equal(IscsiStatus.Timeout, session.LastError);
        }

        [Fact]
        public void A_connect_that_never_opens_times_out_and_a_refused_one_fails()
        {
            IscsiOptions options = IscsiTestKit.Options();
            _target.StateAfterConnect = TransportState.Connecting;
            _target.ConnectResult = IscsiStatus.Pending;
            IscsiSession session = IscsiTestKit.Session(_target, options);
            session.Start("192.0.2.10"u8, 3260);
            _target.Milliseconds = options.LoginTimeoutMs + 1;
            session.Poll();
            Assert.Equal(IscsiStatus.Timeout, session.LastError);

            ScriptedTarget refused = new ScriptedTarget();
            refused.StateAfterConnect = TransportState.Connecting;
            IscsiSession second = IscsiTestKit.Session(refused, options);
            second.Start("192.0.2.10"u8, 3260);
            refused.FailConnection();
            second.Poll();
            Assert.Equal(IscsiStatus.ConnectFailed, second.LastError);
        }

        [Fact]
        public void Start_with_invalid_credentials_fails_before_connecting()
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.ReverseUsername = "target"u8.ToArray();
            options.ReversePassword = "reverse"u8.ToArray();
            IscsiSession session = IscsiTestKit.Session(_target, options);
            Assert.Equal(IscsiStatus.InvalidCredentials, session.Start("192.0.2.10"u8, 3260));
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Empty(_target.Connects);
        }

        [Fact]
        public void A_key_the_target_proposes_and_we_do_not_know_is_answered_not_understood_and_declarative_keys_are_not()
        {
            IscsiSession session = StartedSession();
            Respond(session, ScriptedTarget.LoginFlags(true, 0, 1), 0, "AuthMethod=None\0");
            _target.Sent.Clear();
            Respond(session, ScriptedTarget.LoginFlags(false, 1, 0), 0,
                IscsiTestKit.Keys("X-com.example.Cache=On", "TargetAlias=disk", "TargetAddress=192.0.2.10:3260,1"));
            SentPdu answer = _target.LastSent(IscsiPdu.LoginRequest);
            Assert.Equal("NotUnderstood", answer.Key("X-com.example.Cache"));
            Assert.Null(answer.Key("TargetAlias"));
            Assert.Null(answer.Key("TargetAddress"));
            Assert.Null(answer.Key("MaxBurstLength"));
            Assert.True(answer.Transit);
            Assert.Equal(IscsiPdu.FullFeaturePhase, answer.Nsg);
            IscsiTestKit.FinishOperational(session, _target, ScriptedTarget.Text());
        }

        [Fact]
        public void An_operational_answer_outside_what_we_offered_fails_negotiation()
        {
            IscsiSession session = StartedSession();
            Respond(session, ScriptedTarget.LoginFlags(true, 0, 1), 0, "AuthMethod=None\0");
            Respond(session, ScriptedTarget.LoginFlags(true, 1, 3), 0, IscsiTestKit.Keys("MaxRecvDataSegmentLength=511"));
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.NegotiationFailed, session.LastError);
        }

        [Fact]
        public void A_malformed_operational_answer_fails_the_login()
        {
            IscsiSession session = StartedSession();
            Respond(session, ScriptedTarget.LoginFlags(true, 0, 1), 0, "AuthMethod=None\0");
            Respond(session, ScriptedTarget.LoginFlags(true, 1, 3), 0, "MaxBurstLength=65536\0NoEqualsHere\0");
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
        }

        [Fact]
        public void Digests_are_switched_on_after_login_only_when_negotiated()
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.HeaderDigest = true;
            options.DataDigest = true;
            IscsiSession session = IscsiTestKit.Session(_target, options);
            IscsiTestKit.StartAndPassSecurity(session, _target);
            SentPdu proposal = _target.LastSent(IscsiPdu.LoginRequest);
            Assert.Equal("CRC32C,None", proposal.Key("HeaderDigest"));
            Assert.Equal("CRC32C,None", proposal.Key("DataDigest"));

            // The final login response goes out without digests; everything after it has a header digest only.
            IscsiTestKit.FinishOperational(session, _target, IscsiTestKit.Keys("HeaderDigest=CRC32C", "DataDigest=None"));
            Assert.True(session.Parameters.HeaderDigest);
            Assert.False(session.Parameters.DataDigest);
            Assert.True(_target.HeaderDigest);
            Assert.False(_target.DataDigest);

            byte[] data = IscsiTestKit.Pattern(1000);
            IscsiTask write = IscsiTestKit.Write(session, data, 0, data.Length);
            SentPdu command = _target.LastSent(IscsiPdu.ScsiCommand);
            Assert.True(command.HeaderDigestOk);
            Assert.Equal(data, command.Data);
            _target.Deliver(session, _target.ScsiResponse(write.Tag));
            Assert.Equal(IscsiStatus.Success, write.Result);
        }

        [Fact]
        public void Digests_stay_off_when_the_target_answers_none()
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.HeaderDigest = true;
            options.DataDigest = true;
            IscsiSession session = IscsiTestKit.Session(_target, options);
            IscsiTestKit.LogIn(session, _target);
            Assert.False(session.Parameters.HeaderDigest);
            Assert.False(session.Parameters.DataDigest);
            IscsiTask task = IscsiTestKit.Read(session, new byte[16], 0, 16);
            Assert.Equal(task.Tag, _target.LastSent(IscsiPdu.ScsiCommand).Itt);
        }

        [Fact]
        public void A_target_choosing_crc32c_we_did_not_offer_fails_the_login_instead_of_desynchronising()
        {
            IscsiSession session = StartedSession();
            Respond(session, ScriptedTarget.LoginFlags(true, 0, 1), 0, "AuthMethod=None\0");
            Respond(session, ScriptedTarget.LoginFlags(true, 1, 3), 0, IscsiTestKit.Keys("HeaderDigest=CRC32C"));
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.NegotiationFailed, session.LastError);
            Assert.False(session.Parameters.HeaderDigest);
        }
    }
}
