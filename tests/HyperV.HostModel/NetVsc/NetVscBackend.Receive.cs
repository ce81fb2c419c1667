// The receive path of the host model's netvsc backend (docs/hyperv.md §8 XFER_PAGES,
// §8): RNDIS messages for the guest (control completions, status indications,
// data PACKETs) wait in a queue, are copied into the guest's receive buffer, each into its own run
// of free sub-allocations, and go out as DATA_USING_XFER_PAGES packets {page set = the guest's id,
// one range per RNDIS message} with NVSP {107, channel type, 0xFFFFFFFF, 0} and completion requested.
// The bytes stay taken until the guest's COMP for that packet (empty, or NVSP 108). A full buffer
// leaves messages queued; packets never exceed the channel's MaxPacketSize. No INBAND data packets.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace Bootstage.HyperV.HostModel
{
    public sealed partial class NetVscBackend
    {
        // Descriptor, transfer-page header (page set, flags, range count) and trailer around the ranges.
        private const int TransferPacketOverhead = VmBusConstants.PacketDescriptorSize + 8 + VmBusConstants.PacketTrailerSize;

        private readonly List<OutboundMessage> _pending = new();
        private readonly Dictionary<ulong, List<(int First, int Count)>> _outstanding = new();
        private readonly HashSet<ulong> _retired = new();
        private ReceiveSlots? _slots;
        private ulong _nextTransaction = 1;
        private bool _stalled;

        /// <summary>RNDIS messages waiting for room in the receive buffer (or for one to be registered).</summary>
        public int PendingReceiveMessages => _pending.Count;

        /// <summary>Free sub-allocations in the receive buffer (0 when none is registered).</summary>
        public int FreeSubAllocations => _slots?.Free ?? 0;

        /// <summary>
        /// Queues an Ethernet frame (copied) for the guest; it goes out on the host's next turn. Dropped and
        /// counted when the device cannot take it: channel closed, no receive buffer, RNDIS not initialised,
        /// the packet filter refuses it (with ApplyPacketFilter), or it is shorter than an Ethernet header
        /// or larger than the whole receive buffer.
        /// </summary>
        public void DeliverToGuest(ReadOnlySpan<byte> frame)
        {
            bool ready = _channel != null && _channel.IsOpen && _slots != null && RndisInitialized;
            ulong needed = (ulong)(RndisProtocol.HeaderSize + RndisProtocol.PacketBodySize) + (ulong)frame.Length;
            if (!ready || frame.Length < 14 || needed > (ulong)_slots!.Count * _slots.SlotSize || !PassesFilter(frame))
            {
                Counters.FramesDropped++;
                return;
            }

            Counters.FramesQueued++;
            QueueMessage(DataPacket(frame), NvspProtocol.ChannelData, false, true);
        }

        private void QueueControl(byte[] message) => QueueMessage(message, NvspProtocol.ChannelControl, false, false);

        private void QueueMessage(byte[] message, uint channelType, bool joinPrevious, bool isFrame)
        {
            _pending.Add(new OutboundMessage(message, channelType, joinPrevious, isFrame));
        }

        private void RegisterReceiveBuffer(uint gpadlId, ushort id, int count)
        {
            _slots = new ReceiveSlots(count, Options.ReceiveSubAllocationSize);
            ReceiveBufferGpadl = gpadlId;
            ReceiveBufferId = id;
            ReceiveBufferRegistered = true;
            ReceiveBufferRevoked = false;
            _stalled = false;
        }

        /// <summary>Stops using the receive buffer: queued messages are discarded, outstanding packets retired.</summary>
        private void DropReceiveBuffer()
        {
            foreach (OutboundMessage message in _pending)
            {
                if (message.IsFrame)
                {
                    Counters.FramesDropped++;
                }
            }

            _pending.Clear();
            foreach (ulong transaction in _outstanding.Keys)
            {
                _retired.Add(transaction);
            }

            _outstanding.Clear();
            Counters.CompletionsOutstanding = 0;
            _slots = null;
            ReceiveBufferRegistered = false;
            _stalled = false;
        }

        /// <summary>A guest COMP: releases the bytes of the transfer-page packet it names.</summary>
        private void OnGuestCompletion(GuestPacket packet)
        {
            ReadOnlySpan<byte> payload = packet.Payload;
            if (payload.Length > 0 && (payload.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(payload) != NvspProtocol.SendRndisPacketComplete))
            {
                Violation($"COMP for transaction {packet.TransactionId} carries a {payload.Length}-byte payload that is not SEND_RNDIS_PKT_COMPLETE");
            }

            if (_outstanding.Remove(packet.TransactionId, out List<(int First, int Count)>? runs))
            {
                foreach ((int first, int count) in runs)
                {
                    _slots?.Release(first, count);
                }

                Counters.CompletionsReceived++;
                Counters.CompletionsOutstanding = _outstanding.Count;
                return;
            }

            if (!_retired.Remove(packet.TransactionId))
            {
                Violation($"COMP for transaction {packet.TransactionId}, which no outstanding packet has");
            }
        }

        /// <summary>Sends as many queued messages as the receive buffer and the packet size allow.</summary>
        private void FlushReceive(HostChannel channel)
        {
            if (!channel.IsOpen || _slots == null)
            {
                return;
            }

            int maxRanges = Math.Min(Options.MaxMessagesPerPacket, (channel.MaxPacketSize - TransferPacketOverhead - NvspProtocol.MessageSize) / 8);
            if (maxRanges < 1)
            {
                return;
            }

            while (_pending.Count > 0)
            {
                List<(OutboundMessage Message, int First, int Count)> placed = new();
                bool blocked = TakeUnits(maxRanges, placed, out int taken);
                if (placed.Count > 0)
                {
                    if (!SendPlaced(channel, placed, taken))
                    {
                        return;
                    }

                    _stalled = false;
                }

                if (blocked)
                {
                    if (!_stalled)
                    {
                        _stalled = true;
                        Counters.ReceiveBufferFullEvents++;
                    }

                    return;
                }
            }
        }

        /// <summary>
        /// Allocates room for messages from the head of the queue that can share one packet: same channel
        /// type, at most <paramref name="maxRanges"/>, and a message joined to its predecessor (the malformed
        /// status) never split from it. Returns true when it stopped because the buffer is full.
        /// </summary>
        private bool TakeUnits(int maxRanges, List<(OutboundMessage Message, int First, int Count)> placed, out int taken)
        {
            ReceiveSlots slots = _slots!;
            uint channelType = _pending[0].ChannelType;
            taken = 0;
            while (taken < _pending.Count && placed.Count < maxRanges && _pending[taken].ChannelType == channelType)
            {
                int unit = 1;
                while (taken + unit < _pending.Count && _pending[taken + unit].JoinPrevious && unit < maxRanges)
                {
                    unit++;
                }

                if (placed.Count + unit > maxRanges)
                {
                    return false;
                }

                int before = placed.Count;
                for (int i = 0; i < unit; i++)
                {
                    OutboundMessage message = _pending[taken + i];
                    if (!slots.TryAllocate(message.Bytes.Length, out int first, out int count))
                    {
                        for (int j = placed.Count - 1; j >= before; j--)
                        {
                            slots.Release(placed[j].First, placed[j].Count);
                            placed.RemoveAt(j);
                        }

                        return true;
                    }

                    placed.Add((message, first, count));
                }

                taken += unit;
            }

            return false;
        }

        /// <summary>Copies the placed messages into the receive buffer and sends their transfer-page packet.</summary>
        private bool SendPlaced(HostChannel channel, List<(OutboundMessage Message, int First, int Count)> placed, int taken)
        {
            ReceiveSlots slots = _slots!;
            TransferRange[] ranges = new TransferRange[placed.Count];
            List<(int First, int Count)> runs = new();
            for (int i = 0; i < placed.Count; i++)
            {
                (OutboundMessage message, int first, int count) = placed[i];
                uint offset = (uint)first * slots.SlotSize;
                runs.Add((first, count));
                ranges[i] = new TransferRange((uint)message.Bytes.Length, offset);
                if (!channel.TryWriteGpadl(ReceiveBufferGpadl, offset, message.Bytes))
                {
                    Violation($"receive buffer GPADL {ReceiveBufferGpadl} is gone; buffer dropped");
                    DropReceiveBuffer();
                    return false;
                }
            }

            uint channelType = placed[0].Message.ChannelType;
            ulong transaction = _nextTransaction++;
            byte[] nvsp = Nvsp(NvspProtocol.SendRndisPacket, channelType, NvspProtocol.NoSection, 0);
            _pending.RemoveRange(0, taken);
            if (!channel.SendTransferPages(ReceiveBufferId, ranges, nvsp, transaction))
            {
                // Only a channel that closed under us refuses: the size was checked above.
                foreach ((int first, int count) in runs)
                {
                    slots.Release(first, count);
                }

                return false;
            }

            _outstanding[transaction] = runs;
            Counters.CompletionsOutstanding = _outstanding.Count;
            Counters.PacketsSent++;
            Counters.MessagesSent += placed.Count;
            foreach ((OutboundMessage Message, int First, int Count) item in placed)
            {
                if (item.Message.IsFrame)
                {
                    Counters.FramesDelivered++;
                }
            }

            return true;
        }

        private sealed record OutboundMessage(byte[] Bytes, uint ChannelType, bool JoinPrevious, bool IsFrame);

        /// <summary>The receive buffer as equal sub-allocations; a message takes a contiguous run (first fit).</summary>
        private sealed class ReceiveSlots
        {
            private readonly bool[] _used;

            public ReceiveSlots(int count, uint slotSize)
            {
                _used = new bool[count];
                SlotSize = slotSize;
                Free = count;
            }

            public int Count => _used.Length;

            public uint SlotSize { get; }

            public int Free { get; private set; }

            public bool TryAllocate(int length, out int first, out int count)
            {
                count = (int)(((ulong)length + SlotSize - 1) / SlotSize);
                int run = 0;
                for (int i = 0; i < _used.Length; i++)
                {
                    run = _used[i] ? 0 : run + 1;
                    if (run == count)
                    {
                        first = i - count + 1;
                        for (int j = first; j <= i; j++)
                        {
                            _used[j] = true;
                        }

                        Free -= count;
                        return true;
                    }
                }

                first = -1;
                return false;
            }

            public void Release(int first, int count)
            {
                for (int i = first; i < first + count; i++)
                {
                    if (_used[i])
                    {
                        _used[i] = false;
                        Free++;
                    }
                }
            }
        }
    }
}
