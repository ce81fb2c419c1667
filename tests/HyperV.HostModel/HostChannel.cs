// One VMBus channel on the host side (docs/hyperv.md §6–8): the
// offer it is known by, its open state, the two rings mapped from the guest's GPADL (guest→host at
// page 0, host→guest at downstream_ringbuffer_pageoffset) and the API backends and tests use to
// send packets. Outgoing packets wait in an outbox when the guest's ring is full and go out as soon
// as there is room. A bogus guest index or descriptor is traced and stops that ring until the next
// open; nothing here throws because of what the guest wrote.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Threading;

namespace Bootstage.HyperV.HostModel
{
    public sealed class HostChannel
    {
        private readonly VmBusHost _bus;
        private readonly Queue<byte[]> _outbox = new();
        private HostRing? _guestToHost;
        private HostRing? _hostToGuest;
        private const int MaxBatch = 4096;
        private bool _signalled;
        private bool _waitingForRoom;

        internal HostChannel(VmBusHost bus, uint relId, Guid classId, Guid instanceId, IHostDevice device, bool lateOffer)
        {
            _bus = bus;
            RelId = relId;
            ClassId = classId;
            InstanceId = instanceId;
            Device = device;
            IsLateOffer = lateOffer;
        }

        public uint RelId { get; }

        public Guid ClassId { get; }

        public Guid InstanceId { get; }

        /// <summary>The event connection put in the offer; the guest signals it to say "read my ring".</summary>
        public uint ConnectionId => VmBusConstants.ChannelConnectionBase + RelId;

        public IHostDevice Device { get; }

        /// <summary>Offered with monitor_allocated = 1 (as real hosts offer synthetic devices); on by default.</summary>
        public bool Monitored { get; set; } = true;

        /// <summary>The monitor id in the offer: its trigger bit in the child→parent monitor page.</summary>
        public byte MonitorId => (byte)(RelId - 1);

        /// <summary>Offer chn_flags (0 unless a test sets it).</summary>
        public ushort ChannelFlags { get; set; }

        /// <summary>Offer user_def bytes (120).</summary>
        public byte[] UserDefined { get; } = new byte[120];

        /// <summary>Largest packet the host sends through the typed Send methods, descriptor and trailer included.</summary>
        public int MaxPacketSize { get; set; }

        /// <summary>Offered only after enumeration, never in the REQUEST_OFFERS batch (the Azure PCIe channel).</summary>
        public bool IsLateOffer { get; }

        /// <summary>An OFFER for it went out on the current connection.</summary>
        public bool IsOffered { get; internal set; }

        public bool IsRescinded { get; internal set; }

        public bool IsOpen { get; private set; }

        /// <summary>The open id of the current (or last) open.</summary>
        public uint OpenId { get; private set; }

        public uint RingGpadlId { get; private set; }

        public uint DownstreamPageOffset { get; private set; }

        public uint TargetVp { get; private set; }

        public byte[] OpenUserData { get; private set; } = Array.Empty<byte>();

        public int OpenCount { get; private set; }

        public int CloseCount { get; private set; }

        /// <summary>The guest→host ring showed a bogus index or descriptor; it is not read again until reopened.</summary>
        public bool GuestRingFaulted { get; private set; }

        /// <summary>The host→guest ring showed a bogus read index; nothing is written to it until reopened.</summary>
        public bool HostRingFaulted { get; private set; }

        public int PacketsReceived { get; private set; }

        public int PacketsSent { get; private set; }

        /// <summary>Times the host signalled the guest for this channel.</summary>
        public int InterruptsSent { get; internal set; }

        /// <summary>HvSignalEvent calls (or monitor trigger bits) the guest sent for this channel.</summary>
        public int SignalsReceived { get; private set; }

        /// <summary>Times a drain found new packets right after clearing the interrupt mask.</summary>
        public int RechecksAfterUnmask { get; private set; }

        /// <summary>Times the host→guest ring was full and the host waited for the guest's pending_send_sz signal.</summary>
        public int RingFullStalls { get; private set; }

        /// <summary>The host waits for the guest to signal that it consumed enough of a full ring.</summary>
        public bool WaitingForRoom => _waitingForRoom;

