// An active-open TCP connection (RFC 9293) tuned for bulk transfer (iSCSI reads of 64 KiB and
// more): MSS and window-scale options, retransmission timeout per RFC 6298 (with Karn's rule and
// exponential backoff), slow start, congestion avoidance and NewReno fast retransmit/recovery
// (RFC 5681, RFC 6582), delayed ACKs (RFC 1122 §4.2.3.2), out-of-order segments kept in the
// receive ring (not dropped), zero-window probing, FIN and RST handling. Send and receive
// buffers are fixed rings addressed by sequence number: nothing is allocated per segment.
// Poll-driven: the owner calls Poll after the interface's Poll.
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.Net;

namespace Bootstage.Net.Tcp
{
    public sealed partial class TcpConnection
    {
        public const byte FlagFin = 0x01;
        public const byte FlagSyn = 0x02;
        public const byte FlagRst = 0x04;
        public const byte FlagPsh = 0x08;
        public const byte FlagAck = 0x10;

        public const int DefaultBufferSize = 512 * 1024;
        public const ushort OurMss = 1460;
        private const ushort DefaultPeerMss = 536;
        private const ulong MinRtoMs = 200;
        private const ulong MaxRtoMs = 60_000;
        private const ulong InitialRtoMs = 1000;
        private const ulong DelayedAckMs = 40;
        private const ulong TimeWaitMs = 2000;
        private const int MaxTimeouts = 12;
        private const int MaxOutOfOrder = 16;

        private readonly NetInterface _netif;
        private readonly ByteRing _send;
        private readonly ByteRing _receive;
        private readonly byte[] _header = new byte[28];
        private readonly uint[] _oooStart = new uint[MaxOutOfOrder];
        private readonly uint[] _oooEnd = new uint[MaxOutOfOrder];
        private int _oooCount;

        private Ipv4Address _remote;
        private ushort _remotePort;
        private ushort _localPort;

        // Send sequence space.
        private uint _iss;
        private uint _sndUna;
        private uint _sndNxt;
        private uint _sndMax;
        private uint _dataEnd;
        private uint _sndWnd;
        private uint _sndWl1;
        private uint _sndWl2;
        private bool _finQueued;
        private bool _finSent;
        private uint _finSeq;

        // Receive sequence space.
        private uint _rcvNxt;
        private uint _rcvRead;
        private bool _finReceived;
        private int _unackedSegments;
        private uint _lastAdvertised;

        // Options and congestion control.
        private ushort _peerMss = DefaultPeerMss;
        private int _sndScale;
        private int _rcvScale;
        private uint _cwnd;
        private uint _ssthresh = 0xFFFFFFFF;
        private int _dupAcks;
        private uint _recover;
        private bool _inRecovery;

        // Timers (0 = off) and RTT estimation (RFC 6298, values in ms scaled by 8 and 4).
        private ulong _rtoDeadline;
        private ulong _delayedAckDeadline;
        private ulong _persistDeadline;
        private ulong _timeWaitDeadline;
        private ulong _rtoMs = InitialRtoMs;
        private ulong _srtt8;
        private ulong _rttvar4;
        private bool _rttValid;
        private bool _rttActive;
        private uint _rttSeq;
        private ulong _rttStart;
        private int _timeouts;

        public TcpConnection(NetInterface networkInterface, int bufferSize = DefaultBufferSize)
        {
            _netif = networkInterface;
            _send = new ByteRing(bufferSize);
            _receive = new ByteRing(bufferSize);
        }

        public TcpState State { get; private set; }

        public bool WasReset { get; private set; }

        public bool TimedOut { get; private set; }

        public TcpCounters Counters;

        public ushort LocalPort => _localPort;

        public uint CongestionWindow => _cwnd;

        public ulong RetransmissionTimeoutMs => _rtoMs;

        /// <summary>Bytes the application has written that the peer has not acknowledged yet.</summary>
        public int Unacknowledged => (int)(_dataEnd - DataStart());

        /// <summary>Bytes ready for Read.</summary>
        public int Available => (int)(_rcvNxt - _rcvRead) - (_finReceived ? 1 : 0);

        /// <summary>The peer closed its side and everything it sent has been read.</summary>
        public bool RemoteClosed => _finReceived && Available == 0;

        public bool IsEstablished => State == TcpState.Established || State == TcpState.CloseWait;

