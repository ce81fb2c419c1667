// The VMBus connection (the bus driver): version negotiation, offer enumeration, GPADLs and the
// channel open/close messages, over HvHypervisor's message interface (docs/hyperv.md §5–7;
// iPXE's behaviour as the baseline). Every wait takes only the reply it asked for:
// anything else (a late OFFER for a PCIe pass-through device, a duplicate, a stale reply) is
// counted and ignored, except RESCIND, which marks the offer gone. Fixed-capacity tables: this
// runs in the image without a garbage collector.
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Platform;

namespace Bootstage.Drivers.HyperV.VmBus
{
    public sealed unsafe partial class VmBusConnection
    {
        public const uint MessageConnectionId = 1;
        public const uint EventConnectionId = 2;
        public const int MaxOffers = 32;

        /// <summary>1 s per message wait, as iPXE allows.</summary>
        public const ulong MessageTimeout100ns = 10_000_000;

        /// <summary>
        /// UNLOAD_RESPONSE may take long: Azure hosts flush the disk cache first, and Linux waits up to
        /// 100 s (channel_mgmt.c vmbus_wait_for_unload; docs/hyperv.md §5).
        /// </summary>
        public const ulong UnloadTimeout100ns = 1_000_000_000;

        /// <summary>HvPostMessage attempts before a retry status is final (Linux: 100).</summary>
        public const int PostAttempts = 100;

        private const ulong FirstPostDelay100ns = 10;
        private const ulong MaxPostDelay100ns = 20_971_520; // 2^21 µs, Linux's ceiling

        private readonly HvHypervisor _hypervisor;
        private readonly IPlatform _platform;
        private readonly VmBusOffer[] _offers = new VmBusOffer[MaxOffers];
        private readonly byte[] _message = new byte[HvHypervisor.MaxMessagePayload];
        private readonly byte[] _reply = new byte[HvHypervisor.MaxMessagePayload];
        private int _offerCount;
        private uint _version;
        private uint _nextGpadl = 0xE1E10;
        private uint _nextOpenId = 1;
        private uint _generation;
        private PhysicalRegion _interruptPage;
        private PhysicalRegion _monitorPages;
        private ulong _unexpectedMessages;
        private ulong _rescinds;
        private ulong _lateOffers;
        private ulong _postRetries;

        public VmBusConnection(HvHypervisor hypervisor)
        {
            _hypervisor = hypervisor;
            _platform = hypervisor.Platform;
        }

        public HvHypervisor Hypervisor => _hypervisor;

        /// <summary>The version in force (0 before Connect).</summary>
        public uint Version => _version;

        public int OfferCount => _offerCount;

        /// <summary>Messages that arrived while waiting for something else (ignored).</summary>
        public ulong UnexpectedMessages => _unexpectedMessages;

        /// <summary>Offers that arrived after enumeration (ignored, counted apart).</summary>
        public ulong LateOffers => _lateOffers;

        public ulong Rescinds => _rescinds;

        /// <summary>HvPostMessage calls repeated after a retry status (18, 19, 11).</summary>
        public ulong PostRetries => _postRetries;

        /// <summary>Incremented by every (re)connection: GPADLs and channels of an older generation are gone.</summary>
        public uint Generation => _generation;

        public ref readonly VmBusOffer Offer(int index) => ref _offers[index];

        /// <summary>
        /// Negotiates as iPXE does: offer 3.0 (WIN8_1) and require it to be accepted, because older
        /// hosts cannot take UNLOAD and reconnect; UNLOAD; then connect with the oldest version, 0.13.
        /// </summary>
        public HvStatus Connect()
        {
            if (_interruptPage.IsEmpty)
            {
                if (_platform.AllocatePages(1, out _interruptPage) != PlatformStatus.Success
                    || _platform.AllocatePages(2, out _monitorPages) != PlatformStatus.Success)
                {
                    return HvStatus.NoMemory;
                }
            }

            _version = 0;
            _generation++;
            _offerCount = 0;
            HvStatus status = InitiateContact(VmBusVersion.Required, out bool accepted);
            if (status != HvStatus.Success)
            {
                return status;
            }

            if (!accepted)
            {
                return HvStatus.VersionRefused;
            }

            status = Unload();
            if (status != HvStatus.Success)
            {
                return status;
            }

            status = InitiateContact(VmBusVersion.Operating, out accepted);
            if (status != HvStatus.Success)
            {
                return status;
            }

            if (!accepted)
            {
                return HvStatus.VersionRefused;
            }

            _version = VmBusVersion.Operating;
            return HvStatus.Success;
        }

