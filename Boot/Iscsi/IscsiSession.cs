// An iSCSI Normal session with one connection, as initiator (RFC 7143): connect, login
// (IscsiSession.Login.cs), Full Feature Phase with several commands in flight inside the CmdSN
// window (IscsiSession.Commands.cs), keepalive NOP-Outs, Logout, and recovery at
// ErrorRecoveryLevel 0: when the connection breaks, the session reconnects, logs in again with
// the same ISID and TSIH 0 (session reinstatement, §6.3.5) and puts every unfinished task back
// on the wire. Everything is poll-driven: the owner calls Poll in its loop.
using System;

namespace Bootstage.Boot.Iscsi
{
    public enum IscsiSessionState
    {
        Idle,
        Connecting,
        LoggingIn,
        FullFeature,
        LoggingOut,
        LoggedOut,
        Failed,
    }

    public struct IscsiSessionCounters
    {
        public ulong Logins;
        public ulong Redirects;
        public ulong ConnectionFailures;
        public ulong CommandsSent;
        public ulong Reissued;
        public ulong NopInPingsAnswered;
        public ulong KeepalivesSent;
        public ulong AsyncMessages;
        public ulong Rejects;
        public ulong MalformedPdus;
        public ulong StalePdus;
    }

    public sealed partial class IscsiSession : IIscsiPduHandler
    {
        public const int MaxTasks = 32;
        private const uint KeepaliveTagBase = 0x80000000;

        private readonly IscsiOptions _options;
        private readonly IIscsiTransport _transport;
        private readonly IRandomSource _random;
        private readonly IscsiConnection _connection;
        private readonly IscsiTask[] _tasks = new IscsiTask[MaxTasks];
        private readonly byte[] _header = new byte[IscsiPdu.BasicHeaderLength];
        private readonly byte[] _isid = new byte[6];
        private readonly byte[] _portal = new byte[256];
        private readonly byte[] _redirectPortal = new byte[256];
        private int _portalLength;
        private int _redirectLength;
        private ushort _port;
        private ushort _redirectPort;

        private uint _cmdSn;
        private uint _expCmdSn;
        private uint _maxCmdSn;
        private uint _expStatSn;
        private ulong _sequence;

        private ulong _lastReceiveMs;
        private uint _keepaliveTag;
        private ulong _keepaliveSentMs;
        private bool _keepaliveOutstanding;
        private readonly byte[] _pingEcho;
        private bool _pingEchoBusy;
        private uint _logoutTag;

        private bool _pduInvalid;
        private bool _logoutRequested;

        public IscsiSession(IscsiOptions options, IIscsiTransport transport, IRandomSource random)
        {
            _options = options;
            _transport = transport;
            _random = random;
            _connection = new IscsiConnection(transport, (int)options.MaxRecvDataSegmentLength);
            _pingEcho = new byte[4096];
            for (int i = 0; i < MaxTasks; i++)
            {
                _tasks[i] = new IscsiTask(i);
            }

            // ISID type "random" (RFC 7143 §10.12.5: T=10b), qualifier random too: unique per boot.
            uint a = random.NextUInt32();
            uint b = random.NextUInt32();
            _isid[0] = 0x80;
            _isid[1] = (byte)(a >> 16);
            _isid[2] = (byte)(a >> 8);
            _isid[3] = (byte)a;
            _isid[4] = (byte)(b >> 8);
            _isid[5] = (byte)b;
            _cmdSn = random.NextUInt32();
            Parameters = IscsiParameters.Defaults(options);
        }

        public IscsiSessionState State { get; private set; }

        /// <summary>Why the session last failed (Success while healthy).</summary>
        public IscsiStatus LastError { get; private set; }

        public IscsiParameters Parameters;

        public IscsiSessionCounters Counters;

        public IscsiConnectionCounters ConnectionCounters => _connection.Counters;

        public ushort Tsih { get; private set; }

        public ReadOnlySpan<byte> Isid => _isid;

        /// <summary>The target asked us to log out (Async event 1): the owner should do so soon.</summary>
        public bool LogoutRequested => _logoutRequested;

