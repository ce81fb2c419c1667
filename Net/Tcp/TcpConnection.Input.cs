// The receiving half of TcpConnection (RFC 9293 §3.10.7 "SEGMENT ARRIVES"): the handshake, RST
// checks, acknowledgement processing with RTT sampling and NewReno loss recovery, window
// updates, in-order and out-of-order data into the receive ring, FIN and the closing states.
using System;
using System.Buffers.Binary;

namespace Bootstage.Net.Tcp
{
    public sealed partial class TcpConnection
    {
        internal void OnSegment(ReadOnlySpan<byte> segment)
        {
            Counters.SegmentsReceived++;
            uint seq = BinaryPrimitives.ReadUInt32BigEndian(segment.Slice(4));
            uint ack = BinaryPrimitives.ReadUInt32BigEndian(segment.Slice(8));
            int headerLength = (segment[12] >> 4) * 4;
            byte flags = segment[13];
            uint window = BinaryPrimitives.ReadUInt16BigEndian(segment.Slice(14));
            ReadOnlySpan<byte> data = segment.Slice(headerLength);

            if (State == TcpState.SynSent)
            {
                HandshakeReply(segment, seq, ack, flags, window, headerLength);
                return;
            }

            // Acceptability: a RST must fall in the window; anything far outside it only earns an ACK.
            if ((flags & FlagRst) != 0)
            {
                if (AtOrAfter(seq, _rcvNxt) && After(_rcvNxt + ReceiveWindow() + 1, seq))
                {
                    Counters.ResetsReceived++;
                    WasReset = true;
                    Enter(TcpState.Closed);
                }

                return;
            }

            if ((flags & FlagAck) == 0)
            {
                return;
            }

            ProcessAck(seq, ack, window, data.Length);
            if (State == TcpState.Closed)
            {
                return;
            }

            if (data.Length > 0 || (flags & FlagFin) != 0)
            {
                ProcessData(seq, data, (flags & FlagFin) != 0);
            }

            Output();
        }

        private void HandshakeReply(ReadOnlySpan<byte> segment, uint seq, uint ack, byte flags, uint window, int headerLength)
        {
            bool ackOk = (flags & FlagAck) != 0 && ack == _iss + 1;
            if ((flags & FlagRst) != 0)
            {
                if (ackOk)
                {
                    Counters.ResetsReceived++;
                    WasReset = true;
                    Enter(TcpState.Closed);
                }

                return;
            }

            if ((flags & FlagSyn) == 0 || !ackOk)
            {
                return;
            }

            bool peerScales = false;
            ParseOptions(segment.Slice(20, headerLength - 20), ref peerScales);
            if (!peerScales)
            {
                _sndScale = 0;
                _rcvScale = 0;
            }

            _rcvNxt = seq + 1;
            _rcvRead = _rcvNxt;
            _sndUna = ack;
            _sndWnd = window;
            _sndWl1 = seq;
            _sndWl2 = ack;
            _rtoDeadline = 0;
            _timeouts = 0;
            if (_rttActive)
            {
                SampleRtt(Now - _rttStart);
            }

            _rttActive = false;
            if (_sndNxt != _sndMax)
            {
                _sndNxt = _sndMax;
            }

            Enter(TcpState.Established);
            SendAck();
            Output();
        }

        private void ParseOptions(ReadOnlySpan<byte> options, ref bool peerScales)
        {
            int position = 0;
            while (position < options.Length)
            {
                byte kind = options[position];
                if (kind == 0)
                {
                    break;
                }

                if (kind == 1)
                {
                    position++;
                    continue;
                }

                if (position + 1 >= options.Length || options[position + 1] < 2 || position + options[position + 1] > options.Length)
                {
                    break;
                }

                int length = options[position + 1];
                if (kind == 2 && length == 4)
                {
                    ushort mss = BinaryPrimitives.ReadUInt16BigEndian(options.Slice(position + 2));
                    _peerMss = mss < 64 ? (ushort)64 : (mss > OurMss ? OurMss : mss);
                }
                else if (kind == 3 && length == 3)
                {
                    peerScales = true;
                    _sndScale = options[position + 2] > 14 ? 14 : options[position + 2];
                }

                position += length;
            }
        }

