// A TFTP client for reading one file (RFC 1350), with the option extension (RFC 2347) used to ask
// for a larger block size (RFC 2348) and the file's size (RFC 2349). Poll-driven over the
// interface's UDP: Start sends the read request, Receive handles what arrives, Poll retransmits
// the last packet sent (the request or the last ACK) when nothing new came within the timeout,
// doubling the wait each time, and gives up after MaxAttempts. The server's first answer fixes its
// transfer port (its TID); packets from any other port get an "unknown transfer ID" error and are
// otherwise ignored (RFC 1350 §4). A repeated DATA block is acknowledged again but not delivered
// twice (RFC 1350 §6; we never resend data, so the Sorcerer's Apprentice bug of RFC 1123
// §4.2.3.1 cannot arise). After the last block the client stays bound and acknowledges a
// retransmitted last block, so a server that lost our final ACK can finish.
using System;
using Bootstage.Drivers.Net;

namespace Bootstage.Net.Tftp
{
    public enum TftpState
    {
        Idle = 0,
        Requesting = 1,
        Receiving = 2,
        Complete = 3,
        Failed = 4,
    }

    public enum TftpFailure
    {
        None = 0,
        TimedOut,
        ServerError,
        TooLarge,
        BadOptionAck,
        BadRequest,
    }

    public struct TftpCounters
    {
        public ulong Retransmits;
        public ulong DuplicateBlocks;
        public ulong ForeignPackets;
        public ulong Malformed;
    }

    public sealed class TftpClient : IUdpReceiver
    {
        public const ushort ServerPort = 69;
        public const ushort DefaultBlockSize = 512;
        /// <summary>Largest block that fits one 1500-byte Ethernet frame: 1500 - IPv4 20 - UDP 8 - TFTP 4.</summary>
        public const ushort EthernetBlockSize = 1468;
        public const int MaxAttempts = 6;
        public const int MaxFileName = 255;
        public const int MaxErrorMessage = 128;

        private readonly NetInterface _interface;
        private readonly ushort _localPort;
        private readonly ulong _initialTimeoutMs;
        private readonly byte[] _packet = new byte[2 + MaxFileName + 1 + 32 + 32];
        private readonly byte[] _errorMessage = new byte[MaxErrorMessage];
        private IDownloadSink? _sink;
        private int _packetLength;
        private Ipv4Address _server;
        private ushort _serverPort;
        private ushort _transferPort;
        private ushort _requestedBlockSize;
        private ulong _nextBlock;
        private ulong _lastSent;
        private ulong _timeoutMs;
        private int _attempts;
        private int _errorMessageLength;

        public TftpClient(NetInterface networkInterface, ushort localPort, ulong timeoutMs = 1000)
        {
            _interface = networkInterface;
            _localPort = localPort;
            _initialTimeoutMs = timeoutMs;
        }

        public TftpState State { get; private set; }

        public TftpFailure Failure { get; private set; }

        public bool IsDone => State == TftpState.Complete || State == TftpState.Failed;

        /// <summary>Block size in use: 512 until an OACK grants another.</summary>
        public ushort BlockSize { get; private set; }

        /// <summary>The size the server announced (tsize), or -1.</summary>
        public long TransferSize { get; private set; }

        public ulong BytesReceived { get; private set; }

        /// <summary>The code of the ERROR that ended the transfer (ours or the server's).</summary>
        public ushort ErrorCode { get; private set; }

        /// <summary>The server's message with its ERROR (empty when we ended it).</summary>
        public ReadOnlySpan<byte> ErrorMessage => new ReadOnlySpan<byte>(_errorMessage, 0, _errorMessageLength);

        public TftpCounters Counters;

