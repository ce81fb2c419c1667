// PDU framing on one iSCSI connection (RFC 7143 §11.1, digests §12.1): the receive side
// reassembles BHS, additional header segments, header digest, data segment, padding and data
// digest from whatever the byte stream delivers, and asks its handler where a data segment
// goes, so Data-In lands straight in the caller's buffer. The send side is a fixed ring of PDU
// slots whose data is referenced, not copied. A digest mismatch or an oversized segment fails
// the connection: at ErrorRecoveryLevel 0 framing cannot be trusted after either.
using System;
using Bootstage.Boot.Crypto;

namespace Bootstage.Boot.Iscsi
{
    public interface IIscsiPduHandler
    {
        /// <summary>Where the data segment of this PDU goes: an array and offset, or null for the scratch buffer.</summary>
        byte[]? DataDestination(ReadOnlySpan<byte> header, int length, out int offset);

        void ReceivePdu(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data);
    }

    public struct IscsiConnectionCounters
    {
        public ulong PdusReceived;
        public ulong PdusSent;
        public ulong BytesReceived;
        public ulong HeaderDigestErrors;
        public ulong DataDigestErrors;
        public ulong OversizedSegments;
    }

    public sealed class IscsiConnection
    {
        public const int SendSlots = 64;
        private const int MaxAhsLength = 255 * 4;
        private const int SlotHeaderLength = IscsiPdu.BasicHeaderLength + IscsiPdu.DigestLength;

        private readonly IIscsiTransport _transport;
        private readonly byte[] _scratch;
        private readonly byte[] _rxHeader = new byte[IscsiPdu.BasicHeaderLength + MaxAhsLength + IscsiPdu.DigestLength];
        private readonly byte[] _rxTrailer = new byte[3 + IscsiPdu.DigestLength];

        // Receive state.
        private int _rxHeaderHave;
        private int _rxHeaderNeed;
        private bool _rxInData;
        private byte[]? _rxData;
        private int _rxDataOffset;
        private int _rxDataLength;
        private int _rxDataHave;
        private int _rxTrailerNeed;
        private int _rxTrailerHave;
        private uint _rxCrc;

        // Send ring.
        private readonly byte[][] _slotHeader = new byte[SendSlots][];
        private readonly byte[]?[] _slotData = new byte[]?[SendSlots];
        private readonly int[] _slotDataOffset = new int[SendSlots];
        private readonly int[] _slotDataLength = new int[SendSlots];
        private readonly byte[][] _slotTrailer = new byte[SendSlots][];
        private readonly int[] _slotTrailerLength = new int[SendSlots];
        private readonly bool[] _slotCancelled = new bool[SendSlots];
        private int _head;
        private int _count;
        private int _headProgress;

        public IscsiConnection(IIscsiTransport transport, int maxReceiveSegment)
        {
            _transport = transport;
            _scratch = new byte[maxReceiveSegment < 8192 ? 8192 : maxReceiveSegment];
            for (int i = 0; i < SendSlots; i++)
            {
                _slotHeader[i] = new byte[SlotHeaderLength];
                _slotTrailer[i] = new byte[3 + IscsiPdu.DigestLength];
            }

            Reset();
        }

        public IscsiConnectionCounters Counters;

        public bool HeaderDigest { get; set; }

        public bool DataDigest { get; set; }

        /// <summary>The largest data segment accepted; the scratch buffer is at least this big.</summary>
        public int MaxReceiveSegment { get; set; } = 8192;

        public IscsiStatus Failure { get; private set; }

        public int FreeSlots => SendSlots - _count;

        public bool SendIdle => _count == 0;

        /// <summary>Forgets partial PDUs both ways: used for a fresh TCP connection.</summary>
        public void Reset()
        {
            _rxHeaderHave = 0;
            _rxHeaderNeed = IscsiPdu.BasicHeaderLength;
            _rxInData = false;
            _rxData = null;
            _head = 0;
            _count = 0;
            _headProgress = 0;
            for (int i = 0; i < SendSlots; i++)
            {
                _slotData[i] = null;
            }

            HeaderDigest = false;
            DataDigest = false;
            MaxReceiveSegment = 8192;
            Failure = IscsiStatus.Success;
        }