        public ulong Milliseconds => _transport.Milliseconds;

        /// <summary>Begins connect + login to the portal; Poll until FullFeature or Failed.</summary>
        public IscsiStatus Start(ReadOnlySpan<byte> server, ushort port)
        {
            IscsiStatus valid = _options.Validate();
            if (valid != IscsiStatus.Success)
            {
                LastError = valid;
                State = IscsiSessionState.Failed;
                return valid;
            }

            if (server.Length == 0 || server.Length > _portal.Length)
            {
                return IscsiStatus.InvalidArgument;
            }

            server.CopyTo(_portal);
            _portalLength = server.Length;
            _port = port;
            _redirectLength = 0;
            return Reconnect();
        }

        /// <summary>
        /// After a failure: a new connection and login (session reinstatement); unfinished tasks go
        /// out again once the login completes.
        /// </summary>
        public IscsiStatus Reconnect()
        {
            _transport.Abort();
            _connection.Reset();
            _keepaliveOutstanding = false;
            _pingEchoBusy = false;
            _logoutRequested = false;
            _pduInvalid = false;
            Parameters = IscsiParameters.Defaults(_options);
            for (int i = 0; i < MaxTasks; i++)
            {
                IscsiTask task = _tasks[i];
                if (task.State == IscsiTaskState.Sent)
                {
                    task.State = IscsiTaskState.Waiting;
                    task.ResetProgress();
                    task.Reissues++;
                    Counters.Reissued++;
                }
            }

            // A temporary redirect applies to the one connection it answered.
            bool redirected = _redirectLength > 0;
            ReadOnlySpan<byte> server = redirected ? new ReadOnlySpan<byte>(_redirectPortal, 0, _redirectLength) : new ReadOnlySpan<byte>(_portal, 0, _portalLength);
            ushort port = redirected ? _redirectPort : _port;
            _redirectLength = 0;
            IscsiStatus status = _transport.Connect(server, port);
            if (status != IscsiStatus.Success && status != IscsiStatus.Pending)
            {
                return Fail(status);
            }

            LastError = IscsiStatus.Success;
            State = IscsiSessionState.Connecting;
            _loginDeadline = _transport.Milliseconds + _options.LoginTimeoutMs;
            return IscsiStatus.Pending;
        }

        /// <summary>Drives the connection: sends, receives, timers. Cheap when idle.</summary>
        public void Poll()
        {
            _transport.Poll();
            switch (State)
            {
                case IscsiSessionState.Connecting:
                    PollConnecting();
                    break;
                case IscsiSessionState.LoggingIn:
                case IscsiSessionState.FullFeature:
                case IscsiSessionState.LoggingOut:
                    PollConnected();
                    break;
            }
        }

        private void PollConnecting()
        {
            TransportState transport = _transport.State;
            if (transport == TransportState.Open)
            {
                State = IscsiSessionState.LoggingIn;
                _lastReceiveMs = _transport.Milliseconds;
                BeginLogin();
                _connection.Flush();
            }
            else if (transport == TransportState.Failed || transport == TransportState.Idle || _transport.Milliseconds > _loginDeadline)
            {
                Fail(transport == TransportState.Failed || transport == TransportState.Idle ? IscsiStatus.ConnectFailed : IscsiStatus.Timeout);
            }
        }

