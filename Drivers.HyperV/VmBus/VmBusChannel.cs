// A VMBus channel as a class driver uses it (docs/hyperv.md §6–8): one physically
// contiguous block holds the guest-to-host ring followed by the host-to-guest ring, described to
// the host by one GPADL and opened with OPENCHANNEL. Sending builds descriptors (inband, GPA
// direct, completion, cancel) and signals the host only when its interrupt mask allows it and it
// had read everything before this packet; consuming signals the host when it frees the room the
// host asked for (docs/hyperv.md §8). Receiving validates every descriptor against what the host published: a
// malformed packet is counted and skipped, never trusted.
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Platform;

namespace Bootstage.Drivers.HyperV.VmBus
{
    public sealed unsafe class VmBusChannel
    {
        /// <summary>Largest host-to-guest packet accepted (descriptor and header included).</summary>
        public const int MaxReceivePacket = 4096;

        private readonly VmBusConnection _connection;
        private readonly byte[] _receiveScratch = new byte[MaxReceivePacket];
        /// <summary>Pages one GPA-direct range may name.</summary>
        public const int MaxGpaDirectPages = 16;

        // The largest header built here: GPA direct with a full range (descriptor, reserved and
        // range count, byte count and offset, one PFN per page).
        private readonly byte[] _descriptor = new byte[VmBusPacketType.DescriptorSize + 8 + 8 + MaxGpaDirectPages * 8];
        private VmBusOffer _offer;
        private PhysicalRegion _rings;
        private RingBuffer _outbound;
        private RingBuffer _inbound;
        private uint _ringGpadl;
        private uint _generation;
        private uint _pendingConsume;
        private uint _pendingRead;
        private bool _open;
        private ulong _packetsSent;
        private ulong _packetsReceived;
        private ulong _malformedPackets;
        private ulong _signals;
        private ulong _ringFull;
        private ulong _roomSignals;

        public VmBusChannel(VmBusConnection connection, in VmBusOffer offer)
        {
            _connection = connection;
            _offer = offer;
        }

        public ref readonly VmBusOffer Offer => ref _offer;

        public bool IsOpen => _open && _generation == _connection.Generation;

        public ulong PacketsSent => _packetsSent;

        public ulong PacketsReceived => _packetsReceived;

        /// <summary>Host packets dropped because their descriptor or indices were inconsistent.</summary>
        public ulong MalformedPackets => _malformedPackets;

        public ulong Signals => _signals;

        public ulong RingFullEvents => _ringFull;

        /// <summary>Signals sent because consuming made the room the host asked for (pending_send_sz).</summary>
        public ulong RoomSignals => _roomSignals;

        /// <summary>Points the channel at a new offer for the same device (after a reconnect).</summary>
        public void Rebind(in VmBusOffer offer)
        {
            _offer = offer;
        }

        /// <summary>Allocates the rings (once), describes them with a GPADL and opens the channel.</summary>
        public HvStatus Open(uint outboundPages, uint inboundPages, ReadOnlySpan<byte> userData)
        {
            if (IsOpen)
            {
                return HvStatus.Success;
            }

            IPlatform platform = _connection.Hypervisor.Platform;
            if (outboundPages < 2 || inboundPages < 2)
            {
                return HvStatus.InvalidParameter;
            }

            if (_rings.IsEmpty && platform.AllocatePages(outboundPages + inboundPages, out _rings) != PlatformStatus.Success)
            {
                return HvStatus.NoMemory;
            }

            if (_rings.PageCount != outboundPages + inboundPages)
            {
                return HvStatus.InvalidParameter;
            }

            byte* start = (byte*)_rings.VirtualAddress;
            _outbound.Attach(start, outboundPages * PhysicalRegion.PageSize);
            _inbound.Attach(start + outboundPages * PhysicalRegion.PageSize, inboundPages * PhysicalRegion.PageSize);
            _pendingConsume = 0;
            HvStatus status = _connection.EstablishGpadl(_offer.RelId, _rings, out _ringGpadl);
            if (status != HvStatus.Success)
            {
                return status;
            }

            status = _connection.OpenChannel(_offer.RelId, _ringGpadl, outboundPages, userData);
            if (status != HvStatus.Success)
            {
                _connection.TeardownGpadl(_offer.RelId, _ringGpadl);
                return status;
            }

            _generation = _connection.Generation;
            _open = true;
            return HvStatus.Success;
        }

