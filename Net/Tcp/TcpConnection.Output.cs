// The sending half of TcpConnection and its timers: segment construction, the send loop bounded
// by the congestion and peer windows, retransmission on timeout (go-back-N from the oldest
// unacknowledged byte), delayed ACKs, zero-window probes and TIME-WAIT.
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.Net;

namespace Bootstage.Net.Tcp
{
    public sealed partial class TcpConnection
    {
        /// <summary>Runs the timers; call regularly (after the interface's Poll).</summary>
        public void Poll()
        {
            if (State == TcpState.Closed)
            {
                return;
            }

            ulong now = Now;
            if (_timeWaitDeadline != 0 && now >= _timeWaitDeadline)
            {
                _timeWaitDeadline = 0;
                Enter(TcpState.Closed);
                return;
            }

            if (_rtoDeadline != 0 && now >= _rtoDeadline)
            {
                RetransmitTimeout();
            }

            if (_persistDeadline != 0 && now >= _persistDeadline)
            {
                Probe();
            }

            if (_delayedAckDeadline != 0 && now >= _delayedAckDeadline)
            {
                Counters.DelayedAcks++;
                SendAck();
            }
        }

        private void SendSyn()
        {
            BuildHeader(_iss, FlagSyn, 8);
            // Options: MSS, NOP, window scale.
            _header[20] = 2;
            _header[21] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(_header, 22, 2), OurMss);
            _header[24] = 1;
            _header[25] = 3;
            _header[26] = 3;
            _header[27] = (byte)_rcvScale;
            // The window in a SYN is never scaled.
            uint window = ReceiveWindow();
            BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(_header, 14, 2), (ushort)(window > 65535 ? 65535 : window));
            if (_sndMax == _iss)
            {
                // Time the first SYN only (Karn: never a retransmitted one).
                _rttActive = true;
                _rttSeq = _iss;
                _rttStart = Now;
                _sndMax = _iss + 1;
            }

            Transmit(28, default, default);

