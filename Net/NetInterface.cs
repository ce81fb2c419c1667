// One configured network interface over a NetDevice: Ethernet II, ARP (RFC 826: cache, request
// retry, gratuitous announcement on configure), IPv4 (RFC 791: header checksum, TTL, routing to
// on-link hosts or the gateway, fragments counted and dropped), ICMP echo (RFC 792) and UDP
// (RFC 768) dispatch by port. Poll-driven and allocation-free: frames are built in one transmit
// buffer and received frames are parsed in place. One packet may wait for an ARP answer.
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.Net;

namespace Bootstage.Net
{
    public sealed partial class NetInterface : IFrameSink
    {
        public const int MaxUdpBindings = 8;
        public const ushort ArpRetryMs = 1000;
        public const int ArpAttempts = 3;
        private const byte DefaultTtl = 64;

        private readonly NetDevice _device;
        private readonly INetClock _clock;
        private readonly ArpCache _arp = new ArpCache();
        private readonly byte[] _transmit = new byte[1514];
        private readonly byte[] _pending = new byte[1514];
        private readonly ushort[] _udpPorts = new ushort[MaxUdpBindings];
        private readonly IUdpReceiver?[] _udpReceivers = new IUdpReceiver?[MaxUdpBindings];
        private int _pendingLength;
        private Ipv4Address _pendingNextHop;
        private ulong _arpLastSent;
        private int _arpAttempts;
        private ushort _ipIdentification = 1;

        public NetInterface(NetDevice device, INetClock clock)
        {
            _device = device;
            _clock = clock;
        }

        public NetDevice Device => _device;

        public INetClock Clock => _clock;

        public Ipv4Address Address { get; private set; }

        public Ipv4Address Netmask { get; private set; }

        public Ipv4Address Gateway { get; private set; }

        public Ipv4Address Dns { get; private set; }

        public bool IsConfigured => !Address.IsZero;

        public NetCounters Counters;

        /// <summary>Static or DHCP configuration; announces the address with a gratuitous ARP.</summary>
        public void Configure(Ipv4Address address, Ipv4Address netmask, Ipv4Address gateway, Ipv4Address dns)
        {
            Address = address;
            Netmask = netmask;
            Gateway = gateway;
            Dns = dns;
            if (!address.IsZero)
            {
                SendArp(ArpRequest, default, address, address);
            }
        }

        /// <summary>Runs the device and the interface timers; returns frames processed.</summary>
        public int Poll(int budget = 64)
        {
            int frames = _device.Poll(this, budget);
            ulong now = _clock.Milliseconds;
            if (_pendingLength != 0)
            {
                if (_arp.TryGet(_pendingNextHop, now, out MacAddress mac))
                {
                    FlushPending(mac);
                }
                else if (now - _arpLastSent >= ArpRetryMs)
                {
                    if (_arpAttempts >= ArpAttempts)
                    {
                        _pendingLength = 0;
                        Counters.ArpFailures++;
                    }
                    else
                    {
                        RequestArp(_pendingNextHop);
                    }
                }
            }

            return frames;
        }

        public bool BindUdp(ushort port, IUdpReceiver receiver)
        {
            for (int i = 0; i < MaxUdpBindings; i++)
            {
                if (_udpReceivers[i] == null || _udpPorts[i] == port)
                {
                    _udpPorts[i] = port;
                    _udpReceivers[i] = receiver;
                    return true;
                }
            }

            return false;
        }

        public void UnbindUdp(ushort port)
        {
            for (int i = 0; i < MaxUdpBindings; i++)
            {
                if (_udpPorts[i] == port)
                {
                    _udpReceivers[i] = null;
                    _udpPorts[i] = 0;
                }
            }
        }

        /// <summary>
        /// Sends a UDP datagram. Broadcast goes out at once; unicast needs the next hop's MAC: when
        /// unknown, the datagram waits (one at a time) while ARP resolves it.
        /// </summary>
        public NetStatus SendUdp(Ipv4Address destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload)
        {
            int udpLength = 8 + payload.Length;
            Span<byte> frame = BeginIpv4(IpProtocolUdp, destination, udpLength, out int ipOffset);
            if (frame.IsEmpty)
            {
                return NetStatus.TooLong;
            }

            Span<byte> udp = frame.Slice(ipOffset + 20, udpLength);
            BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(2), destinationPort);
            BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(4), (ushort)udpLength);
            BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(6), 0);
            payload.CopyTo(udp.Slice(8));
            ushort checksum = TransportChecksum(frame.Slice(ipOffset), IpProtocolUdp, udp);
            BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(6), checksum == 0 ? (ushort)0xFFFF : checksum);
            return SendIpv4(frame, destination);
        }

        public void Receive(NetDevice device, ReadOnlySpan<byte> frame)
        {
            Counters.FramesReceived++;
            if (frame.Length < EtherType.HeaderSize)
            {
                Counters.Malformed++;
                return;
            }

            ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(EtherType.TypeOffset));
            ReadOnlySpan<byte> payload = frame.Slice(EtherType.HeaderSize);
            if (type == EtherType.Arp)
            {
                ReceiveArp(payload);
            }
            else if (type == EtherType.Ipv4)
            {
                ReceiveIpv4(payload);
            }
            else
            {
                Counters.UnknownEtherType++;
            }
        }

        private Ipv4Address NextHop(Ipv4Address destination)
        {
            if (destination == Ipv4Address.Broadcast || Netmask.IsZero || destination.SameSubnet(Address, Netmask) || Gateway.IsZero)
            {
                return destination;
            }

            return Gateway;
        }

        private Span<byte> EthernetHeader(MacAddress destination, ushort type)
        {
            Span<byte> frame = _transmit;
            destination.Write(frame.Slice(EtherType.DestinationOffset));
            _device.Mac.Write(frame.Slice(EtherType.SourceOffset));
            BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(EtherType.TypeOffset), type);
            return frame;
        }

        // Sends length bytes of one of the interface's frame buffers, zero-padded to the 60-byte minimum.
        private NetStatus Transmit(byte[] buffer, int length)
        {
            if (length < EtherType.MinimumFrame)
            {
                new Span<byte>(buffer, length, EtherType.MinimumFrame - length).Clear();
                length = EtherType.MinimumFrame;
            }

            NetStatus status = _device.Transmit(new ReadOnlySpan<byte>(buffer, 0, length));
            if (status == NetStatus.Success)
            {
                Counters.FramesSent++;
            }
            else
            {
                Counters.SendFailures++;
            }

            return status;
        }
    }

    public struct NetCounters
    {
        public ulong FramesReceived;
        public ulong FramesSent;
        public ulong SendFailures;
        public ulong Malformed;
        public ulong UnknownEtherType;
        public ulong ArpRequestsSent;
        public ulong ArpRepliesSent;
        public ulong ArpFailures;
        public ulong Ipv4Received;
        public ulong Ipv4NotForUs;
        public ulong ChecksumErrors;
        public ulong FragmentsDropped;
        public ulong UdpReceived;
        public ulong UdpNoListener;
        public ulong IcmpEchoReplies;
        public ulong IcmpEchoRequestsSent;
        public ulong IcmpEchoRepliesReceived;
        public ulong UnknownProtocol;
        public ulong TcpNoConnection;
    }
}