        private void ProcessAck(uint seq, uint ack, uint window, int dataLength)
        {
            if (After(ack, _sndMax))
            {
                // Acknowledges what we never sent: answer and ignore (RFC 9293 §3.10.7.4).
                SendAck();
                return;
            }

            uint scaledWindow = window << _sndScale;
            bool windowChanged = scaledWindow != _sndWnd;
            if (After(seq, _sndWl1) || (seq == _sndWl1 && AtOrAfter(ack, _sndWl2)))
            {
                _sndWnd = scaledWindow;
                _sndWl1 = seq;
                _sndWl2 = ack;
                if (_sndWnd != 0)
                {
                    _persistDeadline = 0;
                }
            }

            if (After(ack, _sndUna))
            {
                NewlyAcked(ack);
            }
            else if (ack == _sndUna && dataLength == 0 && !windowChanged && _sndUna != _sndMax)
            {
                DuplicateAck();
            }
        }

        private void NewlyAcked(uint ack)
        {
            uint acked = ack - _sndUna;
            if (_rttActive && After(ack, _rttSeq))
            {
                SampleRtt(Now - _rttStart);
                _rttActive = false;
            }

            _sndUna = ack;
            _timeouts = 0;
            if (After(_sndUna, _sndNxt))
            {
                _sndNxt = _sndUna;
            }

            if (_inRecovery)
            {
                if (AtOrAfter(ack, _recover))
                {
                    // Full acknowledgement: leave fast recovery (RFC 6582 §3.2 step 3).
                    _inRecovery = false;
                    _dupAcks = 0;
                    _cwnd = _ssthresh;
                }
                else
                {
                    // Partial acknowledgement: the next hole is lost too; resend it at once.
                    Counters.Retransmits++;
                    ResendFirst();
                    _cwnd = _cwnd > acked ? _cwnd - acked + _peerMss : _peerMss;
                }
            }
            else
            {
                _dupAcks = 0;
                if (_cwnd < _ssthresh)
                {
                    _cwnd += acked < _peerMss ? acked : _peerMss;
                }
                else
                {
                    uint increment = (uint)_peerMss * _peerMss / (_cwnd == 0 ? 1 : _cwnd);
                    _cwnd += increment == 0 ? 1 : increment;
                }
            }

            _rtoDeadline = 0;
            if (_sndUna != _sndMax)
            {
                ArmRetransmit();
            }

            if (_finSent && ack == _finSeq + 1)
            {
                FinAcknowledged();
            }
        }

        private void DuplicateAck()
        {
            Counters.DuplicateAcks++;
            _dupAcks++;
            if (_dupAcks == 3 && !_inRecovery)
            {
                // Fast retransmit (RFC 5681 §3.2) entering NewReno recovery.
                uint flight = _sndMax - _sndUna;
                _ssthresh = flight / 2 > 2u * _peerMss ? flight / 2 : 2u * _peerMss;
                _recover = _sndMax;
                _inRecovery = true;
                Counters.FastRetransmits++;
                Counters.Retransmits++;
                ResendFirst();
                _cwnd = _ssthresh + 3u * _peerMss;
            }
            else if (_inRecovery)
            {
                _cwnd += _peerMss;
            }
        }

        // Retransmits one segment from the oldest unacknowledged byte.
        private void ResendFirst()
        {
            uint available = After(_dataEnd, _sndUna) ? _dataEnd - _sndUna : 0;
            if (available == 0)
            {
                return;
            }

            int length = available < _peerMss ? (int)available : _peerMss;
            BuildHeader(_sndUna, FlagAck, 0);
            _send.Slices(_sndUna, length, out ReadOnlySpan<byte> first, out ReadOnlySpan<byte> second);
            Transmit(20, first, second);
            _rttActive = false;
            _rtoDeadline = Now + _rtoMs;
        }

        private void FinAcknowledged()
        {
            switch (State)
            {
                case TcpState.FinWait1:
                    Enter(TcpState.FinWait2);
                    break;
                case TcpState.Closing:
                    EnterTimeWait();
                    break;
                case TcpState.LastAck:
                    Enter(TcpState.Closed);
                    break;
            }
        }