        /// <summary>
        /// Queues a PDU: the 48-byte header (data segment length filled in here) and a data segment
        /// that stays referenced until sent. False when the ring is full.
        /// </summary>
        public bool Enqueue(ReadOnlySpan<byte> header, byte[]? data, int dataOffset, int dataLength)
        {
            if (_count == SendSlots)
            {
                return false;
            }

            int slot = (_head + _count) % SendSlots;
            byte[] h = _slotHeader[slot];
            header.Slice(0, IscsiPdu.BasicHeaderLength).CopyTo(h);
            h[IscsiPdu.TotalAhsLengthOffset] = 0;
            IscsiPdu.SetDataSegmentLength(h, dataLength);
            if (HeaderDigest)
            {
                Crc32c.WriteDigest(new Span<byte>(h, IscsiPdu.BasicHeaderLength, 4), Crc32c.Compute(new ReadOnlySpan<byte>(h, 0, IscsiPdu.BasicHeaderLength)));
            }

            _slotCancelled[slot] = false;
            _slotData[slot] = dataLength > 0 ? data : null;
            _slotDataOffset[slot] = dataOffset;
            _slotDataLength[slot] = dataLength;
            byte[] trailer = _slotTrailer[slot];
            int pad = IscsiPdu.PaddedLength(dataLength) - dataLength;
            int trailerLength = pad;
            trailer[0] = 0;
            trailer[1] = 0;
            trailer[2] = 0;
            if (DataDigest && dataLength > 0)
            {
                // The digest covers the data and its padding.
                uint crc = Crc32c.Update(Crc32c.Begin(), new ReadOnlySpan<byte>(data, dataOffset, dataLength));
                crc = Crc32c.Update(crc, new ReadOnlySpan<byte>(trailer, 0, pad));
                Crc32c.WriteDigest(new Span<byte>(trailer, pad, 4), Crc32c.Finish(crc));
                trailerLength += 4;
            }

            _slotTrailerLength[slot] = trailerLength;
            _count++;
            return true;
        }

        /// <summary>Pushes queued PDUs into the transport as far as it takes them.</summary>
        public void Flush()
        {
            while (_count > 0)
            {
                int slot = _head;
                if (_slotCancelled[slot] && _headProgress == 0)
                {
                    _slotData[slot] = null;
                    _slotCancelled[slot] = false;
                    _head = (_head + 1) % SendSlots;
                    _count--;
                    continue;
                }

                int headerLength = HeaderDigest ? SlotHeaderLength : IscsiPdu.BasicHeaderLength;
                int dataLength = _slotDataLength[slot];
                int total = headerLength + dataLength + _slotTrailerLength[slot];
                while (_headProgress < total)
                {
                    ReadOnlySpan<byte> piece;
                    if (_headProgress < headerLength)
                    {
                        piece = new ReadOnlySpan<byte>(_slotHeader[slot], _headProgress, headerLength - _headProgress);
                    }
                    else if (_headProgress < headerLength + dataLength)
                    {
                        int done = _headProgress - headerLength;
                        piece = new ReadOnlySpan<byte>(_slotData[slot], _slotDataOffset[slot] + done, dataLength - done);
                    }
                    else
                    {
                        int done = _headProgress - headerLength - dataLength;
                        piece = new ReadOnlySpan<byte>(_slotTrailer[slot], done, _slotTrailerLength[slot] - done);
                    }

                    int sent = _transport.Send(piece);
                    if (sent <= 0)
                    {
                        return;
                    }

                    _headProgress += sent;
                }

                _slotData[slot] = null;
                _head = (_head + 1) % SendSlots;
                _count--;
                _headProgress = 0;
                Counters.PdusSent++;
            }
        }