        /// <summary>CLOSECHANNEL, then tear the ring GPADL down. The ring memory is kept for a later Open.</summary>
        public HvStatus Close()
        {
            if (!IsOpen)
            {
                _open = false;
                return HvStatus.Success;
            }

            _open = false;
            HvStatus status = _connection.CloseChannel(_offer.RelId);
            HvStatus teardown = _connection.TeardownGpadl(_offer.RelId, _ringGpadl);
            return status != HvStatus.Success ? status : teardown;
        }

        /// <summary>Frees the ring pages of a closed channel (a device that never came up); Open allocates them again.</summary>
        public void ReleaseRings()
        {
            if (IsOpen || _rings.IsEmpty)
            {
                return;
            }

            _connection.Hypervisor.Platform.FreePages(_rings);
            _rings = default;
        }

        /// <summary>
        /// Forgets the open state without telling the host: after a reclaim the host has already
        /// dropped this channel and its GPADL, and must not be asked to tear them down.
        /// </summary>
        public void Abandon()
        {
            _open = false;
        }

        public HvStatus SendInband(ReadOnlySpan<byte> payload, ulong transactionId, bool requestCompletion)
        {
            Span<byte> descriptor = Descriptor(VmBusPacketType.DataInband, VmBusPacketType.DescriptorSize, payload.Length,
                requestCompletion ? VmBusPacketType.CompletionRequested : (ushort)0, transactionId);
            return Send(descriptor, payload);
        }

        public HvStatus SendCompletion(ReadOnlySpan<byte> payload, ulong transactionId)
        {
            Span<byte> descriptor = Descriptor(VmBusPacketType.Completion, VmBusPacketType.DescriptorSize, payload.Length, 0, transactionId);
            return Send(descriptor, payload);
        }

        public HvStatus SendCancel(ulong transactionId)
        {
            Span<byte> descriptor = Descriptor(VmBusPacketType.CancelRequest, VmBusPacketType.DescriptorSize, 0, 0, transactionId);
            return Send(descriptor, default);
        }

        /// <summary>
        /// GPA-direct packet: <paramref name="payload"/> inband, plus one range describing
        /// <paramref name="length"/> bytes at <paramref name="physicalAddress"/> (at most 16 pages).
        /// </summary>
        public HvStatus SendGpaDirect(ReadOnlySpan<byte> payload, ulong physicalAddress, uint length, ulong transactionId, bool requestCompletion)
        {
            uint offset = (uint)(physicalAddress & (PhysicalRegion.PageSize - 1));
            uint pages = (offset + length + PhysicalRegion.PageSize - 1) / PhysicalRegion.PageSize;
            if (length == 0 || pages > MaxGpaDirectPages)
            {
                return HvStatus.InvalidParameter;
            }

            int headerLength = VmBusPacketType.DescriptorSize + 8 + 8 + (int)pages * 8;
            Span<byte> descriptor = Descriptor(VmBusPacketType.DataUsingGpaDirect, headerLength, payload.Length,
                requestCompletion ? VmBusPacketType.CompletionRequested : (ushort)0, transactionId);
            BinaryPrimitives.WriteUInt32LittleEndian(descriptor.Slice(16), 0);
            BinaryPrimitives.WriteUInt32LittleEndian(descriptor.Slice(20), 1);
            BinaryPrimitives.WriteUInt32LittleEndian(descriptor.Slice(24), length);
            BinaryPrimitives.WriteUInt32LittleEndian(descriptor.Slice(28), offset);
            ulong firstPfn = physicalAddress / PhysicalRegion.PageSize;
            for (uint i = 0; i < pages; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(descriptor.Slice(32 + (int)i * 8), firstPfn + i);
            }

            return Send(descriptor, payload);
        }

