// ARP of NetInterface (RFC 826 for Ethernet and IPv4; RFC 5227 gratuitous announcement).
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.Net;

namespace Bootstage.Net
{
    public sealed partial class NetInterface
    {
        private const ushort ArpRequest = 1;
        private const ushort ArpReply = 2;
        private const int ArpSize = 28;

        private static ReadOnlySpan<byte> BroadcastMac => new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

        private void RequestArp(Ipv4Address target)
        {
            _arpLastSent = _clock.Milliseconds;
            _arpAttempts++;
            SendArp(ArpRequest, default, target, Address);
        }

        private void SendArp(ushort operation, MacAddress targetMac, Ipv4Address targetIp, Ipv4Address senderIp)
        {
            MacAddress destination = operation == ArpRequest ? MacAddress.Read(BroadcastMac) : targetMac;
            Span<byte> frame = EthernetHeader(destination, EtherType.Arp);
            Span<byte> arp = frame.Slice(EtherType.HeaderSize, ArpSize);
            BinaryPrimitives.WriteUInt16BigEndian(arp, 1);                  // Ethernet
            BinaryPrimitives.WriteUInt16BigEndian(arp.Slice(2), EtherType.Ipv4);
            arp[4] = MacAddress.Size;
            arp[5] = Ipv4Address.Size;
            BinaryPrimitives.WriteUInt16BigEndian(arp.Slice(6), operation);
            _device.Mac.Write(arp.Slice(8));
            senderIp.Write(arp.Slice(14));
            targetMac.Write(arp.Slice(18));
            targetIp.Write(arp.Slice(24));
            if (Transmit(_transmit, EtherType.HeaderSize + ArpSize) == NetStatus.Success)
            {
                if (operation == ArpRequest)
                {
                    Counters.ArpRequestsSent++;
                }
                else
                {
                    Counters.ArpRepliesSent++;
                }
            }
        }

        private void ReceiveArp(ReadOnlySpan<byte> arp)
        {
            if (arp.Length < ArpSize || BinaryPrimitives.ReadUInt16BigEndian(arp) != 1
                || BinaryPrimitives.ReadUInt16BigEndian(arp.Slice(2)) != EtherType.Ipv4 || arp[4] != MacAddress.Size || arp[5] != Ipv4Address.Size)
            {
                Counters.Malformed++;
                return;
            }

            ushort operation = BinaryPrimitives.ReadUInt16BigEndian(arp.Slice(6));
            MacAddress senderMac = MacAddress.Read(arp.Slice(8));
            Ipv4Address senderIp = Ipv4Address.Read(arp.Slice(14));
            Ipv4Address targetIp = Ipv4Address.Read(arp.Slice(24));
            ulong now = _clock.Milliseconds;

            // Learn from replies, and from requests aimed at us (the asker will talk to us next).
            if (operation == ArpReply || (IsConfigured && targetIp == Address) || _arp.Contains(senderIp, now))
            {
                _arp.Update(senderIp, senderMac, now);
            }

            if (operation == ArpRequest && IsConfigured && targetIp == Address)
            {
                SendArp(ArpReply, senderMac, senderIp, Address);
            }
        }
    }
}
