// DHCP client (RFC 2131 message flow, RFC 2132 options, RFC 4578 PXE vendor class): DISCOVER,
// OFFER, REQUEST, ACK with retransmission and exponential backoff (1 s doubling to 8 s, five
// tries per phase). The first OFFER that carries what a SAN boot needs is taken at once; only an
// offer that looks like plain PXE (vendor class "PXEClient" without root path or boot file) waits
// a moment for a ProxyDHCP answer, instead of iPXE's fixed multi-second wait. Poll-driven and
// allocation-free after construction.
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.Net;

namespace Bootstage.Net.Dhcp
{
    public enum DhcpState
    {
        Idle = 0,
        Selecting = 1,
        Requesting = 2,
        Bound = 3,
        Failed = 4,
    }

    /// <summary>What became of a DHCP ACK handed over by a PXE ROM (AdoptCachedAck).</summary>
    public enum DhcpCachedStatus
    {
        Adopted = 0,

        /// <summary>Not a BOOTREPLY with the DHCP magic cookie, or its options do not parse.</summary>
        Malformed,

        /// <summary>Its client hardware address is another NIC's (the ROM booted from a different one).</summary>
        OtherNic,

        /// <summary>A reply, but not a DHCPACK with an address.</summary>
        NotAck,
    }

    public sealed class DhcpClient : IUdpReceiver
    {
        public const ushort ClientPort = 68;
        public const ushort ServerPort = 67;
        public const int MaxAttempts = 5;
        public const ulong ProxyWaitMs = 1000;

        private const byte MessageDiscover = 1;
        private const byte MessageOffer = 2;
        private const byte MessageRequest = 3;
        private const byte MessageAck = 5;
        private const byte MessageNak = 6;
        private const int OptionsOffset = 240;
        private const uint MagicCookie = 0x63825363;

        private static ReadOnlySpan<byte> VendorClass => "PXEClient:Arch:00000:UNDI:002001"u8;

        private static ReadOnlySpan<byte> RequestedOptions => new byte[] { 1, 3, 6, 12, 15, 17, 26, 43, 60, 66, 67, 175, 203 };

        private readonly NetInterface _interface;
        private readonly byte[] _message = new byte[576];
        private readonly DhcpLease _lease = new DhcpLease();
        private readonly DhcpLease _offer = new DhcpLease();
        private uint _transactionId;
        private ulong _lastSent;
        private ulong _timeout;
        private ulong _offerSeenAt;
        private int _attempts;
        private bool _haveOffer;

        public DhcpClient(NetInterface networkInterface, uint transactionSeed)
        {
            _interface = networkInterface;
            _transactionId = transactionSeed;
        }

        public DhcpState State { get; private set; }

        public DhcpLease Lease => _lease;

        public ulong OffersSeen { get; private set; }

        public ulong DiscoversSent { get; private set; }

        public ulong RequestsSent { get; private set; }

        public ulong Naks { get; private set; }

        public ulong Malformed { get; private set; }

        public bool IsDone => State == DhcpState.Bound || State == DhcpState.Failed;

        public void Start()
        {
            _interface.BindUdp(ClientPort, this);
            _transactionId = _transactionId * 1103515245 + 12345;
            _haveOffer = false;
            State = DhcpState.Selecting;
            _attempts = 0;
            _timeout = 1000;
            SendDiscover();
        }

        /// <summary>
        /// Takes the DHCPACK a PXE ROM received for this very NIC (PXENV_GET_CACHED_INFO, PXE 2.1
        /// §3.2.2) instead of asking the server again, as iPXE does when it is chained from PXE:
        /// a BOOTREPLY (RFC 2131 §2) with the magic cookie, chaddr equal to this interface's MAC
        /// and message type ACK. Anything else is refused and the caller runs DHCP as usual.
        /// </summary>
        public DhcpCachedStatus AdoptCachedAck(ReadOnlySpan<byte> packet)
        {
            if (packet.Length < OptionsOffset || packet[0] != 2 || packet[1] != 1 || packet[2] != 6
                || BinaryPrimitives.ReadUInt32BigEndian(packet.Slice(236)) != MagicCookie)
            {
                Malformed++;
                return DhcpCachedStatus.Malformed;
            }

            Span<byte> mac = stackalloc byte[MacAddress.Size];
            _interface.Device.Mac.Write(mac);
            if (!packet.Slice(28, MacAddress.Size).SequenceEqual(mac))
            {
                return DhcpCachedStatus.OtherNic;
            }

            if (MessageType(packet) != MessageAck)
            {
                return DhcpCachedStatus.NotAck;
            }

            if (!Parse(packet, _lease))
            {
                return DhcpCachedStatus.Malformed;
            }

            State = DhcpState.Bound;
            _interface.Configure(_lease.Address, _lease.Netmask, _lease.Router, _lease.Dns);
            return DhcpCachedStatus.Adopted;
        }

        /// <summary>Retransmits and decides on waiting offers; call after the interface's Poll.</summary>
        public void Poll()
        {
            ulong now = _interface.Clock.Milliseconds;
            if (State == DhcpState.Selecting && _haveOffer && now - _offerSeenAt >= ProxyWaitMs)
            {
                AcceptOffer();
                return;
            }

            if ((State != DhcpState.Selecting && State != DhcpState.Requesting) || now - _lastSent < _timeout)
            {
                return;
            }

            if (_attempts >= MaxAttempts)
            {
                State = DhcpState.Failed;
                _interface.UnbindUdp(ClientPort);
                return;
            }

            _timeout = _timeout < 8000 ? _timeout * 2 : 8000;
            if (State == DhcpState.Selecting)
            {
                SendDiscover();
            }
            else
            {
                SendRequest();
            }
        }

