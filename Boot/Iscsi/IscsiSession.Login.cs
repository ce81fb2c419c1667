// The login phase (RFC 7143 §6): Security Negotiation with AuthMethod None or CHAP (RFC 1994
// with MD5, CHAP_A=5; mutual CHAP adds our own CHAP_I/CHAP_C and checks the target's answer),
// then Operational Negotiation of the keys in IscsiParameters, then Full Feature Phase. Login
// responses split with the C bit are gathered before their keys are read. Status class 1 is a
// redirect to TargetAddress; classes 2 and 3 end the login with a named status. With credentials
// configured we only offer CHAP, so a target cannot talk us into an unauthenticated session.
using System;
using System.Buffers.Binary;
using Bootstage.Boot.Crypto;

namespace Bootstage.Boot.Iscsi
{
    public sealed partial class IscsiSession
    {
        private const int MaxLoginText = 32 * 1024;
        private const int ChallengeLength = 16;

        private enum ChapStep
        {
            None,
            AlgorithmSent,
            ResponseSent,
            Done,
        }

        private readonly byte[] _loginRequest = new byte[8192];
        private readonly byte[] _loginText = new byte[MaxLoginText];
        private readonly byte[] _ourChallenge = new byte[ChallengeLength];
        private int _loginTextLength;
        private int _stage;
        private ChapStep _chap;
        private byte _ourChapId;
        private bool _targetAuthenticated;
        private uint _loginTag;
        private ulong _loginDeadline;
        private int _redirects;

        private void BeginLogin()
        {
            _stage = IscsiPdu.SecurityNegotiation;
            _chap = ChapStep.None;
            _targetAuthenticated = false;
            _loginTextLength = 0;
            _expStatSn = 0;
            _loginTag = 0x4C490000 | (_random.NextUInt32() & 0xFFFF);
            Counters.Logins++;

            IscsiTextWriter keys = new IscsiTextWriter(_loginRequest);
            keys.Add("InitiatorName"u8, _options.InitiatorName);
            keys.Add("TargetName"u8, _options.TargetName);
            keys.Add("SessionType"u8, "Normal"u8);
            keys.Add("AuthMethod"u8, _options.UsesChap ? "CHAP"u8 : "None"u8);
            // Without authentication, ask to move on at once; with CHAP the target must first see
            // our response, so transit is requested with it.
            SendLogin(!_options.UsesChap, IscsiPdu.OperationalNegotiation, keys.Length);
        }

        private void SendLogin(bool transit, int nextStage, int textLength)
        {
            Span<byte> h = _header;
            h.Clear();
            h[0] = IscsiPdu.LoginRequest | IscsiPdu.ImmediateBit;
            h[1] = (byte)((transit ? IscsiPdu.TransitFlag : 0) | (_stage << 2) | (transit ? nextStage : 0));
            new ReadOnlySpan<byte>(_isid).CopyTo(h.Slice(IscsiPdu.IsidOffset));
            // TSIH 0: a new session, or the reinstatement of ours after a lost connection.
            IscsiPdu.WriteUInt32(h, IscsiPdu.InitiatorTaskTagOffset, _loginTag);
            IscsiPdu.WriteUInt32(h, IscsiPdu.CmdSnOffset, _cmdSn);
            IscsiPdu.WriteUInt32(h, IscsiPdu.ExpStatSnOffset, _expStatSn);
            _connection.Enqueue(h, _loginRequest, 0, textLength);
        }

