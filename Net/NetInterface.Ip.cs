// IPv4, ICMP and UDP of NetInterface (RFC 791, 792, 768; checksums per RFC 1071).
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.Net;

namespace Bootstage.Net
{
    public sealed partial class NetInterface
    {
        public const byte IpProtocolIcmp = 1;
        public const byte IpProtocolTcp = 6;
        public const byte IpProtocolUdp = 17;

        public Ipv4Address LastEchoReplyFrom { get; private set; }

        public ushort LastEchoReplyIdentifier { get; private set; }

        public ushort LastEchoReplySequence { get; private set; }

        /// <summary>ICMP echo request (ping); replies show in the LastEchoReply* properties and counters.</summary>
        public NetStatus SendEchoRequest(Ipv4Address destination, ushort identifier, ushort sequence, ReadOnlySpan<byte> data)
        {
            Span<byte> frame = BeginIpv4(IpProtocolIcmp, destination, 8 + data.Length, out int ipOffset);
            if (frame.IsEmpty)
            {
                return NetStatus.TooLong;
            }

            Span<byte> icmp = frame.Slice(ipOffset + 20);
            icmp.Slice(0, 8).Clear();
            icmp[0] = 8;
            BinaryPrimitives.WriteUInt16BigEndian(icmp.Slice(4), identifier);
            BinaryPrimitives.WriteUInt16BigEndian(icmp.Slice(6), sequence);
            data.CopyTo(icmp.Slice(8));
            BinaryPrimitives.WriteUInt16BigEndian(icmp.Slice(2), InternetChecksum.Compute(icmp));
            Counters.IcmpEchoRequestsSent++;
            return SendIpv4(frame, destination);
        }