        private void SendDiscover()
        {
            Span<byte> options = BeginMessage(MessageDiscover);
            int length = EndOptions(options, 0);
            Send(length);
            DiscoversSent++;
        }

        private void SendRequest()
        {
            Span<byte> options = BeginMessage(MessageRequest);
            int position = 0;
            options[position++] = 50;
            options[position++] = 4;
            _offer.Address.Write(options.Slice(position));
            position += 4;
            options[position++] = 54;
            options[position++] = 4;
            _offer.Server.Write(options.Slice(position));
            position += 4;
            int length = EndOptions(options, position);
            Send(length);
            RequestsSent++;
        }

        // BOOTP header (RFC 951 layout), cookie and message type; returns the span after them.
        private Span<byte> BeginMessage(byte type)
        {
            Span<byte> message = _message;
            message.Clear();
            message[0] = 1;
            message[1] = 1;
            message[2] = MacAddress.Size;
            BinaryPrimitives.WriteUInt32BigEndian(message.Slice(4), _transactionId);
            BinaryPrimitives.WriteUInt16BigEndian(message.Slice(10), 0x8000); // ask for broadcast replies: we have no address yet
            _interface.Device.Mac.Write(message.Slice(28));
            BinaryPrimitives.WriteUInt32BigEndian(message.Slice(236), MagicCookie);
            message[OptionsOffset] = 53;
            message[OptionsOffset + 1] = 1;
            message[OptionsOffset + 2] = type;
            return message.Slice(OptionsOffset + 3);
        }

        // Parameter request list, vendor class, end; returns the whole message length.
        private int EndOptions(Span<byte> options, int position)
        {
            options[position++] = 55;
            options[position++] = (byte)RequestedOptions.Length;
            RequestedOptions.CopyTo(options.Slice(position));
            position += RequestedOptions.Length;
            options[position++] = 60;
            options[position++] = (byte)VendorClass.Length;
            VendorClass.CopyTo(options.Slice(position));
            position += VendorClass.Length;
            options[position++] = 255;
            int length = OptionsOffset + 3 + position;
            return length < 300 ? 300 : length; // BOOTP minimum message size
        }

        private void Send(int length)
        {
            _lastSent = _interface.Clock.Milliseconds;
            _attempts++;
            _interface.SendUdp(Ipv4Address.Broadcast, ClientPort, ServerPort, new ReadOnlySpan<byte>(_message, 0, length));
        }

        public void Receive(NetInterface source, Ipv4Address from, ushort fromPort, ushort toPort, ReadOnlySpan<byte> payload)
        {
            if (payload.Length < OptionsOffset + 4 || payload[0] != 2 || BinaryPrimitives.ReadUInt32BigEndian(payload.Slice(4)) != _transactionId
                || BinaryPrimitives.ReadUInt32BigEndian(payload.Slice(236)) != MagicCookie
                || MacAddress.Read(payload.Slice(28)) != _interface.Device.Mac)
            {
                Malformed++;
                return;
            }

            byte type = MessageType(payload);
            if (type == MessageOffer && State == DhcpState.Selecting)
            {
                OffersSeen++;
                if (_haveOffer && !_offer.RootPath.IsEmpty)
                {
                    return;
                }

                if (!Parse(payload, _offer))
                {
                    return;
                }

                _haveOffer = true;
                _offerSeenAt = _interface.Clock.Milliseconds;
                if (!LooksLikePlainPxe(_offer))
                {
                    AcceptOffer();
                }
            }
            else if (type == MessageAck && State == DhcpState.Requesting)
            {
                if (!Parse(payload, _lease))
                {
                    return;
                }

                State = DhcpState.Bound;
                _interface.Configure(_lease.Address, _lease.Netmask, _lease.Router, _lease.Dns);
            }
            else if (type == MessageNak && State == DhcpState.Requesting)
            {
                Naks++;
                Start();
            }
        }

        private void AcceptOffer()
        {
            State = DhcpState.Requesting;
            _attempts = 0;
            _timeout = 1000;
            SendRequest();
        }

        // An offer from a PXE-only setup may be followed by a ProxyDHCP offer that carries the boot details.
        private static bool LooksLikePlainPxe(DhcpLease offer)
        {
            return offer.VendorClass.StartsWith("PXEClient"u8) && offer.RootPath.IsEmpty && offer.BootFile.IsEmpty;
        }

        private static byte MessageType(ReadOnlySpan<byte> payload)
        {
            DhcpOptionReader options = new DhcpOptionReader(payload.Slice(OptionsOffset));
            while (options.Next(out byte code, out ReadOnlySpan<byte> data))
            {
                if (code == 53 && data.Length == 1)
                {
                    return data[0];
                }
            }

            return 0;
        }

        // yiaddr and siaddr, then every option; a truncated option list marks the message malformed.
        private bool Parse(ReadOnlySpan<byte> payload, DhcpLease lease)
        {
            lease.Clear();
            lease.Address = Ipv4Address.Read(payload.Slice(16));
            lease.Server = Ipv4Address.Read(payload.Slice(20));
            DhcpOptionReader options = new DhcpOptionReader(payload.Slice(OptionsOffset));
            while (options.Next(out byte code, out ReadOnlySpan<byte> data))
            {
                if (!lease.Apply(code, data))
                {
                    Malformed++;
                    return false;
                }
            }

            if (options.Truncated)
            {
                Malformed++;
                return false;
            }

            return !lease.Address.IsZero;
        }
    }
}