        private void ReceiveLoginResponse(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
        {
            if (IscsiPdu.ReadUInt32(header, IscsiPdu.InitiatorTaskTagOffset) != _loginTag || header[3] != 0)
            {
                // Wrong tag, or a protocol version other than 0 (the only one there is).
                LoginFailed(IscsiStatus.ProtocolError);
                return;
            }

            _expStatSn = IscsiPdu.ReadUInt32(header, IscsiPdu.StatSnOffset) + 1;
            byte statusClass = header[IscsiPdu.StatusClassOffset];
            byte statusDetail = header[IscsiPdu.StatusClassOffset + 1];
            if (statusClass == 1)
            {
                Redirect(data, permanent: statusDetail == 0x02);
                return;
            }

            if (statusClass != 0)
            {
                LoginFailed(IscsiStatusText.FromLoginStatus(statusClass, statusDetail));
                return;
            }

            if (_loginTextLength + data.Length > MaxLoginText)
            {
                LoginFailed(IscsiStatus.ProtocolError);
                return;
            }

            data.CopyTo(new Span<byte>(_loginText, _loginTextLength, data.Length));
            _loginTextLength += data.Length;
            bool transit = (header[1] & IscsiPdu.TransitFlag) != 0;
            bool more = (header[1] & IscsiPdu.ContinueFlag) != 0;
            if (more)
            {
                if (transit)
                {
                    LoginFailed(IscsiStatus.ProtocolError);
                    return;
                }

                // The target has more text: ask for it with an empty request in the same stage.
                SendLogin(false, 0, 0);
                return;
            }

            int currentStage = (header[1] >> 2) & 3;
            int nextStage = header[1] & 3;
            if (currentStage != _stage)
            {
                LoginFailed(IscsiStatus.ProtocolError);
                return;
            }

            int answerLength;
            IscsiStatus keys = _stage == IscsiPdu.SecurityNegotiation ? SecurityKeys(out answerLength) : OperationalKeys(out answerLength);
            _loginTextLength = 0;
            if (keys != IscsiStatus.Success)
            {
                LoginFailed(keys);
                return;
            }

            if (transit)
            {
                if (_stage == IscsiPdu.SecurityNegotiation && (_options.UsesChap && _chap != ChapStep.Done))
                {
                    // Moving on before our CHAP exchange completed would be an unauthenticated session.
                    LoginFailed(IscsiStatus.AuthenticationFailed);
                    return;
                }

                if (nextStage == IscsiPdu.FullFeaturePhase)
                {
                    EnterFullFeature(header);
                    return;
                }

                if (nextStage != IscsiPdu.OperationalNegotiation || _stage != IscsiPdu.SecurityNegotiation)
                {
                    LoginFailed(IscsiStatus.ProtocolError);
                    return;
                }

                _stage = IscsiPdu.OperationalNegotiation;
                IscsiTextWriter proposal = new IscsiTextWriter(_loginRequest);
                IscsiParameters.Propose(_options, ref proposal);
                SendLogin(true, IscsiPdu.FullFeaturePhase, proposal.Length);
                return;
            }

            // Same stage, more to say (CHAP steps, or answers to the target's own proposals).
            // Once CHAP is done we keep asking for transit until the target grants it (§6.3).
            bool wantTransit = _stage == IscsiPdu.OperationalNegotiation || _chap == ChapStep.ResponseSent || _chap == ChapStep.Done || !_options.UsesChap;
            SendLogin(wantTransit, _stage == IscsiPdu.SecurityNegotiation ? IscsiPdu.OperationalNegotiation : IscsiPdu.FullFeaturePhase, answerLength);
        }

        private IscsiStatus SecurityKeys(out int answerLength)
        {
            IscsiTextWriter answer = new IscsiTextWriter(_loginRequest);
            IscsiTextReader reader = new IscsiTextReader(new ReadOnlySpan<byte>(_loginText, 0, _loginTextLength));
            ReadOnlySpan<byte> authMethod = default;
            ReadOnlySpan<byte> chapA = default;
            ReadOnlySpan<byte> chapI = default;
            ReadOnlySpan<byte> chapC = default;
            ReadOnlySpan<byte> chapN = default;
            ReadOnlySpan<byte> chapR = default;
            while (reader.MoveNext())
            {
                ReadOnlySpan<byte> key = reader.Key;
                if (key.SequenceEqual("AuthMethod"u8))
                {
                    authMethod = reader.Value;
                }
                else if (key.SequenceEqual("CHAP_A"u8))
                {
                    chapA = reader.Value;
                }
                else if (key.SequenceEqual("CHAP_I"u8))
                {
                    chapI = reader.Value;
                }
                else if (key.SequenceEqual("CHAP_C"u8))
                {
                    chapC = reader.Value;
                }
                else if (key.SequenceEqual("CHAP_N"u8))
                {
                    chapN = reader.Value;
                }
                else if (key.SequenceEqual("CHAP_R"u8))
                {
                    chapR = reader.Value;
                }
                else if (key.SequenceEqual("TargetPortalGroupTag"u8))
                {
                    Parameters.Apply(_options, key, reader.Value);
                }
            }

            answerLength = 0;
            if (reader.Malformed)
            {
                return IscsiStatus.ProtocolError;
            }

            if (authMethod.Length != 0)
            {
                bool chap = authMethod.SequenceEqual("CHAP"u8);
                if (!chap && !authMethod.SequenceEqual("None"u8))
                {
                    // Reject / NotAcceptable: the target will not take what we offered.
                    return IscsiStatus.AuthenticationFailed;
                }

                if (chap != _options.UsesChap)
                {
                    return IscsiStatus.NegotiationFailed;
                }

                if (chap && _chap == ChapStep.None)
                {
                    answer.Add("CHAP_A"u8, "5"u8);
                    _chap = ChapStep.AlgorithmSent;
                }
            }

            if (_chap == ChapStep.AlgorithmSent && chapC.Length != 0)
            {
                IscsiStatus status = AnswerChallenge(chapA, chapI, chapC, ref answer);
                if (status != IscsiStatus.Success)
                {
                    return status;
                }
            }
            else if (_chap == ChapStep.ResponseSent)
            {
                if (_options.UsesMutualChap)
                {
                    if (chapR.Length == 0)
                    {
                        return IscsiStatus.TargetNotAuthenticated;
                    }

                    if (!VerifyTarget(chapN, chapR))
                    {
                        return IscsiStatus.TargetNotAuthenticated;
                    }
                }

                _chap = ChapStep.Done;
            }

            answerLength = answer.Length;
            return answer.Overflow ? IscsiStatus.ProtocolError : IscsiStatus.Success;
        }

        // CHAP_R = MD5(CHAP_I as one byte ‖ secret ‖ challenge) (RFC 1994 §4.1).
        private IscsiStatus AnswerChallenge(ReadOnlySpan<byte> algorithm, ReadOnlySpan<byte> identifier, ReadOnlySpan<byte> challengeText, ref IscsiTextWriter answer)
        {
            if (!algorithm.SequenceEqual("5"u8) || !IscsiTextReader.TryParseNumber(identifier, out uint id) || id > 255)
            {
                return IscsiStatus.NegotiationFailed;
            }

            Span<byte> challenge = stackalloc byte[1024];
            int challengeLength = ChapValue.Decode(challengeText, challenge);
            if (challengeLength <= 0)
            {
                return IscsiStatus.ProtocolError;
            }

            Span<byte> digest = stackalloc byte[16];
            ChapDigest((byte)id, _options.Password, challenge.Slice(0, challengeLength), digest);
            Span<byte> hex = stackalloc byte[2 + 32];
            answer.Add("CHAP_N"u8, _options.Username);
            answer.Add("CHAP_R"u8, hex.Slice(0, ChapValue.Encode(digest, hex)));
            if (_options.UsesMutualChap)
            {
                // Our own challenge, never equal to the one we were just given (a reflected
                // challenge would let the target replay our answer as its own).
                do
                {
                    for (int i = 0; i < ChallengeLength; i += 4)
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(_ourChallenge, i, 4), _random.NextUInt32());
                    }
                }
                while (challengeLength == ChallengeLength && challenge.Slice(0, ChallengeLength).SequenceEqual(_ourChallenge));

                _ourChapId = (byte)_random.NextUInt32();
                Span<byte> idText = stackalloc byte[3];
                answer.Add("CHAP_I"u8, idText.Slice(0, IscsiTextWriter.FormatDecimal(_ourChapId, idText)));
                Span<byte> challengeHex = stackalloc byte[2 + 2 * ChallengeLength];
                answer.Add("CHAP_C"u8, challengeHex.Slice(0, ChapValue.Encode(_ourChallenge, challengeHex)));
            }