        private void PollConnected()
        {
            _connection.Flush();
            if (_connection.Receive(this) > 0)
            {
                _lastReceiveMs = _transport.Milliseconds;
            }

            if (_pduInvalid)
            {
                _connection.Fail(IscsiStatus.ProtocolError);
            }

            if (_connection.Failure != IscsiStatus.Success)
            {
                Fail(_connection.Failure);
                return;
            }

            if (State == IscsiSessionState.Failed || State == IscsiSessionState.Connecting)
            {
                // A PDU just ended the login (refused, or redirected elsewhere): that is the reason
                // to report, not the connection the target closes after it.
                return;
            }

            if (State == IscsiSessionState.FullFeature)
            {
                DispatchWaiting();
                PumpDataOut();
                Keepalive();
            }

            _connection.Flush();
            if (_connection.SendIdle)
            {
                _pingEchoBusy = false;
            }

            TransportState transport = _transport.State;
            if (State != IscsiSessionState.LoggingIn && State != IscsiSessionState.FullFeature && State != IscsiSessionState.LoggingOut)
            {
                // Logged out, or already failed (keepalive timeout) or redirected in this poll.
                return;
            }

            if (transport == TransportState.Failed || transport == TransportState.Idle)
            {
                Fail(IscsiStatus.ConnectionLost);
            }
            else if (State == IscsiSessionState.LoggingIn && _transport.Milliseconds > _loginDeadline)
            {
                Fail(IscsiStatus.Timeout);
            }
        }

        private void Keepalive()
        {
            ulong now = _transport.Milliseconds;
            if (_keepaliveOutstanding)
            {
                if (now - _keepaliveSentMs > _options.KeepaliveTimeoutMs)
                {
                    Fail(IscsiStatus.Timeout);
                }

                return;
            }

            if (_options.KeepaliveIdleMs == 0 || now - _lastReceiveMs < _options.KeepaliveIdleMs || _connection.FreeSlots == 0)
            {
                return;
            }

            // A ping that wants an answer (ITT set, TTT reserved), sent immediate so it needs no
            // CmdSN window (§11.18).
            _keepaliveTag = KeepaliveTagBase | (_random.NextUInt32() & 0x7FFFFFFF);
            BuildNopOut(_keepaliveTag, IscsiPdu.ReservedTag, 0);
            _connection.Enqueue(_header, null, 0, 0);
            _keepaliveOutstanding = true;
            _keepaliveSentMs = now;
            Counters.KeepalivesSent++;
        }

        private void BuildNopOut(uint initiatorTag, uint targetTag, ulong lun)
        {
            Span<byte> h = _header;
            h.Clear();
            h[0] = IscsiPdu.NopOut | IscsiPdu.ImmediateBit;
            h[1] = IscsiPdu.FinalFlag;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(h.Slice(IscsiPdu.LunOffset), lun);
            IscsiPdu.WriteUInt32(h, IscsiPdu.InitiatorTaskTagOffset, initiatorTag);
            IscsiPdu.WriteUInt32(h, IscsiPdu.TargetTransferTagOffset, targetTag);
            IscsiPdu.WriteUInt32(h, IscsiPdu.CmdSnOffset, _cmdSn);
            IscsiPdu.WriteUInt32(h, IscsiPdu.ExpStatSnOffset, _expStatSn);
        }

        /// <summary>Asks the target to close the session (Logout reason 0); Poll until LoggedOut.</summary>
        public IscsiStatus Logout()
        {
            if (State != IscsiSessionState.FullFeature)
            {
                _transport.Abort();
                State = IscsiSessionState.LoggedOut;
                return IscsiStatus.NotLoggedIn;
            }

            Span<byte> h = _header;
            h.Clear();
            h[0] = IscsiPdu.LogoutRequest | IscsiPdu.ImmediateBit;
            h[1] = IscsiPdu.FinalFlag;
            _logoutTag = 0x4C4F0000 | (_random.NextUInt32() & 0xFFFF);
            IscsiPdu.WriteUInt32(h, IscsiPdu.InitiatorTaskTagOffset, _logoutTag);
            IscsiPdu.WriteUInt32(h, IscsiPdu.CmdSnOffset, _cmdSn);
            IscsiPdu.WriteUInt32(h, IscsiPdu.ExpStatSnOffset, _expStatSn);
            if (!_connection.Enqueue(h, null, 0, 0))
            {
                return IscsiStatus.NoFreeTask;
            }

            State = IscsiSessionState.LoggingOut;
            _loginDeadline = _transport.Milliseconds + _options.LoginTimeoutMs;
            _connection.Flush();
            return IscsiStatus.Pending;
        }