        /// <summary>Reads and dispatches every complete PDU the transport has; returns how many.</summary>
        public int Receive(IIscsiPduHandler handler)
        {
            int pdus = 0;
            while (Failure == IscsiStatus.Success)
            {
                if (!_rxInData)
                {
                    int got = _transport.Receive(new Span<byte>(_rxHeader, _rxHeaderHave, _rxHeaderNeed - _rxHeaderHave));
                    if (got <= 0)
                    {
                        return pdus;
                    }

                    _rxHeaderHave += got;
                    Counters.BytesReceived += (ulong)got;
                    if (_rxHeaderHave < _rxHeaderNeed)
                    {
                        continue;
                    }

                    if (_rxHeaderNeed == IscsiPdu.BasicHeaderLength)
                    {
                        // Now the AHS length is known: fetch the rest of the header in one go.
                        _rxHeaderNeed += IscsiPdu.AdditionalHeaderLength(_rxHeader) + (HeaderDigest ? IscsiPdu.DigestLength : 0);
                        if (_rxHeaderHave < _rxHeaderNeed)
                        {
                            continue;
                        }
                    }

                    if (!BeginData(handler))
                    {
                        return pdus;
                    }
                }

                if (_rxDataHave < _rxDataLength)
                {
                    int got = _transport.Receive(new Span<byte>(_rxData, _rxDataOffset + _rxDataHave, _rxDataLength - _rxDataHave));
                    if (got <= 0)
                    {
                        return pdus;
                    }

                    if (DataDigest)
                    {
                        _rxCrc = Crc32c.Update(_rxCrc, new ReadOnlySpan<byte>(_rxData, _rxDataOffset + _rxDataHave, got));
                    }

                    _rxDataHave += got;
                    Counters.BytesReceived += (ulong)got;
                    continue;
                }

                if (_rxTrailerHave < _rxTrailerNeed)
                {
                    int got = _transport.Receive(new Span<byte>(_rxTrailer, _rxTrailerHave, _rxTrailerNeed - _rxTrailerHave));
                    if (got <= 0)
                    {
                        return pdus;
                    }

                    _rxTrailerHave += got;
                    Counters.BytesReceived += (ulong)got;
                    continue;
                }

                if (!EndData())
                {
                    return pdus;
                }

                Counters.PdusReceived++;
                pdus++;
                handler.ReceivePdu(new ReadOnlySpan<byte>(_rxHeader, 0, IscsiPdu.BasicHeaderLength), new ReadOnlySpan<byte>(_rxData, _rxDataOffset, _rxDataLength));
                _rxInData = false;
                _rxData = null;
                _rxHeaderHave = 0;
                _rxHeaderNeed = IscsiPdu.BasicHeaderLength;
            }

            return pdus;
        }

        private bool BeginData(IIscsiPduHandler handler)
        {
            if (HeaderDigest)
            {
                int covered = _rxHeaderNeed - IscsiPdu.DigestLength;
                uint expected = Crc32c.Compute(new ReadOnlySpan<byte>(_rxHeader, 0, covered));
                if (Crc32c.ReadDigest(new ReadOnlySpan<byte>(_rxHeader, covered, 4)) != expected)
                {
                    Counters.HeaderDigestErrors++;
                    Failure = IscsiStatus.DigestError;
                    return false;
                }
            }

            int length = IscsiPdu.DataSegmentLength(_rxHeader);
            if (length > MaxReceiveSegment || length > _scratch.Length)
            {
                Counters.OversizedSegments++;
                Failure = IscsiStatus.ProtocolError;
                return false;
            }

            int offset = 0;
            byte[]? destination = length > 0 ? handler.DataDestination(new ReadOnlySpan<byte>(_rxHeader, 0, IscsiPdu.BasicHeaderLength), length, out offset) : null;
            if (destination == null)
            {
                destination = _scratch;
                offset = 0;
            }

            _rxInData = true;
            _rxData = destination;
            _rxDataOffset = offset;
            _rxDataLength = length;
            _rxDataHave = 0;
            _rxTrailerHave = 0;
            int pad = IscsiPdu.PaddedLength(length) - length;
            _rxTrailerNeed = pad + (DataDigest && length > 0 ? IscsiPdu.DigestLength : 0);
            _rxCrc = Crc32c.Begin();
            return true;
        }

        private bool EndData()
        {
            if (DataDigest && _rxDataLength > 0)
            {
                int pad = _rxTrailerNeed - IscsiPdu.DigestLength;
                uint crc = Crc32c.Finish(Crc32c.Update(_rxCrc, new ReadOnlySpan<byte>(_rxTrailer, 0, pad)));
                if (Crc32c.ReadDigest(new ReadOnlySpan<byte>(_rxTrailer, pad, 4)) != crc)
                {
                    Counters.DataDigestErrors++;
                    Failure = IscsiStatus.DigestError;
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// Takes back the queued data PDUs of a task that has ended (its buffer goes back to the
        /// caller). False when one of them is already half on the wire: the stream cannot be cut
        /// there, so the caller must drop the connection instead.
        /// </summary>
        public bool CancelQueued(uint initiatorTaskTag)
        {
            for (int i = 0; i < _count; i++)
            {
                int slot = (_head + i) % SendSlots;
                byte[] header = _slotHeader[slot];
                if (_slotData[slot] == null || IscsiPdu.ReadUInt32(header, IscsiPdu.InitiatorTaskTagOffset) != initiatorTaskTag)
                {
                    continue;
                }

                if (i == 0 && _headProgress > 0)
                {
                    return false;
                }

                _slotCancelled[slot] = true;
            }

            return true;
        }

        /// <summary>Marks the connection unusable (the session saw something it cannot trust).</summary>
        public void Fail(IscsiStatus reason)
        {
            if (Failure == IscsiStatus.Success)
            {
                Failure = reason;
            }
        }
    }
}