        // Fills the descriptor buffer: type, header length and total length in qwords, flags, id.
        private Span<byte> Descriptor(ushort type, int headerLength, int payloadLength, ushort flags, ulong transactionId)
        {
            Span<byte> descriptor = new Span<byte>(_descriptor, 0, headerLength);
            descriptor.Clear();
            int total = (headerLength + payloadLength + 7) & ~7;
            BinaryPrimitives.WriteUInt16LittleEndian(descriptor, type);
            BinaryPrimitives.WriteUInt16LittleEndian(descriptor.Slice(2), (ushort)(headerLength / 8));
            BinaryPrimitives.WriteUInt16LittleEndian(descriptor.Slice(4), (ushort)(total / 8));
            BinaryPrimitives.WriteUInt16LittleEndian(descriptor.Slice(6), flags);
            BinaryPrimitives.WriteUInt64LittleEndian(descriptor.Slice(8), transactionId);
            return descriptor;
        }

        private HvStatus Send(ReadOnlySpan<byte> descriptor, ReadOnlySpan<byte> payload)
        {
            if (!IsOpen)
            {
                return HvStatus.InvalidParameter;
            }

            if (!_outbound.Write(descriptor, payload, out bool signal, out bool corrupt))
            {
                if (corrupt)
                {
                    _malformedPackets++;
                    return HvStatus.ProtocolError;
                }

                _ringFull++;
                return HvStatus.RingFull;
            }

            _packetsSent++;
            return signal ? Signal() : HvStatus.Success;
        }

        /// <summary>
        /// Takes the next well-formed packet from the host, skipping (and counting) malformed ones.
        /// The packet stays valid until the next call; its ring space is released then.
        /// </summary>
        public bool TryReceive(out VmBusPacket packet)
        {
            packet = default;
            if (!IsOpen)
            {
                return false;
            }

            Span<byte> descriptor = stackalloc byte[VmBusPacketType.DescriptorSize];
            while (true)
            {
                if (_pendingConsume != 0)
                {
                    bool wake = _inbound.Consume(_pendingRead, _pendingConsume);
                    _pendingConsume = 0;
                    if (wake)
                    {
                        _roomSignals++;
                        Signal();
                    }
                }

                long available = _inbound.Available(out uint read, out uint _);
                if (available < 0)
                {
                    // The host published an impossible write index.
                    return Malformed();
                }

                if (available == 0)
                {
                    return false;
                }

                if (available < VmBusPacketType.DescriptorSize + VmBusPacketType.TrailerSize)
                {
                    return Malformed();
                }

                _inbound.Peek(read, 0, descriptor);
                ushort type = BinaryPrimitives.ReadUInt16LittleEndian(descriptor);
                int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(descriptor.Slice(2)) * 8;
                int totalLength = BinaryPrimitives.ReadUInt16LittleEndian(descriptor.Slice(4)) * 8;
                ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(descriptor.Slice(6));
                ulong transactionId = BinaryPrimitives.ReadUInt64LittleEndian(descriptor.Slice(8));
                if (headerLength < VmBusPacketType.DescriptorSize || totalLength < headerLength
                    || totalLength + VmBusPacketType.TrailerSize > available)
                {
                    // The framing itself is broken: no packet boundary can be trusted after this.
                    return Malformed();
                }

                _pendingRead = read;
                _pendingConsume = (uint)(totalLength + VmBusPacketType.TrailerSize);
                if (totalLength > MaxReceivePacket || !IsKnownType(type))
                {
                    // Well framed but oversized or of no use to us: step over exactly this packet.
                    _malformedPackets++;
                    continue;
                }

                ReadOnlySpan<byte> bytes = _inbound.View(read, 0, totalLength);
                if (bytes.IsEmpty)
                {
                    _inbound.Peek(read, 0, new Span<byte>(_receiveScratch, 0, totalLength));
                    bytes = new ReadOnlySpan<byte>(_receiveScratch, 0, totalLength);
                }

                _packetsReceived++;
                packet = new VmBusPacket(type, flags, transactionId, bytes.Slice(0, headerLength), bytes.Slice(headerLength));
                return true;
            }
        }

        private static bool IsKnownType(ushort type)
        {
            return type == VmBusPacketType.DataInband || type == VmBusPacketType.DataUsingTransferPages
                || type == VmBusPacketType.DataUsingGpaDirect || type == VmBusPacketType.Completion
                || type == VmBusPacketType.CancelRequest;
        }

        private bool Malformed()
        {
            _malformedPackets++;
            if (_inbound.SkipAll())
            {
                _roomSignals++;
                Signal();
            }

            return false;
        }

        private HvStatus Signal()
        {
            _signals++;
            return _connection.SignalChannel(_offer);
        }
    }
}