        private void ProcessData(uint seq, ReadOnlySpan<byte> data, bool fin)
        {
            // Drop what we already have at the front of the segment.
            if (After(_rcvNxt, seq))
            {
                uint duplicate = _rcvNxt - seq;
                if (duplicate >= (uint)data.Length + (fin ? 1u : 0u))
                {
                    Counters.DuplicateSegments++;
                    SendAck();
                    return;
                }

                if (duplicate <= (uint)data.Length)
                {
                    data = data.Slice((int)duplicate);
                }

                seq = _rcvNxt;
            }

            uint window = ReceiveWindow();
            if (seq != _rcvNxt)
            {
                StoreOutOfOrder(seq, data, window);
                SendAck();
                return;
            }

            if ((uint)data.Length > window)
            {
                data = data.Slice(0, (int)window);
                fin = false;
            }

            _receive.Write(seq, data);
            _rcvNxt += (uint)data.Length;
            bool filledHole = MergeOutOfOrder();
            if (fin && !_finReceived)
            {
                _finReceived = true;
                _rcvNxt++;
                PeerClosed();
                SendAck();
                return;
            }

            // ACK every second full segment at once, and at once when a hole was filled; else delay.
            _unackedSegments++;
            if (filledHole || _unackedSegments >= 2 || _oooCount != 0)
            {
                SendAck();
            }
            else if (_delayedAckDeadline == 0)
            {
                _delayedAckDeadline = Now + DelayedAckMs;
            }
        }

        // Keeps a segment that arrived early in the ring at its place and records the range.
        private void StoreOutOfOrder(uint seq, ReadOnlySpan<byte> data, uint window)
        {
            uint offset = seq - _rcvNxt;
            if (data.Length == 0 || offset >= window)
            {
                Counters.OutOfOrderDropped++;
                return;
            }

            if ((uint)data.Length > window - offset)
            {
                data = data.Slice(0, (int)(window - offset));
            }

            uint end = seq + (uint)data.Length;
            for (int i = 0; i < _oooCount; i++)
            {
                if (AtOrAfter(end, _oooStart[i]) && AtOrAfter(_oooEnd[i], seq))
                {
                    _receive.Write(seq, data);
                    if (After(_oooStart[i], seq))
                    {
                        _oooStart[i] = seq;
                    }

                    if (After(end, _oooEnd[i]))
                    {
                        _oooEnd[i] = end;
                    }

                    Counters.OutOfOrderQueued++;
                    return;
                }
            }

            if (_oooCount == MaxOutOfOrder)
            {
                Counters.OutOfOrderDropped++;
                return;
            }

            _receive.Write(seq, data);
            _oooStart[_oooCount] = seq;
            _oooEnd[_oooCount] = end;
            _oooCount++;
            Counters.OutOfOrderQueued++;
        }

        // Advances rcvNxt over queued ranges that now touch it.
        private bool MergeOutOfOrder()
        {
            bool merged = false;
            bool progress = true;
            while (progress)
            {
                progress = false;
                for (int i = 0; i < _oooCount; i++)
                {
                    if (AtOrAfter(_rcvNxt, _oooStart[i]))
                    {
                        if (After(_oooEnd[i], _rcvNxt))
                        {
                            _rcvNxt = _oooEnd[i];
                        }

                        _oooCount--;
                        _oooStart[i] = _oooStart[_oooCount];
                        _oooEnd[i] = _oooEnd[_oooCount];
                        merged = true;
                        progress = true;
                        break;
                    }
                }
            }

            return merged;
        }

        private void PeerClosed()
        {
            switch (State)
            {
                case TcpState.Established:
                    Enter(TcpState.CloseWait);
                    break;
                case TcpState.FinWait1:
                    Enter(TcpState.Closing);
                    break;
                case TcpState.FinWait2:
                    EnterTimeWait();
                    break;
            }
        }

        private void EnterTimeWait()
        {
            Enter(TcpState.TimeWait);
            _rtoDeadline = 0;
            _timeWaitDeadline = Now + TimeWaitMs;
        }

        // RFC 6298 §2: SRTT and RTTVAR in fixed point, RTO = SRTT + max(G, 4 RTTVAR), clamped.
        private void SampleRtt(ulong sampleMs)
        {
            if (!_rttValid)
            {
                _srtt8 = sampleMs << 3;
                _rttvar4 = sampleMs << 1;
                _rttValid = true;
            }
            else
            {
                ulong srtt = _srtt8 >> 3;
                ulong delta = srtt > sampleMs ? srtt - sampleMs : sampleMs - srtt;
                _rttvar4 = _rttvar4 - (_rttvar4 >> 2) + delta;
                _srtt8 = _srtt8 - (_srtt8 >> 3) + sampleMs;
            }

            ulong rto = (_srtt8 >> 3) + (_rttvar4 > 1 ? _rttvar4 : 1);
            _rtoMs = rto < MinRtoMs ? MinRtoMs : (rto > MaxRtoMs ? MaxRtoMs : rto);
        }
    }
}