        private HvStatus InitiateContact(uint version, out bool accepted)
        {
            accepted = false;
            new Span<byte>(_interruptPage.VirtualAddress, (int)PhysicalRegion.PageSize).Clear();
            new Span<byte>(_monitorPages.VirtualAddress, 2 * (int)PhysicalRegion.PageSize).Clear();
            Span<byte> message = Begin(VmBusMessage.InitiateContact, VmBusMessage.ContactSize);
            BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(VmBusMessage.ContactVersion), version);
            BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(VmBusMessage.ContactTargetVcpu), 0);
            BinaryPrimitives.WriteUInt64LittleEndian(message.Slice(VmBusMessage.ContactInterruptPage), _interruptPage.PhysicalAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(message.Slice(VmBusMessage.ContactMonitorPage1), _monitorPages.PhysicalAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(message.Slice(VmBusMessage.ContactMonitorPage2), _monitorPages.PhysicalAddress + PhysicalRegion.PageSize);
            HvStatus status = Post(message);
            if (status != HvStatus.Success)
            {
                return status;
            }

            status = WaitFor(VmBusMessage.VersionResponse, 0, 0, out int length);
            if (status != HvStatus.Success)
            {
                return status;
            }

            if (length <= VmBusMessage.VersionSupported)
            {
                return HvStatus.ProtocolError;
            }

            accepted = _reply[VmBusMessage.VersionSupported] != 0;
            return HvStatus.Success;
        }

        /// <summary>UNLOAD and wait for UNLOAD_RESPONSE: the host forgets our channels and GPADLs.</summary>
        public HvStatus Unload()
        {
            HvStatus status = Post(Begin(VmBusMessage.Unload, VmBusMessage.HeaderSize));
            if (status != HvStatus.Success)
            {
                return status;
            }

            status = WaitFor(VmBusMessage.UnloadResponse, 0, 0, out _, UnloadTimeout100ns);
            if (status == HvStatus.Success)
            {
                _version = 0;
            }

            return status;
        }

        /// <summary>REQUEST_OFFERS, then collect OFFER_CHANNEL messages until ALLOFFERS_DELIVERED.</summary>
        public HvStatus RequestOffers()
        {
            _offerCount = 0;
            HvStatus status = Post(Begin(VmBusMessage.RequestOffers, VmBusMessage.HeaderSize));
            if (status != HvStatus.Success)
            {
                return status;
            }

            while (true)
            {
                status = _hypervisor.WaitMessage(_reply, MessageTimeout100ns, out int length, out uint messageType);
                if (status != HvStatus.Success)
                {
                    return status;
                }

                uint type = length >= 4 && messageType == HvHypervisor.VmBusMessageType ? BinaryPrimitives.ReadUInt32LittleEndian(_reply) : 0;
                if (type == VmBusMessage.AllOffersDelivered)
                {
                    return HvStatus.Success;
                }

                if (type == VmBusMessage.OfferChannel)
                {
                    AddOffer(new ReadOnlySpan<byte>(_reply, 0, length));
                    continue;
                }

                HandleUnsolicited(type, length);
            }
        }

        private void AddOffer(ReadOnlySpan<byte> message)
        {
            if (message.Length < VmBusMessage.OfferMinimumSize)
            {
                _unexpectedMessages++;
                return;
            }

            VmBusOffer offer = default;
            offer.ClassId = VmBusGuid.Read(message.Slice(VmBusMessage.OfferClassId));
            offer.InstanceId = VmBusGuid.Read(message.Slice(VmBusMessage.OfferInstanceId));
            offer.ChannelFlags = BinaryPrimitives.ReadUInt16LittleEndian(message.Slice(VmBusMessage.OfferChannelFlags));
            offer.SubChannelIndex = BinaryPrimitives.ReadUInt16LittleEndian(message.Slice(VmBusMessage.OfferSubChannelIndex));
            offer.RelId = BinaryPrimitives.ReadUInt32LittleEndian(message.Slice(VmBusMessage.OfferChildRelId));
            if (message.Length >= VmBusMessage.OfferFullSize)
            {
                // Win7 protocol and later. Before it the fields do not exist and channels are
                // signalled through the interrupt page and the event connection (docs/hyperv.md §6).
                offer.MonitorId = message[VmBusMessage.OfferMonitorId];
                offer.MonitorAllocated = (message[VmBusMessage.OfferMonitorAllocated] & 1) != 0;
                offer.ConnectionId = BinaryPrimitives.ReadUInt32LittleEndian(message.Slice(VmBusMessage.OfferConnectionId));
            }

            // A repeated offer for a known relid replaces it; the table never grows past its capacity.
            for (int i = 0; i < _offerCount; i++)
            {
                if (_offers[i].RelId == offer.RelId)
                {
                    _offers[i] = offer;
                    return;
                }
            }

            if (_offerCount < MaxOffers)
            {
                _offers[_offerCount++] = offer;
            }
            else
            {
                _unexpectedMessages++;
            }
        }

        /// <summary>Finds an offer by relid; -1 when unknown.</summary>
        public int FindOffer(uint relId)
        {
            for (int i = 0; i < _offerCount; i++)
            {
                if (_offers[i].RelId == relId)
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>Finds a live offer by instance GUID (how devices are matched again after a reclaim).</summary>
        public int FindOffer(VmBusGuid instanceId)
        {
            for (int i = 0; i < _offerCount; i++)
            {
                if (_offers[i].InstanceId == instanceId && !_offers[i].Rescinded)
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>Polls for host messages nobody waits for (a RESCIND between transactions).</summary>
        public void Poll()
        {
            while (_hypervisor.TryReceiveMessage(_reply, out int length, out uint messageType))
            {
                uint type = length >= 4 && messageType == HvHypervisor.VmBusMessageType ? BinaryPrimitives.ReadUInt32LittleEndian(_reply) : 0;
                HandleUnsolicited(type, length);
            }
        }

        private void HandleUnsolicited(uint type, int length)
        {
            if (type == VmBusMessage.RescindChannelOffer && length >= VmBusMessage.RescindRelId + 4)
            {
                int index = FindOffer(BinaryPrimitives.ReadUInt32LittleEndian(_reply.AsSpan(VmBusMessage.RescindRelId)));
                if (index >= 0)
                {
                    _offers[index].Rescinded = true;
                    _rescinds++;
                    return;
                }
            }

            if (type == VmBusMessage.OfferChannel)
            {
                _lateOffers++;
            }

            _unexpectedMessages++;
        }

        // Starts a message in the shared buffer: type, zero padding, zeroed body.
        private Span<byte> Begin(uint type, int length)
        {
            Span<byte> message = new Span<byte>(_message, 0, length);
            message.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(message, type);
            return message;
        }

        /// <summary>
        /// HvPostMessage with Linux's patience (vmbus_post_msg; docs/hyperv.md §3): a host that is
        /// momentarily out of message buffers (19, 11) or not yet ready for the connection (18) is
        /// asked again up to <see cref="PostAttempts"/> times, after 1 µs, then twice as long each
        /// time up to about 2 s between attempts. 18 answering INITIATE_CONTACT means the connection
        /// id does not fit that version, which no retry changes.
        /// </summary>
        private HvStatus Post(ReadOnlySpan<byte> message)
        {
            bool contact = BinaryPrimitives.ReadUInt32LittleEndian(message) == VmBusMessage.InitiateContact;
            ulong delay = FirstPostDelay100ns;
            HvStatus status = HvStatus.InsufficientBuffers;
            for (int attempt = 0; attempt < PostAttempts; attempt++)
            {
                status = _hypervisor.PostMessage(MessageConnectionId, HvHypervisor.VmBusMessageType, message);
                bool retry = status == HvStatus.InsufficientBuffers || status == HvStatus.InsufficientMemory
                    || (status == HvStatus.InvalidConnectionId && !contact);
                if (!retry)
                {
                    return status;
                }

                _postRetries++;
                _hypervisor.Stall(delay);
                if (delay < MaxPostDelay100ns)
                {
                    delay *= 2;
                }
            }

            return status;
        }

        /// <summary>
        /// Waits for a message of <paramref name="type"/> whose u32 at <paramref name="matchOffset"/>
        /// equals <paramref name="matchValue"/> (offset 0: any). The reply is left in _reply.
        /// </summary>
        private HvStatus WaitFor(uint type, int matchOffset, uint matchValue, out int length, ulong timeout100ns = MessageTimeout100ns)
        {
            ulong start = _hypervisor.ReferenceTime;
            while (true)
            {
                ulong elapsed = _hypervisor.ReferenceTime - start;
                if (elapsed >= timeout100ns)
                {
                    length = 0;
                    return HvStatus.Timeout;
                }

                HvStatus status = _hypervisor.WaitMessage(_reply, timeout100ns - elapsed, out length, out uint messageType);
                if (status != HvStatus.Success)
                {
                    return status;
                }

                uint received = length >= 4 && messageType == HvHypervisor.VmBusMessageType ? BinaryPrimitives.ReadUInt32LittleEndian(_reply) : 0;
                if (received == type && (matchOffset == 0
                    || (length >= matchOffset + 4 && BinaryPrimitives.ReadUInt32LittleEndian(_reply.AsSpan(matchOffset)) == matchValue)))
                {
                    return HvStatus.Success;
                }

                HandleUnsolicited(received, length);
            }
        }
    }
}
