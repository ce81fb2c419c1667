// The netvsc receive path and packet dispatch. A transfer-page packet names ranges of the
// receive buffer; each range is exactly one RNDIS message (docs/hyperv.md §10: the RNDIS
// header's own length is not trusted for framing: hosts before WS2022 send status indication
// 0x40020006 with a length that does not cover its buffer). Data frames go to the sink as views into the receive buffer; the packet is
// completed only after every range in it was handled, so the host never reuses bytes still in use.
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.Rndis;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.Drivers.Net;

namespace Bootstage.Drivers.HyperV.NetVsc
{
    public sealed unsafe partial class NetVscDevice
    {
        // Completions the channel could not take yet (ring full or unusable): each one holds host
        // receive-buffer sections, so it is sent later, never dropped. The host can have at most
        // one transfer packet per sub-allocation outstanding, far fewer than this.
        private const int MaxPendingCompletions = 256;

        private readonly byte[] _receiveCompletion = new byte[NvspMessage.Size];
        private readonly ulong[] _pendingCompletions = new ulong[MaxPendingCompletions];
        private int _pendingHead;
        private int _pendingCount;
        private ulong _lostCompletions;
        private ulong _unsolicitedPackets;
        private ulong _ignoredStatus;

        /// <summary>Host packets that were neither completions nor receive traffic (completed if asked, else ignored).</summary>
        public ulong UnsolicitedPackets => _unsolicitedPackets;

        /// <summary>RNDIS status indications that are neither link up nor link down (e.g. 0x40020006).</summary>
        public ulong IgnoredStatusIndications => _ignoredStatus;

        public override int Poll(IFrameSink sink, int budget)
        {
            if (!IsOpen)
            {
                return 0;
            }

            ulong framesBefore = Statistics.RxFrames;
            for (int packets = 0; packets < budget && Statistics.RxFrames - framesBefore < (ulong)budget; packets++)
            {
                if (ProcessPacket(sink) == 0)
                {
                    break;
                }
            }

            return (int)(Statistics.RxFrames - framesBefore);
        }

        /// <summary>Receive completions waiting for room in the channel.</summary>
        public int PendingReceiveCompletions => _pendingCount;

        /// <summary>Completions that found even the retry queue full (a host breaking its own limits).</summary>
        public ulong LostCompletions => _lostCompletions;

        // Handles one packet from the channel; returns 0 when none was waiting.
        private int ProcessPacket(IFrameSink? sink)
        {
            if (_pendingCount != 0)
            {
                RetryCompletions();
            }

            if (!_device.Channel.TryReceive(out VmBusPacket packet))
            {
                return 0;
            }

            switch (packet.Type)
            {
                case VmBusPacketType.Completion:
                    HandleCompletion(packet);
                    break;
                case VmBusPacketType.DataUsingTransferPages:
                    HandleTransferPages(packet, sink);
                    break;
                default:
                    _unsolicitedPackets++;
                    if (packet.WantsCompletion)
                    {
                        _device.Channel.SendCompletion(default, packet.TransactionId);
                    }

                    break;
            }

            return 1;
        }

        private void HandleCompletion(VmBusPacket packet)
        {
            ulong id = packet.TransactionId;
            if (id == NvspTransactionId && _awaitingNvsp)
            {
                int length = packet.Payload.Length < _completion.Length ? packet.Payload.Length : _completion.Length;
                packet.Payload.Slice(0, length).CopyTo(_completion);
                _completionLength = length;
                _nvspDone = true;
                return;
            }

            if (id >= TransmitTransactionBase && id - TransmitTransactionBase < TransmitSlots && _slotBusy[(int)(id - TransmitTransactionBase)])
            {
                int slot = (int)(id - TransmitTransactionBase);
                _slotBusy[slot] = false;
                if (packet.Payload.Length >= 8 && BinaryPrimitives.ReadUInt32LittleEndian(packet.Payload.Slice(4)) != NvspMessage.StatusSuccess)
                {
                    Statistics.TxErrors++;
                }

                return;
            }

            if (id == ControlTransactionId)
            {
                // The host took our RNDIS control message; its answer arrives as receive traffic.
                return;
            }

            _unsolicitedPackets++;
        }