        /// <summary>
        /// Starts reading <paramref name="fileName"/> from the server. <paramref name="blockSize"/>
        /// 0 asks for no options at all (plain RFC 1350); <paramref name="askSize"/> asks for tsize.
        /// </summary>
        public bool Start(Ipv4Address server, ReadOnlySpan<byte> fileName, IDownloadSink sink, ushort blockSize = EthernetBlockSize, bool askSize = true, ushort port = ServerPort)
        {
            Close();
            Failure = TftpFailure.None;
            ErrorCode = 0;
            _errorMessageLength = 0;
            Counters = default;
            BytesReceived = 0;
            TransferSize = -1;
            BlockSize = DefaultBlockSize;
            _sink = sink;
            _server = server;
            _serverPort = port;
            _transferPort = 0;
            _nextBlock = 1;
            // RFC 2348 allows 8..65464; a block must also fit our frames.
            _requestedBlockSize = blockSize == 0 ? (ushort)0 : blockSize < 8 ? (ushort)8 : blockSize > EthernetBlockSize ? EthernetBlockSize : blockSize;
            _packetLength = fileName.Length > MaxFileName ? 0 : TftpRequest.WriteReadRequest(_packet, fileName, _requestedBlockSize, askSize);
            if (_packetLength == 0)
            {
                Fail(TftpFailure.BadRequest);
                return false;
            }

            sink.Reset();
            _interface.BindUdp(_localPort, this);
            State = TftpState.Requesting;
            _attempts = 0;
            _timeoutMs = _initialTimeoutMs;
            Send(_serverPort);
            return true;
        }

        /// <summary>Retransmits on timeout; call after the interface's Poll.</summary>
        public void Poll()
        {
            if ((State != TftpState.Requesting && State != TftpState.Receiving) || _interface.Clock.Milliseconds - _lastSent < _timeoutMs)
            {
                return;
            }

            if (_attempts >= MaxAttempts)
            {
                Fail(TftpFailure.TimedOut);
                return;
            }

            Counters.Retransmits++;
            _timeoutMs = _timeoutMs * 2 > _initialTimeoutMs * 8 ? _initialTimeoutMs * 8 : _timeoutMs * 2;
            Send(State == TftpState.Requesting ? _serverPort : _transferPort);
        }

        /// <summary>Stops listening (an unfinished transfer is abandoned silently).</summary>
        public void Close()
        {
            if (State != TftpState.Idle)
            {
                _interface.UnbindUdp(_localPort);
            }

            if (State == TftpState.Requesting || State == TftpState.Receiving)
            {
                State = TftpState.Idle;
            }
        }

        public void Receive(NetInterface source, Ipv4Address from, ushort fromPort, ushort toPort, ReadOnlySpan<byte> packet)
        {
            if (from != _server || State == TftpState.Idle || State == TftpState.Failed)
            {
                Counters.ForeignPackets++;
                return;
            }

            if (_transferPort == 0 && State == TftpState.Requesting)
            {
                _transferPort = fromPort;
            }
            else if (fromPort != _transferPort)
            {
                // A second transfer started by a retransmitted request, or a stranger: RFC 1350 §4.
                Counters.ForeignPackets++;
                Span<byte> error = stackalloc byte[32];
                int length = TftpError.Write(error, TftpError.UnknownTransferId, "unknown transfer ID"u8);
                _interface.SendUdp(from, _localPort, fromPort, error.Slice(0, length));
                return;
            }

            switch (TftpOpcode.Of(packet))
            {
                case TftpOpcode.Data:
                    ReceiveData(new TftpData(packet));
                    break;
                case TftpOpcode.OptionAck:
                    ReceiveOptionAck(packet);
                    break;
                case TftpOpcode.Error:
                    ReceiveError(new TftpError(packet));
                    break;
                default:
                    Counters.Malformed++;
                    break;
            }
        }

        private void ReceiveData(TftpData data)
        {
            if (!data.IsValid || data.Payload.Length > BlockSize)
            {
                Counters.Malformed++;
                return;
            }

            ushort expected = (ushort)_nextBlock;
            if (data.Block != expected)
            {
                // The block before the one we wait for: our ACK was lost; say it again. Older or
                // newer blocks cannot come from a server that waits for each ACK: ignore them.
                if (data.Block == (ushort)(_nextBlock - 1) && _nextBlock > 1)
                {
                    Counters.DuplicateBlocks++;
                    Acknowledge((ushort)(_nextBlock - 1));
                }
                else
                {
                    Counters.Malformed++;
                }

                return;
            }

            if (State == TftpState.Complete)
            {
                return;
            }

            // DATA as the first answer: the server ignored our options (RFC 2347), so 512 it is.
            State = TftpState.Receiving;
            ReadOnlySpan<byte> payload = data.Payload;
            if (payload.Length > 0 && !_sink!.Write(BytesReceived, payload))
            {
                Abort(TftpError.DiskFull, "file too large"u8, TftpFailure.TooLarge);
                return;
            }

            BytesReceived += (ulong)payload.Length;
            _nextBlock++;
            Acknowledge(data.Block);
            if (payload.Length < BlockSize)
            {
                State = TftpState.Complete;
            }
        }

