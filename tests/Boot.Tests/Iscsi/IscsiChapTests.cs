// CHAP in the security stage (RFC 7143 §12.1.3, RFC 1994): CHAP_R is MD5(CHAP_I ‖ secret ‖
// CHAP_C), checked against System.Security.Cryptography.MD5; with mutual CHAP the initiator sends
// its own CHAP_I/CHAP_C, never the target's challenge reflected back, and refuses a target whose
// answer is wrong, missing or under another name. With credentials configured, a target cannot
// talk the initiator into AuthMethod=None or into leaving the security stage before CHAP is done.
using System;
using System.Security.Cryptography;
using System.Text;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests.Iscsi
{
    public class IscsiChapTests
    {
        private const string User = "boot-initiator";
        private const string Secret = "forward-secret-16";
        private const string TargetUser = "disk-target";
        private const string TargetSecret = "reverse-secret-17";

        private readonly ScriptedTarget _target = new ScriptedTarget();
        private readonly DeterministicRandom _random = new DeterministicRandom(0xC0FFEE);
        private readonly byte[] _challenge = Convert.FromHexString("00112233445566778899aabbccddeeff");

        private static IscsiOptions Options(bool mutual)
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.Username = Encoding.ASCII.GetBytes(User);
            options.Password = Encoding.ASCII.GetBytes(Secret);
            if (mutual)
            {
                options.ReverseUsername = Encoding.ASCII.GetBytes(TargetUser);
                options.ReversePassword = Encoding.ASCII.GetBytes(TargetSecret);
            }

            return options;
        }

        private static byte[] ChapResponse(byte id, string secret, byte[] challenge)
        {
            byte[] input = new byte[1 + secret.Length + challenge.Length];
            input[0] = id;
            Encoding.ASCII.GetBytes(secret).CopyTo(input, 1);
            challenge.CopyTo(input, 1 + secret.Length);
            return MD5.HashData(input);
        }

        private static string Hex(byte[] value) => "0x" + Convert.ToHexString(value).ToLowerInvariant();

        private static byte[] Unhex(string? value)
        {
            Assert.NotNull(value);
            Assert.StartsWith("0x", value);
            return Convert.FromHexString(value!.Substring(2));
        }

        private void Respond(IscsiSession session, byte flags, string keys)
        {
            _target.Deliver(session, _target.LoginResponse(flags, 0, keys));
        }

        /// <summary>Starts the login and agrees on CHAP; the initiator has just sent CHAP_A.</summary>
        private IscsiSession AgreeOnChap(bool mutual)
        {
            IscsiSession session = new IscsiSession(Options(mutual), _target, _random);
            session.Start(Encoding.ASCII.GetBytes(IscsiTestKit.Portal), 3260);
            session.Poll();
            Respond(session, ScriptedTarget.LoginFlags(false, 0, 0), ScriptedTarget.Text("AuthMethod=CHAP"));
            SentPdu algorithm = _target.LastSent(IscsiPdu.LoginRequest);
            Assert.Equal("5", algorithm.Key("CHAP_A"));
            Assert.False(algorithm.Transit);
            return session;
        }

        /// <summary>Sends the target's challenge; returns the initiator's answer.</summary>
        private SentPdu Challenge(IscsiSession session, byte id = 42, string? challenge = null)
        {
            Respond(session, ScriptedTarget.LoginFlags(false, 0, 0),
                ScriptedTarget.Text("CHAP_A=5", "CHAP_I=" + id, "CHAP_C=" + (challenge ?? Hex(_challenge))));
            Assert.Equal(IscsiSessionState.LoggingIn, session.State);
            return _target.LastSent(IscsiPdu.LoginRequest);
        }

        /// <summary>The target's mutual CHAP answer to the challenge the initiator sent.</summary>
        private static string TargetAnswer(SentPdu answer, string name = TargetUser, string secret = TargetSecret)
        {
            byte id = byte.Parse(answer.Key("CHAP_I")!);
            byte[] response = ChapResponse(id, secret, Unhex(answer.Key("CHAP_C")));
            return ScriptedTarget.Text("CHAP_N=" + name, "CHAP_R=" + Hex(response));
        }

        [Fact]
        public void Chap_response_is_md5_of_identifier_secret_and_challenge()
        {
            IscsiSession session = AgreeOnChap(mutual: false);
            SentPdu answer = Challenge(session, id: 42);
            Assert.Equal(User, answer.Key("CHAP_N"));
            Assert.Equal(ChapResponse(42, Secret, _challenge), Unhex(answer.Key("CHAP_R")));
            Assert.Null(answer.Key("CHAP_C"));
            Assert.True(answer.Transit);
            Assert.Equal(IscsiPdu.OperationalNegotiation, answer.Nsg);

            Respond(session, ScriptedTarget.LoginFlags(true, 0, 1), "");
            Assert.Equal(IscsiPdu.OperationalNegotiation, _target.LastSent(IscsiPdu.LoginRequest).Csg);
            IscsiTestKit.FinishOperational(session, _target);
        }

        [Theory]
        [InlineData(0)]
        [InlineData(255)]
        public void Chap_identifier_is_used_as_one_byte_at_both_ends_of_its_range(int id)
        {
            IscsiSession session = AgreeOnChap(mutual: false);
            SentPdu answer = Challenge(session, id: (byte)id);
            Assert.Equal(ChapResponse((byte)id, Secret, _challenge), Unhex(answer.Key("CHAP_R")));
        }

        [Fact]
        public void A_base64_challenge_is_answered_like_a_hex_one()
        {
            IscsiSession session = AgreeOnChap(mutual: false);
            SentPdu answer = Challenge(session, id: 9, challenge: "0b" + Convert.ToBase64String(_challenge));
            Assert.Equal(ChapResponse(9, Secret, _challenge), Unhex(answer.Key("CHAP_R")));
        }

        [Fact]
        public void Mutual_chap_sends_its_own_challenge_never_the_targets_reflected()
        {
            IscsiSession session = AgreeOnChap(mutual: true);

            // Make the target's challenge exactly what the initiator's random source yields next.
            DeterministicRandom predicted = _random.Clone();
            byte[] reflected = new byte[16];
            for (int i = 0; i < 16; i += 4)
            {
                BitConverter.TryWriteBytes(reflected.AsSpan(i), predicted.NextUInt32());
            }

            SentPdu answer = Challenge(session, id: 5, challenge: Hex(reflected));
            byte[] ours = Unhex(answer.Key("CHAP_C"));
            Assert.Equal(16, ours.Length);
            Assert.NotEqual(reflected, ours);
            Assert.NotNull(answer.Key("CHAP_I"));
            Assert.Equal(ChapResponse(5, Secret, reflected), Unhex(answer.Key("CHAP_R")));
        }

        [Fact]
        public void Mutual_chap_accepts_the_right_target_response_and_logs_in()
        {
            IscsiSession session = AgreeOnChap(mutual: true);
            SentPdu answer = Challenge(session);
            Respond(session, ScriptedTarget.LoginFlags(true, 0, 1), TargetAnswer(answer));
            Assert.Equal(IscsiSessionState.LoggingIn, session.State);
            IscsiTestKit.FinishOperational(session, _target);
        }

        public static TheoryData<string> WrongTargetAnswers => new TheoryData<string>
        {
            "wrong-response",
            "missing-response",
            "other-name",
            "missing-name",
            "forward-secret",
            "short-response",
            "garbage-response",
        };

        [Theory]
        [MemberData(nameof(WrongTargetAnswers))]
        public void Mutual_chap_refuses_a_target_whose_answer_is_wrong_missing_or_under_another_name(string kind)
        {
            IscsiSession session = AgreeOnChap(mutual: true);
            SentPdu answer = Challenge(session);
            byte id = byte.Parse(answer.Key("CHAP_I")!);
            byte[] right = ChapResponse(id, TargetSecret, Unhex(answer.Key("CHAP_C")));
            byte[] wrong = (byte[])right.Clone();
            wrong[15] ^= 1;
            string keys = kind switch
            {
                "wrong-response" => ScriptedTarget.Text("CHAP_N=" + TargetUser, "CHAP_R=" + Hex(wrong)),
                "missing-response" => ScriptedTarget.Text("CHAP_N=" + TargetUser),
                "other-name" => TargetAnswer(answer, name: "someone-else"),
                "missing-name" => ScriptedTarget.Text("CHAP_R=" + Hex(right)),
                "forward-secret" => TargetAnswer(answer, secret: Secret),
                "short-response" => ScriptedTarget.Text("CHAP_N=" + TargetUser, "CHAP_R=" + Hex(right.AsSpan(0, 15).ToArray())),
                _ => ScriptedTarget.Text("CHAP_N=" + TargetUser, "CHAP_R=0xnot-hex"),
            };
            Respond(session, ScriptedTarget.LoginFlags(true, 0, 1), keys);
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.TargetNotAuthenticated, session.LastError);
            Assert.Empty(_target.Sent.FindAll(p => p.Opcode == IscsiPdu.LoginRequest && p.Csg == IscsiPdu.OperationalNegotiation));
        }

        [Fact]
        public void Mutual_chap_refuses_a_target_that_jumps_to_full_feature_without_answering()
        {
            IscsiSession session = AgreeOnChap(mutual: true);
            Challenge(session);
            Respond(session, ScriptedTarget.LoginFlags(true, 0, 3), "");
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.TargetNotAuthenticated, session.LastError);
        }

        [Fact]
        public void A_target_confirming_chap_without_transit_is_asked_again_for_transit()
        {
            // RFC 7143 §6.3 (RFC 3720 §5.3.3): while the initiator still wants to change stage it keeps
            // sending T=1, even in an empty request, until the target answers with T=1.
            IscsiSession session = AgreeOnChap(mutual: true);
            SentPdu answer = Challenge(session);
            Respond(session, ScriptedTarget.LoginFlags(false, 0, 0), TargetAnswer(answer));
            SentPdu again = _target.LastSent(IscsiPdu.LoginRequest);
            Assert.Equal(IscsiSessionState.LoggingIn, session.State);
            Assert.True(again.Transit);
            Assert.Equal(IscsiPdu.SecurityNegotiation, again.Csg);
            Assert.Equal(IscsiPdu.OperationalNegotiation, again.Nsg);

            Respond(session, ScriptedTarget.LoginFlags(true, 0, 1), "");
            IscsiTestKit.FinishOperational(session, _target);
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void A_target_answering_auth_method_none_when_we_have_credentials_fails_the_login(bool transit)
        {
            IscsiSession session = IscsiTestKit.Session(_target, Options(mutual: false));
            session.Start(Encoding.ASCII.GetBytes(IscsiTestKit.Portal), 3260);
            session.Poll();
            Respond(session, ScriptedTarget.LoginFlags(transit, 0, 1), ScriptedTarget.Text("AuthMethod=None"));
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.NegotiationFailed, session.LastError);
            Assert.Single(_target.SentOf(IscsiPdu.LoginRequest));
        }

        [Theory]
        [InlineData("Reject")]
        [InlineData("NotUnderstood")]
        [InlineData("SRP")]
        public void A_target_refusing_our_auth_method_fails_authentication(string value)
        {
            IscsiSession session = IscsiTestKit.Session(_target, Options(mutual: false));
            session.Start(Encoding.ASCII.GetBytes(IscsiTestKit.Portal), 3260);
            session.Poll();
            Respond(session, ScriptedTarget.LoginFlags(false, 0, 0), ScriptedTarget.Text("AuthMethod=" + value));
            Assert.Equal(IscsiStatus.AuthenticationFailed, session.LastError);
        }

        [Fact]
        public void Without_credentials_a_target_demanding_chap_fails_the_login()
        {
            IscsiSession session = IscsiTestKit.Session(_target);
            session.Start(Encoding.ASCII.GetBytes(IscsiTestKit.Portal), 3260);
            session.Poll();
            Respond(session, ScriptedTarget.LoginFlags(false, 0, 0), ScriptedTarget.Text("AuthMethod=CHAP"));
            Assert.Equal(IscsiStatus.NegotiationFailed, session.LastError);
        }

        [Theory]
        [InlineData(IscsiPdu.OperationalNegotiation)]
        [InlineData(IscsiPdu.FullFeaturePhase)]
        public void Transit_out_of_security_before_chap_completed_fails(int nextStage)
        {
            IscsiSession session = IscsiTestKit.Session(_target, Options(mutual: false));
            session.Start(Encoding.ASCII.GetBytes(IscsiTestKit.Portal), 3260);
            session.Poll();
            Respond(session, ScriptedTarget.LoginFlags(true, 0, nextStage), ScriptedTarget.Text("AuthMethod=CHAP"));
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.AuthenticationFailed, session.LastError);
        }

        [Theory]
        [InlineData(IscsiPdu.OperationalNegotiation)]
        [InlineData(IscsiPdu.FullFeaturePhase)]
        public void Transit_together_with_the_challenge_fails_because_the_target_never_saw_our_response(int nextStage)
        {
            IscsiSession session = AgreeOnChap(mutual: false);
            Respond(session, ScriptedTarget.LoginFlags(true, 0, nextStage),
                ScriptedTarget.Text("CHAP_A=5", "CHAP_I=1", "CHAP_C=" + Hex(_challenge)));
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.AuthenticationFailed, session.LastError);
        }

        [Theory]
        [InlineData("CHAP_A=7", "CHAP_I=1", IscsiStatus.NegotiationFailed)]
        [InlineData("CHAP_A=5", "CHAP_I=256", IscsiStatus.NegotiationFailed)]
        [InlineData("CHAP_A=5", "CHAP_I=one", IscsiStatus.NegotiationFailed)]
        public void A_challenge_with_an_algorithm_or_identifier_we_cannot_use_fails(string algorithm, string identifier, IscsiStatus expected)
        {
            IscsiSession session = AgreeOnChap(mutual: false);
            Respond(session, ScriptedTarget.LoginFlags(false, 0, 0), ScriptedTarget.Text(algorithm, identifier, "CHAP_C=" + Hex(_challenge)));
            Assert.Equal(expected, session.LastError);
        }

        [Theory]
        [InlineData("0xZZ")]
        [InlineData("0x")]
        [InlineData("00112233")]
        [InlineData("0b!!!!")]
        public void A_challenge_that_does_not_decode_fails_the_login(string challenge)
        {
            IscsiSession session = AgreeOnChap(mutual: false);
            Respond(session, ScriptedTarget.LoginFlags(false, 0, 0), ScriptedTarget.Text("CHAP_A=5", "CHAP_I=1", "CHAP_C=" + challenge));
            Assert.Equal(IscsiSessionState.Failed, session.State);
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
        }

        [Fact]
        public void A_challenge_larger_than_we_accept_fails_instead_of_overrunning()
        {
            IscsiSession session = AgreeOnChap(mutual: false);
            Respond(session, ScriptedTarget.LoginFlags(false, 0, 0), ScriptedTarget.Text("CHAP_A=5", "CHAP_I=1", "CHAP_C=" + Hex(new byte[2000])));
            Assert.Equal(IscsiStatus.ProtocolError, session.LastError);
        }
    }
}