            _chap = ChapStep.ResponseSent;
            return IscsiStatus.Success;
        }

        private bool VerifyTarget(ReadOnlySpan<byte> name, ReadOnlySpan<byte> responseText)
        {
            if (!name.SequenceEqual(_options.ReverseUsername))
            {
                return false;
            }

            Span<byte> response = stackalloc byte[64];
            int length = ChapValue.Decode(responseText, response);
            if (length != 16)
            {
                return false;
            }

            Span<byte> expected = stackalloc byte[16];
            ChapDigest(_ourChapId, _options.ReversePassword, _ourChallenge, expected);
            _targetAuthenticated = expected.SequenceEqual(response.Slice(0, 16));
            return _targetAuthenticated;
        }

        private static void ChapDigest(byte id, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> challenge, Span<byte> digest)
        {
            Md5 md5 = new Md5();
            md5.Reset();
            Span<byte> idByte = stackalloc byte[1];
            idByte[0] = id;
            md5.Append(idByte);
            md5.Append(secret);
            md5.Append(challenge);
            md5.Finish(digest);
        }

        private IscsiStatus OperationalKeys(out int answerLength)
        {
            IscsiTextWriter answer = new IscsiTextWriter(_loginRequest);
            IscsiTextReader reader = new IscsiTextReader(new ReadOnlySpan<byte>(_loginText, 0, _loginTextLength));
            while (reader.MoveNext())
            {
                IscsiStatus status = Parameters.Apply(_options, reader.Key, reader.Value);
                if (status == IscsiStatus.ProtocolError)
                {
                    answerLength = 0;
                    return IscsiStatus.NegotiationFailed;
                }

                if (status == IscsiStatus.NegotiationFailed && !IscsiParameters.IsDeclarativeFromTarget(reader.Key))
                {
                    // A key we do not implement (markers, vendor keys): say so (§6.2).
                    answer.Add(reader.Key, "NotUnderstood"u8);
                }
            }

            answerLength = answer.Length;
            return reader.Malformed || answer.Overflow ? IscsiStatus.ProtocolError : IscsiStatus.Success;
        }