        /// <summary>Active open. <paramref name="initialSequence"/> should be unpredictable (RDRAND, TSC-seeded).</summary>
        public NetStatus Connect(Ipv4Address remote, ushort remotePort, ushort localPort, uint initialSequence)
        {
            if (State != TcpState.Closed || !_netif.Register(this))
            {
                return NetStatus.Busy;
            }

            ForgetPreviousConnection();
            _remote = remote;
            _remotePort = remotePort;
            _localPort = localPort;
            _iss = initialSequence;
            _sndUna = _iss;
            _sndNxt = _iss;
            _sndMax = _iss;
            _dataEnd = _iss + 1;
            _cwnd = 10u * OurMss; // RFC 6928 initial window
            _rcvScale = 0;
            while (_rcvScale < 14 && ((uint)_receive.Capacity >> _rcvScale) > 65535)
            {
                _rcvScale++;
            }

            State = TcpState.SynSent;
            WasReset = false;
            TimedOut = false;
            SendSyn();
            return NetStatus.Success;
        }

        // A connection object may be opened again once Closed (a re-login after a lost connection
        // reuses it rather than allocating new rings in a kernel without a collector): nothing of
        // the previous connection's state may leak into the new one.
        private void ForgetPreviousConnection()
        {
            _oooCount = 0;
            _sndWnd = 0;
            _sndWl1 = 0;
            _sndWl2 = 0;
            _finQueued = false;
            _finSent = false;
            _finSeq = 0;
            _rcvNxt = 0;
            _rcvRead = 0;
            _finReceived = false;
            _unackedSegments = 0;
            _lastAdvertised = 0;
            _peerMss = DefaultPeerMss;
            _sndScale = 0;
            _ssthresh = 0xFFFFFFFF;
            _dupAcks = 0;
            _recover = 0;
            _inRecovery = false;
            _rtoDeadline = 0;
            _delayedAckDeadline = 0;
            _persistDeadline = 0;
            _timeWaitDeadline = 0;
            _rtoMs = InitialRtoMs;
            _srtt8 = 0;
            _rttvar4 = 0;
            _rttValid = false;
            _rttActive = false;
            _rttSeq = 0;
            _rttStart = 0;
            _timeouts = 0;
            Counters = default;
        }

                internal bool Matches(Ipv4Address remote, ushort remotePort, ushort localPort)
        {
            return State != TcpState.Closed && remote == _remote && remotePort == _remotePort && localPort == _localPort;
        }

        /// <summary>Queues bytes for sending; returns how many fitted in the send buffer.</summary>
        public int Write(ReadOnlySpan<byte> data)
        {
            if (State != TcpState.Established && State != TcpState.CloseWait && State != TcpState.SynSent)
            {
                return 0;
            }

            if (_finQueued)
            {
                return 0;
            }

            int space = _send.Capacity - Unacknowledged;
            int count = data.Length < space ? data.Length : space;
            if (count <= 0)
            {
                return 0;
            }

            _send.Write(_dataEnd, data.Slice(0, count));
            _dataEnd += (uint)count;
            if (State != TcpState.SynSent)
            {
                Output();
            }

            return count;
        }

        /// <summary>Copies received bytes out; reopening the window is announced when it matters.</summary>
        public int Read(Span<byte> destination)
        {
            int count = Available < destination.Length ? Available : destination.Length;
            if (count <= 0)
            {
                return 0;
            }

            _receive.Read(_rcvRead, destination.Slice(0, count));
            _rcvRead += (uint)count;
            // Window update when the window has grown by two segments or half the buffer since last told.
            uint window = ReceiveWindow();
            if (IsEstablished && window - _lastAdvertised >= (uint)(2 * OurMss) && window - _lastAdvertised >= (uint)_receive.Capacity / 4)
            {
                SendAck();
            }

            return count;
        }

        /// <summary>Graceful close: FIN after the queued data.</summary>
        public void Close()
        {
            if (State == TcpState.SynSent)
            {
                Abort();
                return;
            }

            if ((State == TcpState.Established || State == TcpState.CloseWait) && !_finQueued)
            {
                _finQueued = true;
                Output();
            }
        }

        /// <summary>Sends RST and forgets the connection.</summary>
        public void Abort()
        {
            if (State != TcpState.Closed && State != TcpState.SynSent)
            {
                BuildHeader(_sndNxt, FlagRst | FlagAck, 0);
                Transmit(20, default, default);
            }

            Enter(TcpState.Closed);
        }

        private void Enter(TcpState state)
        {
            State = state;
            if (state == TcpState.Closed)
            {
                _rtoDeadline = 0;
                _delayedAckDeadline = 0;
                _persistDeadline = 0;
                _netif.Unregister(this);
            }
        }

        private uint DataStart() => _sndUna == _iss ? _iss + 1 : _sndUna;

        private uint ReceiveWindow()
        {
            uint used = _rcvNxt - _rcvRead;
            return (uint)_receive.Capacity > used ? (uint)_receive.Capacity - used : 0;
        }

        private ulong Now => _netif.Clock.Milliseconds;

        private static bool After(uint a, uint b) => (int)(a - b) > 0;

        private static bool AtOrAfter(uint a, uint b) => (int)(a - b) >= 0;
    }
}