        /// <summary>Gives up on the connection; tasks stay for Reconnect unless the owner aborts them.</summary>
        public IscsiStatus Fail(IscsiStatus reason)
        {
            if (State == IscsiSessionState.LoggingOut)
            {
                // The target closing the connection after a Logout request is the expected end.
                _transport.Abort();
                State = IscsiSessionState.LoggedOut;
                return reason;
            }

            _transport.Abort();
            LastError = reason;
            State = IscsiSessionState.Failed;
            Counters.ConnectionFailures++;
            return reason;
        }

        /// <summary>Finishes every unfinished task with the given status (the owner has given up on them).</summary>
        public void AbortTasks(IscsiStatus reason)
        {
            for (int i = 0; i < MaxTasks; i++)
            {
                IscsiTask task = _tasks[i];
                if (task.State == IscsiTaskState.Waiting || task.State == IscsiTaskState.Sent)
                {
                    Complete(task, reason);
                }
            }
        }

        // Updates the command window from any target PDU that carries ExpCmdSN/MaxCmdSN. A
        // MaxCmdSN below ExpCmdSN-1 is invalid and ignored (§4.2.2.1); values never move back.
        private void UpdateWindow(ReadOnlySpan<byte> header)
        {
            uint exp = IscsiPdu.ReadUInt32(header, IscsiPdu.ExpCmdSnOffset);
            uint max = IscsiPdu.ReadUInt32(header, IscsiPdu.MaxCmdSnOffset);
            if (IscsiPdu.SerialLess(max, exp - 1))
            {
                return;
            }

            if (IscsiPdu.SerialLess(_expCmdSn, exp))
            {
                _expCmdSn = exp;
            }

            if (IscsiPdu.SerialLess(_maxCmdSn, max))
            {
                _maxCmdSn = max;
            }
        }

        private void AcknowledgeStatus(ReadOnlySpan<byte> header)
        {
            uint statSn = IscsiPdu.ReadUInt32(header, IscsiPdu.StatSnOffset);
            if (IscsiPdu.SerialLessOrEqual(_expStatSn, statSn))
            {
                _expStatSn = statSn + 1;
            }
        }

        public byte[]? DataDestination(ReadOnlySpan<byte> header, int length, out int offset)
        {
            offset = 0;
            // The same states ReceivePdu hands Data-In to ReceiveDataIn in: a task's Received must
            // only ever count bytes that landed in its buffer.
            if (IscsiPdu.Opcode(header) != IscsiPdu.DataIn || (State != IscsiSessionState.FullFeature && State != IscsiSessionState.LoggingOut))
            {
                return null;
            }

            IscsiTask? task = FindTask(IscsiPdu.ReadUInt32(header, IscsiPdu.InitiatorTaskTagOffset));
            if (task == null)
            {
                // Counted once, by ReceiveDataIn.
                return null;
            }

            uint bufferOffset = IscsiPdu.ReadUInt32(header, IscsiPdu.BufferOffsetOffset);
            if (task.IsWrite || bufferOffset != (uint)task.Received || (ulong)bufferOffset + (ulong)length > (ulong)task.Length)
            {
                // Out of order, past the buffer, or data for a write: never written anywhere.
                Counters.MalformedPdus++;
                _pduInvalid = true;
                return null;
            }

            offset = task.BufferOffset + (int)bufferOffset;
            return task.Buffer;
        }

        public void ReceivePdu(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
        {
            if (_pduInvalid)
            {
                return;
            }

            byte opcode = IscsiPdu.Opcode(header);
            if (State == IscsiSessionState.LoggingIn)
            {
                if (opcode == IscsiPdu.LoginResponse)
                {
                    ReceiveLoginResponse(header, data);
                }
                else
                {
                    Counters.MalformedPdus++;
                    _pduInvalid = true;
                }

                return;
            }

            if (State != IscsiSessionState.FullFeature && State != IscsiSessionState.LoggingOut)
            {
                // Left behind in this batch by a Logout Response, a failure or a redirect.
                return;
            }

            ReceiveFullFeature(opcode, header, data);
        }
    }
}