        private void EnterFullFeature(ReadOnlySpan<byte> header)
        {
            if (_options.UsesMutualChap && !_targetAuthenticated)
            {
                LoginFailed(IscsiStatus.TargetNotAuthenticated);
                return;
            }

            Tsih = BinaryPrimitives.ReadUInt16BigEndian(header.Slice(IscsiPdu.TsihOffset));
            _expCmdSn = IscsiPdu.ReadUInt32(header, IscsiPdu.ExpCmdSnOffset);
            _maxCmdSn = IscsiPdu.ReadUInt32(header, IscsiPdu.MaxCmdSnOffset);
            _cmdSn = _expCmdSn;
            _connection.HeaderDigest = Parameters.HeaderDigest;
            _connection.DataDigest = Parameters.DataDigest;
            _connection.MaxReceiveSegment = (int)Parameters.OurMaxRecvDataSegmentLength;
            _redirects = 0;
            _lastReceiveMs = _transport.Milliseconds;
            State = IscsiSessionState.FullFeature;

            // Re-issued tasks are not queued and are older than anything queued since: empty the
            // queue so DispatchWaiting rebuilds it from every waiting task, oldest first.
            _waitingCount = 0;
            DispatchWaiting();
        }

        // Temporary (0x0101): this login goes to the new portal, later ones to the original.
        // Permanent (0x0102): the new portal replaces the original for good (§11.13.5).
        private void Redirect(ReadOnlySpan<byte> data, bool permanent)
        {
            IscsiTextReader reader = new IscsiTextReader(data);
            while (reader.MoveNext())
            {
                if (!reader.Key.SequenceEqual("TargetAddress"u8))
                {
                    continue;
                }

                if (++_redirects > _options.MaxRedirects)
                {
                    LoginFailed(IscsiStatus.TooManyRedirects);
                    return;
                }

                if (!IscsiTargetAddress.TryParse(reader.Value, _redirectPortal, out _redirectLength, out _redirectPort))
                {
                    break;
                }

                Counters.Redirects++;
                _loginTextLength = 0;
                if (permanent)
                {
                    new ReadOnlySpan<byte>(_redirectPortal, 0, _redirectLength).CopyTo(_portal);
                    _portalLength = _redirectLength;
                    _port = _redirectPort;
                    _redirectLength = 0;
                }

                Reconnect();
                return;
            }

            LoginFailed(IscsiStatus.ProtocolError);
        }

        private void LoginFailed(IscsiStatus status)
        {
            _redirectLength = 0;
            _redirects = 0;
            Fail(status);
        }
    }
}