        private void HandleTransferPages(VmBusPacket packet, IFrameSink? sink)
        {
            if (!packet.TryGetTransferPages(out ushort pageSet, out int ranges) || pageSet != ReceiveBufferId
                || packet.Payload.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(packet.Payload) != NvspMessage.SendRndisPacket)
            {
                Statistics.RxErrors++;
            }
            else
            {
                byte* buffer = (byte*)_receiveBuffer.VirtualAddress;
                ulong size = _receiveBuffer.Length;
                for (int i = 0; i < ranges; i++)
                {
                    packet.GetTransferRange(i, out uint count, out uint offset);
                    if ((ulong)offset + count > size || count < RndisMessage.HeaderSize)
                    {
                        Statistics.RxErrors++;
                        continue;
                    }

                    HandleRndisMessage(new ReadOnlySpan<byte>(buffer + offset, (int)count), sink);
                }
            }

            // Every range has been consumed: let the host reuse the memory. Earlier completions
            // still waiting go first, so the host sees them in order.
            if (_pendingCount != 0 || !SendReceiveCompletion(packet.TransactionId))
            {
                QueueCompletion(packet.TransactionId);
            }
        }

        private bool SendReceiveCompletion(ulong transactionId)
        {
            new Span<byte>(_receiveCompletion).Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(_receiveCompletion, NvspMessage.SendRndisPacketComplete);
            BinaryPrimitives.WriteUInt32LittleEndian(_receiveCompletion.AsSpan(4), NvspMessage.StatusSuccess);
            return _device.Channel.SendCompletion(_receiveCompletion, transactionId) == HvStatus.Success;
        }

        private void QueueCompletion(ulong transactionId)
        {
            if (_pendingCount == MaxPendingCompletions)
            {
                _lostCompletions++;
                Statistics.RxErrors++;
                return;
            }

            _pendingCompletions[(_pendingHead + _pendingCount) % MaxPendingCompletions] = transactionId;
            _pendingCount++;
        }

        private void RetryCompletions()
        {
            while (_pendingCount != 0 && SendReceiveCompletion(_pendingCompletions[_pendingHead]))
            {
                _pendingHead = (_pendingHead + 1) % MaxPendingCompletions;
                _pendingCount--;
            }
        }

        private void HandleRndisMessage(ReadOnlySpan<byte> message, IFrameSink? sink)
        {
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(message);
            switch (type)
            {
                case RndisMessage.Packet:
                    DeliverFrame(message, sink);
                    break;
                case RndisMessage.IndicateStatus:
                    HandleStatus(message);
                    break;
                case RndisMessage.InitializeComplete:
                case RndisMessage.QueryComplete:
                case RndisMessage.SetComplete:
                    HandleControlCompletion(message);
                    break;
                default:
                    Statistics.RxErrors++;
                    break;
            }
        }

        private void DeliverFrame(ReadOnlySpan<byte> message, IFrameSink? sink)
        {
            if (message.Length < RndisMessage.PacketHeaderSize)
            {
                Statistics.RxErrors++;
                return;
            }

            uint dataOffset = BinaryPrimitives.ReadUInt32LittleEndian(message.Slice(RndisMessage.PacketDataOffset));
            uint dataLength = BinaryPrimitives.ReadUInt32LittleEndian(message.Slice(RndisMessage.PacketDataLength));
            ulong start = RndisMessage.RequestId + (ulong)dataOffset;
            if (dataLength == 0 || start + dataLength > (ulong)message.Length)
            {
                Statistics.RxErrors++;
                return;
            }

            if (sink == null)
            {
                // A frame that arrives while a control transaction waits has nowhere to go.
                Statistics.RxDropped++;
                return;
            }

            ReadOnlySpan<byte> frame = message.Slice((int)start, (int)dataLength);
            Statistics.RxFrames++;
            Statistics.RxBytes += dataLength;
            sink.Receive(this, frame);
        }

        private void HandleStatus(ReadOnlySpan<byte> message)
        {
            if (message.Length < RndisMessage.IndicateStatusCode + 4)
            {
                Statistics.RxErrors++;
                return;
            }

            uint status = BinaryPrimitives.ReadUInt32LittleEndian(message.Slice(RndisMessage.IndicateStatusCode));
            if (status == RndisMessage.StatusMediaConnect)
            {
                SetLink(LinkState.Up);
            }
            else if (status == RndisMessage.StatusMediaDisconnect)
            {
                SetLink(LinkState.Down);
            }
            else
            {
                _ignoredStatus++;
            }
        }
    }
}