            _sndNxt = _iss + 1;
            ArmRetransmit();
        }

        // Sends as much as the windows allow, then a FIN when all data is out.
        private void Output()
        {
            if (State == TcpState.SynSent || State == TcpState.Closed || State == TcpState.TimeWait)
            {
                return;
            }

            while (true)
            {
                uint flight = _sndNxt - _sndUna;
                uint window = _cwnd < _sndWnd ? _cwnd : _sndWnd;
                uint available = After(_dataEnd, _sndNxt) ? _dataEnd - _sndNxt : 0;
                if (available == 0)
                {
                    if (_finQueued && !_finSent && _sndNxt == _dataEnd)
                    {
                        SendFin();
                    }

                    break;
                }

                if (window <= flight)
                {
                    if (_sndWnd == 0 && _persistDeadline == 0 && _rtoDeadline == 0)
                    {
                        _persistDeadline = Now + _rtoMs;
                    }

                    break;
                }

                uint length = window - flight;
                if (length > available)
                {
                    length = available;
                }

                if (length > _peerMss)
                {
                    length = _peerMss;
                }

                SendData(_sndNxt, (int)length, length == available);
                if (!_rttActive && _sndNxt == _sndMax)
                {
                    _rttActive = true;
                    _rttSeq = _sndNxt;
                    _rttStart = Now;
                }

                _sndNxt += length;
                if (After(_sndNxt, _sndMax))
                {
                    _sndMax = _sndNxt;
                }

                ArmRetransmit();
            }
        }

        private void SendData(uint seq, int length, bool push)
        {
            if (After(_sndMax, seq))
            {
                Counters.Retransmits++;
            }

            BuildHeader(seq, (byte)(FlagAck | (push ? FlagPsh : 0)), 0);
            _send.Slices(seq, length, out ReadOnlySpan<byte> first, out ReadOnlySpan<byte> second);
            Transmit(20, first, second);
            _delayedAckDeadline = 0;
            _unackedSegments = 0;
        }

        private void SendFin()
        {
            _finSent = true;
            _finSeq = _dataEnd;
            BuildHeader(_finSeq, FlagFin | FlagAck, 0);
            Transmit(20, default, default);
            _sndNxt = _finSeq + 1;
            if (After(_sndNxt, _sndMax))
            {
                _sndMax = _sndNxt;
            }

            if (State == TcpState.Established)
            {
                Enter(TcpState.FinWait1);
            }
            else if (State == TcpState.CloseWait)
            {
                Enter(TcpState.LastAck);
            }

            ArmRetransmit();
        }

        private void SendAck()
        {
            _delayedAckDeadline = 0;
            _unackedSegments = 0;
            BuildHeader(_sndNxt, FlagAck, 0);
            Transmit(20, default, default);
        }

        // Fills the 20-byte header (and leaves optionBytes of room); seq, flags, ack and window.
        private void BuildHeader(uint seq, byte flags, int optionBytes)
        {
            Span<byte> header = new Span<byte>(_header, 0, 20 + optionBytes);
            header.Clear();
            BinaryPrimitives.WriteUInt16BigEndian(header, _localPort);
            BinaryPrimitives.WriteUInt16BigEndian(header.Slice(2), _remotePort);
            BinaryPrimitives.WriteUInt32BigEndian(header.Slice(4), seq);
            bool ack = (flags & FlagAck) != 0;
            BinaryPrimitives.WriteUInt32BigEndian(header.Slice(8), ack ? _rcvNxt : 0);
            header[12] = (byte)(((20 + optionBytes) / 4) << 4);
            header[13] = flags;
            uint window = ReceiveWindow();
            _lastAdvertised = window;
            uint scaled = window >> _rcvScale;
            BinaryPrimitives.WriteUInt16BigEndian(header.Slice(14), (ushort)(scaled > 65535 ? 65535 : scaled));
        }

        private void Transmit(int headerLength, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
        {
            if (_netif.SendTcp(_remote, new ReadOnlySpan<byte>(_header, 0, headerLength), first, second) == NetStatus.Success)
            {
                Counters.SegmentsSent++;
            }
        }

        private void ArmRetransmit()
        {
            if (_rtoDeadline == 0)
            {
                _rtoDeadline = Now + _rtoMs;
            }
        }

        // RFC 6298 §5: back off, collapse the congestion window, resend from the oldest byte.
        private void RetransmitTimeout()
        {
            _rtoDeadline = 0;
            if (_sndUna == _sndMax)
            {
                return;
            }

            Counters.Timeouts++;
            if (++_timeouts > MaxTimeouts)
            {
                TimedOut = true;
                Enter(TcpState.Closed);
                return;
            }

            _rtoMs = _rtoMs * 2 > MaxRtoMs ? MaxRtoMs : _rtoMs * 2;
            uint flight = _sndMax - _sndUna;
            _ssthresh = flight / 2 > 2u * _peerMss ? flight / 2 : 2u * _peerMss;
            _cwnd = _peerMss;
            _dupAcks = 0;
            _inRecovery = false;
            _rttActive = false;
            if (State == TcpState.SynSent)
            {
                Counters.Retransmits++;
                SendSyn();
                return;
            }

            _sndNxt = _sndUna;
            if (_finSent && _sndUna == _finSeq + 1)
            {
                return;
            }

            if (_finSent && After(_sndMax, _dataEnd) && _sndUna == _dataEnd)
            {
                // Only the FIN is outstanding.
                Counters.Retransmits++;
                BuildHeader(_finSeq, FlagFin | FlagAck, 0);
                Transmit(20, default, default);
                _sndNxt = _finSeq + 1;
                ArmRetransmit();
                return;
            }

            _finSent = false;
            Output();
        }

        // One byte past a closed window makes the peer answer with its current window.
        private void Probe()
        {
            _persistDeadline = 0;
            if (_sndWnd != 0 || !After(_dataEnd, _sndNxt))
            {
                return;
            }

            // The probe byte counts as sent: if the window was in fact open the peer takes it and
            // acknowledges it; if not, the retransmission timer resends it and Output re-arms the
            // probe with the backed-off timeout.
            Counters.ZeroWindowProbes++;
            BuildHeader(_sndNxt, FlagAck, 0);
            _send.Slices(_sndNxt, 1, out ReadOnlySpan<byte> first, out _);
            Transmit(20, first, default);
            _sndNxt++;
            if (After(_sndNxt, _sndMax))
            {
                _sndMax = _sndNxt;
            }

            ArmRetransmit();
        }
    }
}