        private void ReceiveOptionAck(ReadOnlySpan<byte> packet)
        {
            if (State != TftpState.Requesting)
            {
                // Our ACK of the OACK was lost and the server repeats it: acknowledge again.
                if (_nextBlock == 1)
                {
                    Counters.DuplicateBlocks++;
                    Acknowledge(0);
                }

                return;
            }

            ushort blockSize = DefaultBlockSize;
            TftpOptionAck options = new TftpOptionAck(packet);
            while (options.Next(out bool malformed))
            {
                if (TftpOptionAck.NameIs(options.Name, "blksize"u8))
                {
                    // RFC 2348: the server may only lower the size we asked for.
                    if (!TftpOptionAck.TryParseNumber(options.Value, out ulong size) || size < 8 || size > _requestedBlockSize)
                    {
                        Abort(TftpError.OptionRefused, "bad blksize"u8, TftpFailure.BadOptionAck);
                        return;
                    }

                    blockSize = (ushort)size;
                }
                else if (TftpOptionAck.NameIs(options.Name, "tsize"u8))
                {
                    if (!TftpOptionAck.TryParseNumber(options.Value, out ulong size) || size > long.MaxValue)
                    {
                        Abort(TftpError.OptionRefused, "bad tsize"u8, TftpFailure.BadOptionAck);
                        return;
                    }

                    TransferSize = (long)size;
                    if (!_sink!.Expect(size))
                    {
                        Abort(TftpError.DiskFull, "file too large"u8, TftpFailure.TooLarge);
                        return;
                    }
                }
                else
                {
                    // RFC 2347: a server must not acknowledge an option we did not ask for.
                    Abort(TftpError.OptionRefused, "unrequested option"u8, TftpFailure.BadOptionAck);
                    return;
                }
            }

            if (!options.IsValid)
            {
                Counters.Malformed++;
                return;
            }

            BlockSize = blockSize;
            State = TftpState.Receiving;
            Acknowledge(0);
        }

        private void ReceiveError(TftpError error)
        {
            if (!error.IsValid)
            {
                Counters.Malformed++;
                return;
            }

            ErrorCode = error.Code;
            ReadOnlySpan<byte> message = error.Message;
            _errorMessageLength = message.Length < MaxErrorMessage ? message.Length : MaxErrorMessage;
            message.Slice(0, _errorMessageLength).CopyTo(_errorMessage);
            Fail(TftpFailure.ServerError);
        }

        private void Acknowledge(ushort block)
        {
            _packetLength = TftpRequest.WriteAck(_packet, block);
            _attempts = 0;
            _timeoutMs = _initialTimeoutMs;
            Send(_transferPort);
        }

        // Tells the server why we stop (RFC 1350 §7) and ends the transfer.
        private void Abort(ushort code, ReadOnlySpan<byte> message, TftpFailure failure)
        {
            Span<byte> error = stackalloc byte[64];
            int length = TftpError.Write(error, code, message);
            _interface.SendUdp(_server, _localPort, _transferPort, error.Slice(0, length));
            ErrorCode = code;
            Fail(failure);
        }

        private void Fail(TftpFailure failure)
        {
            Failure = failure;
            if (State != TftpState.Idle)
            {
                _interface.UnbindUdp(_localPort);
            }

            State = TftpState.Failed;
        }

        private void Send(ushort port)
        {
            _lastSent = _interface.Clock.Milliseconds;
            _attempts++;
            _interface.SendUdp(_server, _localPort, port, new ReadOnlySpan<byte>(_packet, 0, _packetLength));
        }
    }
}