        /// <summary>A signal arrived that no host turn has serviced yet.</summary>
        public bool SignalPending => _signalled;

        /// <summary>Packets waiting for room in the host→guest ring.</summary>
        public int PendingOutbound => _outbox.Count;

        /// <summary>Data bytes of the guest→host and host→guest rings (0 when closed).</summary>
        public uint GuestToHostRingSize => _guestToHost?.DataSize ?? 0;

        public uint HostToGuestRingSize => _hostToGuest?.DataSize ?? 0;

        /// <summary>Sends DATA_INBAND.</summary>
        public bool SendInband(ReadOnlySpan<byte> payload, ulong transactionId, bool requestCompletion = false)
        {
            return SendPacket(VmBusPacketType.DataInband, requestCompletion ? VmBusConstants.CompletionRequested : (ushort)0, transactionId, ReadOnlySpan<byte>.Empty, payload);
        }

        /// <summary>Sends COMP for <paramref name="transactionId"/>, with an optional payload.</summary>
        public bool SendCompletion(ulong transactionId, ReadOnlySpan<byte> payload = default)
        {
            return SendPacket(VmBusPacketType.Completion, 0, transactionId, ReadOnlySpan<byte>.Empty, payload);
        }

        /// <summary>Sends DATA_USING_XFER_PAGES: ranges of the guest's page set <paramref name="pageSetId"/>, then <paramref name="payload"/>.</summary>
        public bool SendTransferPages(ushort pageSetId, ReadOnlySpan<TransferRange> ranges, ReadOnlySpan<byte> payload, ulong transactionId, bool requestCompletion = true)
        {
            byte[] header = new byte[8 + ranges.Length * 8];
            BinaryPrimitives.WriteUInt16LittleEndian(header, pageSetId);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), (uint)ranges.Length);
            for (int i = 0; i < ranges.Length; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8 + i * 8), ranges[i].ByteCount);
                BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12 + i * 8), ranges[i].ByteOffset);
            }

            return SendPacket(VmBusPacketType.DataUsingTransferPages, requestCompletion ? VmBusConstants.CompletionRequested : (ushort)0, transactionId, header, payload);
        }

        /// <summary>
        /// Builds and queues a packet: descriptor, <paramref name="typeHeader"/> (padded to 8), payload padded to 8.
        /// False when the channel is not open or the packet plus trailer would exceed <see cref="MaxPacketSize"/>.
        /// </summary>
        public bool SendPacket(VmBusPacketType type, ushort flags, ulong transactionId, ReadOnlySpan<byte> typeHeader, ReadOnlySpan<byte> payload)
        {
            int headerLength = VmBusConstants.PacketDescriptorSize + Align8(typeHeader.Length);
            int length = headerLength + Align8(payload.Length);
            if (length + VmBusConstants.PacketTrailerSize > MaxPacketSize || length / 8 > ushort.MaxValue)
            {
                _bus.Host.AddTrace(TraceDirection.Host, TraceKind.Fault, (uint)type, $"channel {RelId}: {length + VmBusConstants.PacketTrailerSize}-byte packet exceeds the {MaxPacketSize}-byte limit; not sent");
                return false;
            }

            byte[] packet = new byte[length];
            BinaryPrimitives.WriteUInt16LittleEndian(packet, (ushort)type);
            BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(2), (ushort)(headerLength / 8));
            BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(4), (ushort)(length / 8));
            BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(6), flags);
            BinaryPrimitives.WriteUInt64LittleEndian(packet.AsSpan(8), transactionId);
            typeHeader.CopyTo(packet.AsSpan(VmBusConstants.PacketDescriptorSize));
            payload.CopyTo(packet.AsSpan(headerLength));
            return Queue(packet);
        }

        /// <summary>
        /// Queues bytes exactly as given (zero-padded to 8) followed by the usual trailer: for oversized or
        /// malformed packets. No size limit applies. False when the channel is not open.
        /// </summary>
        public bool SendRaw(ReadOnlySpan<byte> bytes)
        {
            byte[] packet = new byte[Align8(bytes.Length)];
            bytes.CopyTo(packet);
            _bus.Host.AddTrace(TraceDirection.Host, TraceKind.Fault, packet.Length >= 2 ? BinaryPrimitives.ReadUInt16LittleEndian(packet) : 0u, $"channel {RelId}: raw {packet.Length}-byte packet");
            return Queue(packet);
        }

        /// <summary>Publishes a bogus write index in the host→guest ring (fault injection).</summary>
        public bool CorruptHostToGuestWriteIndex(uint value)
        {
            _bus.Host.AddTrace(TraceDirection.Host, TraceKind.Fault, RelId, $"host→guest write index forced to {value}");
            return _hostToGuest != null && _hostToGuest.ForceWriteIndex(value);
        }

        /// <summary>
        /// Publishes a bogus read index in the guest→host ring (fault injection): the guest must refuse
        /// to write until <see cref="RestoreGuestToHostReadIndex"/> puts the host's real index back.
        /// </summary>
        public bool CorruptGuestToHostReadIndex(uint value)
        {
            _bus.Host.AddTrace(TraceDirection.Host, TraceKind.Fault, RelId, $"guest→host read index forced to {value}");
            return _guestToHost != null && _guestToHost.TryWriteHeader(VmBusConstants.RingReadIndexOffset, value);
        }

        public bool RestoreGuestToHostReadIndex() => _guestToHost != null && _guestToHost.PublishHostIndex();

        /// <summary>Copies bytes out of a live GPADL (e.g. the guest's receive or send buffer); offsets count from the GPADL's first byte.</summary>
        public bool TryReadGpadl(uint gpadlId, ulong offset, Span<byte> destination)
        {
            if (!_bus.TryGetGpadl(gpadlId, out HostGpadl gpadl))
            {
                return false;
            }

            while (!destination.IsEmpty)
            {
                if (!gpadl.TryLocate(offset, out ulong address, out uint inPage))
                {
                    return false;
                }

                int chunk = (int)Math.Min(inPage, (uint)destination.Length);
                if (!_bus.Host.TryReadGuest(address, destination.Slice(0, chunk)))
                {
                    return false;
                }

                destination = destination.Slice(chunk);
                offset += (ulong)chunk;
            }

            return true;
        }

        /// <summary>Copies bytes into a live GPADL (how a backend fills the guest's receive buffer).</summary>
        public bool TryWriteGpadl(uint gpadlId, ulong offset, ReadOnlySpan<byte> source)
        {
            if (!_bus.TryGetGpadl(gpadlId, out HostGpadl gpadl))
            {
                return false;
            }

            while (!source.IsEmpty)
            {
                if (!gpadl.TryLocate(offset, out ulong address, out uint inPage))
                {
                    return false;
                }

                int chunk = (int)Math.Min(inPage, (uint)source.Length);
                if (!_bus.Host.TryWriteGuest(address, source.Slice(0, chunk)))
                {
                    return false;
                }

                source = source.Slice(chunk);
                offset += (ulong)chunk;
            }

            return true;
        }

        internal bool TryOpen(HostGpadl gpadl, uint openId, uint downstreamOffset, uint targetVp, byte[] userData, out string? error)
        {
            // Each ring is a header page plus at least one data page.
            int pages = gpadl.Pfns.Length;
            if (downstreamOffset < 2 || (ulong)downstreamOffset + 2 > (ulong)pages)
            {
                error = $"downstream offset {downstreamOffset} does not leave two rings of at least 2 pages in {pages} pages";
                return false;
            }

            foreach (GpadlRange range in gpadl.Ranges)
            {
                if (range.ByteOffset != 0 || range.ByteCount % VmBusConstants.PageSize != 0)
                {
                    error = "ring GPADL ranges must cover whole pages";
                    return false;
                }
            }

            ReadOnlySpan<ulong> pfns = gpadl.Pfns;
            HostRing? guestToHost = HostRing.TryCreate(_bus.Host, pfns.Slice(0, (int)downstreamOffset), false, out error);
            HostRing? hostToGuest = guestToHost == null ? null : HostRing.TryCreate(_bus.Host, pfns.Slice((int)downstreamOffset), true, out error);
            if (guestToHost == null || hostToGuest == null)
            {
                return false;
            }

            // Advertise pending_send_sz support in the ring the host writes.
            hostToGuest.TryReadHeader(VmBusConstants.RingFeatureBitsOffset, out uint features);
            hostToGuest.TryWriteHeader(VmBusConstants.RingFeatureBitsOffset, features | 1);
            _guestToHost = guestToHost;
            _hostToGuest = hostToGuest;
            _outbox.Clear();
            _signalled = false;
            _waitingForRoom = false;
            GuestRingFaulted = false;
            HostRingFaulted = false;
            IsOpen = true;
            OpenId = openId;
            RingGpadlId = gpadl.Id;
            DownstreamPageOffset = downstreamOffset;
            TargetVp = targetVp;
            OpenUserData = userData;
            OpenCount++;
            _bus.Host.AddTrace(TraceDirection.Host, TraceKind.Lifecycle, RelId, $"channel {RelId} open (open id {openId}, GPADL {gpadl.Id}, rings {guestToHost.DataSize}/{hostToGuest.DataSize} bytes)");
            error = null;
            return true;
        }

        internal void CloseHostSide(string reason)
        {
            if (!IsOpen)
            {
                return;
            }

            IsOpen = false;
            _guestToHost = null;
            _hostToGuest = null;
            _outbox.Clear();
            _signalled = false;
            _waitingForRoom = false;
            CloseCount++;
            _bus.Host.AddTrace(TraceDirection.Host, TraceKind.Lifecycle, RelId, $"channel {RelId} closed: {reason}");
            Device.OnClose(this);
        }

        /// <summary>
        /// The guest signalled this channel (HvSignalEvent or its monitor bit). Like a real host the
        /// model does not read the ring inside the hypercall: the channel is serviced on a later host
        /// turn (the guest's next poll, or the host thread), so a guest that decides wrongly whether
        /// to signal hangs here instead of being rescued by a synchronous drain.
        /// </summary>
        internal void OnGuestSignal()
        {
            SignalsReceived++;
            if (!IsOpen)
            {
                _bus.Host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, RelId, $"signal for channel {RelId} that is not open");
                return;
            }

            _signalled = true;
        }

        /// <summary>A host turn: reads the guest's ring if it was signalled, retries a stalled send once the guest said there is room.</summary>
        internal void Service(bool drain)
        {
            if (!drain || !_signalled || !IsOpen)
            {
                return;
            }

            _signalled = false;
            _waitingForRoom = false;
            Drain();
            Flush();
        }

        // Takes everything the guest wrote with its interrupt mask set (the guest need not signal
        // while we read), then clears the mask and looks once more: a packet published just before
        // the mask was cleared would otherwise wait for a signal the guest had no reason to send.
        // Packets are copied out first and handed to the backend afterwards, as a host copies a
        // batch off the ring before working on it.
        private void Drain()
        {
            if (GuestRingFaulted || _guestToHost == null)
            {
                _bus.Host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, RelId, $"signal for channel {RelId} whose guest ring is faulted; not read");
                return;
            }

            HostRing ring = _guestToHost;
            List<(byte[] Raw, ulong Trailer)> batch = new();
            while (!GuestRingFaulted)
            {
                ring.TryWriteHeader(VmBusConstants.RingInterruptMaskOffset, 1);
                TakeAll(ring, batch);
                ring.TryWriteHeader(VmBusConstants.RingInterruptMaskOffset, 0);
                Thread.MemoryBarrier();
                if (ring.IsEmpty())
                {
                    break;
                }

                RechecksAfterUnmask++;
                if (batch.Count >= MaxBatch)
                {
                    // A guest that keeps writing: finish this batch, carry on at the next turn.
                    _signalled = true;
                    break;
                }
            }

            foreach ((byte[] raw, ulong trailer) in batch)
            {
                if (IsOpen)
                {
                    Dispatch(raw, trailer);
                }
            }

            if (batch.Count > 0 && IsOpen)
            {
                WakeWaitingWriter(ring);
            }
        }

        private void TakeAll(HostRing ring, List<(byte[] Raw, ulong Trailer)> batch)
        {
            // Bounded: even a ring full of minimum-size packets holds fewer than DataSize/24 of them.
            for (uint guard = ring.DataSize / 24 + 1; guard > 0; guard--)
            {
                RingStatus status = ring.TryRead(out byte[] raw, out ulong trailer, out string error);
                if (status == RingStatus.Empty)
                {
                    break;
                }

                if (status == RingStatus.Faulted)
                {
                    GuestRingFaulted = true;
                    _bus.Host.Trace.Counters.RingViolations++;
                    _bus.Host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, RelId, $"channel {RelId} guest ring: {error}; ring no longer read");
                    break;
                }

                batch.Add((raw, trailer));
            }
        }

        /// <summary>Writes queued packets while the guest's ring has room.</summary>
        internal void Flush()
        {
            HostRing? ring = _hostToGuest;
            if (ring == null || HostRingFaulted)
            {
                return;
            }

            while (_outbox.Count > 0 && !_waitingForRoom)
            {
                byte[] packet = _outbox.Peek();
                RingStatus status = ring.TryWrite(packet, out bool notify, out string error);
                if (status == RingStatus.Full)
                {
                    // Tell the guest how much room we wait for (pending_send_sz), then look again in
                    // case it consumed before it could see the request. Still full: nothing more is
                    // written until the guest signals that it made the room (docs/hyperv.md §8).
                    ring.TryWriteHeader(VmBusConstants.RingPendingSendSizeOffset, (uint)(packet.Length + VmBusConstants.PacketTrailerSize));
                    Thread.MemoryBarrier();
                    status = ring.TryWrite(packet, out notify, out error);
                    if (status == RingStatus.Full)
                    {
                        _waitingForRoom = true;
                        RingFullStalls++;
                        return;
                    }
                }

                if (status == RingStatus.Faulted)
                {
                    HostRingFaulted = true;
                    _bus.Host.Trace.Counters.RingViolations++;
                    _bus.Host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, RelId, $"channel {RelId} host ring: {error}; ring no longer written");
                    return;
                }

                _outbox.Dequeue();
                ring.TryWriteHeader(VmBusConstants.RingPendingSendSizeOffset, 0);
                PacketsSent++;
                _bus.Host.Trace.Counters.PacketsSent++;
                VmBusPacketType type = (VmBusPacketType)BinaryPrimitives.ReadUInt16LittleEndian(packet);
                ulong transactionId = packet.Length >= 16 ? BinaryPrimitives.ReadUInt64LittleEndian(packet.AsSpan(8)) : 0;
                _bus.Host.AddTrace(TraceDirection.HostToGuest, TraceKind.Packet, (uint)type, $"channel {RelId}: {packet.Length} bytes, transaction {transactionId}");
                if (notify)
                {
                    _bus.InterruptGuest(this);
                }
            }
        }

        private void Dispatch(byte[] raw, ulong trailer)
        {
            PacketsReceived++;
            _bus.Host.Trace.Counters.PacketsReceived++;
            if (!GuestPacket.TryParse(raw, trailer, out GuestPacket packet, out string error))
            {
                _bus.Host.Trace.Counters.RingViolations++;
                _bus.Host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, (uint)packet.Type, $"channel {RelId}: malformed packet skipped: {error}");
                return;
            }

            _bus.Host.AddTrace(TraceDirection.GuestToHost, TraceKind.Packet, (uint)packet.Type, $"channel {RelId}: {raw.Length} bytes, transaction {packet.TransactionId}, flags {packet.Flags}");
            bool handled = Device.OnPacket(this, packet);
            bool completable = packet.Type == VmBusPacketType.DataInband || packet.Type == VmBusPacketType.DataUsingGpaDirect;
            if (!handled && completable && packet.CompletionRequested && IsOpen)
            {
                _bus.Host.Trace.Counters.AutoCompletions++;
                SendCompletion(packet.TransactionId);
            }
        }

        /// <summary>A guest that found its ring full set pending_send_sz; signal it once that much room exists.</summary>
        private void WakeWaitingWriter(HostRing ring)
        {
            if (ring.TryReadHeader(VmBusConstants.RingPendingSendSizeOffset, out uint pending) && pending != 0 && ring.FreeBytesForGuest() > pending)
            {
                _bus.InterruptGuest(this);
            }
        }

        private bool Queue(byte[] packet)
        {
            if (!IsOpen)
            {
                return false;
            }

            _outbox.Enqueue(packet);
            Flush();
            return true;
        }

        private static int Align8(int length) => (length + 7) & ~7;
    }
}