        // Builds Ethernet (destination filled in at send) + IPv4 headers in the transmit buffer.
        private Span<byte> BeginIpv4(byte protocol, Ipv4Address destination, int payloadLength, out int ipOffset)
        {
            ipOffset = EtherType.HeaderSize;
            int total = 20 + payloadLength;
            if (ipOffset + total > _transmit.Length)
            {
                return default;
            }

            Span<byte> frame = new Span<byte>(_transmit, 0, ipOffset + total);
            _device.Mac.Write(frame.Slice(EtherType.SourceOffset));
            BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(EtherType.TypeOffset), EtherType.Ipv4);
            Span<byte> ip = frame.Slice(ipOffset, 20);
            ip[0] = 0x45;
            ip[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), (ushort)total);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), _ipIdentification++);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(6), 0x4000); // don't fragment
            ip[8] = DefaultTtl;
            ip[9] = protocol;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(10), 0);
            Address.Write(ip.Slice(12));
            destination.Write(ip.Slice(16));
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(10), InternetChecksum.Compute(ip));
            return frame;
        }

        // Fills in the destination MAC and sends, or parks the frame while ARP resolves the next hop.
        private NetStatus SendIpv4(Span<byte> frame, Ipv4Address destination)
        {
            if (destination == Ipv4Address.Broadcast)
            {
                MacAddress.Read(BroadcastMac).Write(frame);
                return Transmit(_transmit, frame.Length);
            }

            Ipv4Address nextHop = NextHop(destination);
            ulong now = _clock.Milliseconds;
            if (_arp.TryGet(nextHop, now, out MacAddress mac))
            {
                mac.Write(frame);
                return Transmit(_transmit, frame.Length);
            }

            if (_pendingLength != 0)
            {
                return NetStatus.Busy;
            }

            frame.CopyTo(_pending);
            _pendingLength = frame.Length;
            _pendingNextHop = nextHop;
            _arpAttempts = 0;
            RequestArp(nextHop);
            return NetStatus.Success;
        }

        private void FlushPending(MacAddress mac)
        {
            mac.Write(_pending);
            int length = _pendingLength;
            _pendingLength = 0;
            Transmit(_pending, length);
        }

        // The pseudo-header checksum of a UDP or TCP segment (RFC 768 / RFC 9293).
        private static ushort TransportChecksum(ReadOnlySpan<byte> ip, byte protocol, ReadOnlySpan<byte> segment)
        {
            InternetChecksum checksum = default;
            checksum.Add(ip.Slice(12, 8));
            checksum.AddWord(protocol);
            checksum.AddWord((ushort)segment.Length);
            checksum.Add(segment);
            return checksum.Complete();
        }

        private void ReceiveIpv4(ReadOnlySpan<byte> packet)
        {
            Counters.Ipv4Received++;
            if (packet.Length < 20 || (packet[0] >> 4) != 4)
            {
                Counters.Malformed++;
                return;
            }

            int headerLength = (packet[0] & 0x0F) * 4;
            int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(2));
            if (headerLength < 20 || totalLength < headerLength || totalLength > packet.Length)
            {
                Counters.Malformed++;
                return;
            }

            ReadOnlySpan<byte> ip = packet.Slice(0, totalLength);
            if (InternetChecksum.Compute(ip.Slice(0, headerLength)) != 0)
            {
                Counters.ChecksumErrors++;
                return;
            }

            ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(6));
            if ((fragment & 0x3FFF) != 0)
            {
                // More-fragments set or a non-zero offset: no reassembly yet, drop cleanly.
                Counters.FragmentsDropped++;
                return;
            }

            Ipv4Address destination = Ipv4Address.Read(ip.Slice(16));
            bool forUs = destination == Address || destination == Ipv4Address.Broadcast
                || (!Netmask.IsZero && (destination.Value | Netmask.Value) == 0xFFFFFFFF)
                || !IsConfigured;
            if (!forUs)
            {
                Counters.Ipv4NotForUs++;
                return;
            }

            Ipv4Address source = Ipv4Address.Read(ip.Slice(12));
            ReadOnlySpan<byte> payload = ip.Slice(headerLength);
            switch (ip[9])
            {
                case IpProtocolUdp:
                    ReceiveUdp(ip, source, payload);
                    break;
                case IpProtocolIcmp:
                    ReceiveIcmp(source, destination, payload);
                    break;
                case IpProtocolTcp:
                    ReceiveTcp(ip, source, payload);
                    break;
                default:
                    Counters.UnknownProtocol++;
                    break;
            }
        }

        private void ReceiveUdp(ReadOnlySpan<byte> ip, Ipv4Address source, ReadOnlySpan<byte> udp)
        {
            if (udp.Length < 8)
            {
                Counters.Malformed++;
                return;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(4));
            if (length < 8 || length > udp.Length)
            {
                Counters.Malformed++;
                return;
            }

            udp = udp.Slice(0, length);
            if (BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(6)) != 0 && TransportChecksum(ip, IpProtocolUdp, udp) != 0)
            {
                Counters.ChecksumErrors++;
                return;
            }

            Counters.UdpReceived++;
            ushort sourcePort = BinaryPrimitives.ReadUInt16BigEndian(udp);
            ushort destinationPort = BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(2));
            for (int i = 0; i < MaxUdpBindings; i++)
            {
                IUdpReceiver? receiver = _udpReceivers[i];
                if (receiver != null && _udpPorts[i] == destinationPort)
                {
                    receiver.Receive(this, source, sourcePort, destinationPort, udp.Slice(8));
                    return;
                }
            }

            Counters.UdpNoListener++;
        }

        // Echo request → echo reply with the same identifier, sequence and data.
        private void ReceiveIcmp(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> icmp)
        {
            if (icmp.Length < 8 || InternetChecksum.Compute(icmp) != 0)
            {
                Counters.ChecksumErrors++;
                return;
            }

            if (icmp[0] == 0)
            {
                // Echo reply to our request (ping): remember which one.
                Counters.IcmpEchoRepliesReceived++;
                LastEchoReplyFrom = source;
                LastEchoReplyIdentifier = BinaryPrimitives.ReadUInt16BigEndian(icmp.Slice(4));
                LastEchoReplySequence = BinaryPrimitives.ReadUInt16BigEndian(icmp.Slice(6));
                return;
            }

            if (icmp[0] != 8 || destination != Address || !IsConfigured)
            {
                return;
            }

            Span<byte> frame = BeginIpv4(IpProtocolIcmp, source, icmp.Length, out int ipOffset);
            if (frame.IsEmpty)
            {
                return;
            }

            Span<byte> reply = frame.Slice(ipOffset + 20);
            icmp.CopyTo(reply);
            reply[0] = 0;
            reply[2] = 0;
            reply[3] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(reply.Slice(2), InternetChecksum.Compute(reply));
            if (SendIpv4(frame, source) == NetStatus.Success)
            {
                Counters.IcmpEchoReplies++;
            }
        }
    }
}
