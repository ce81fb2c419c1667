// Minimal hand-built frames for the slirp tests (no network stack exists yet): Ethernet II, ARP
// (RFC 826), IPv4 (RFC 791), UDP (RFC 768), TCP (RFC 793, the header only), DHCP (RFC 2131/2132) and
// the Internet checksum (RFC 1071), built and parsed with plain .NET.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Net;

namespace Bootstage.Net.Slirp.Tests
{
    internal static class EtherTypes
    {
        public const ushort Ipv4 = 0x0800;
        public const ushort Arp = 0x0806;
        public const ushort Ipv6 = 0x86DD;
    }

    internal static class IpProtocols
    {
        public const byte Tcp = 6;
        public const byte Udp = 17;
    }

    [Flags]
    internal enum TcpFlags : byte
    {
        None = 0,
        Fin = 0x01,
        Syn = 0x02,
        Rst = 0x04,
        Psh = 0x08,
        Ack = 0x10,
    }

    internal static class Packets
    {
        public static readonly byte[] Broadcast = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

        public static byte[] Ip(string text) => IPAddress.Parse(text).GetAddressBytes();

        /// <summary>RFC 1071 one's-complement sum folded to 16 bits and complemented.</summary>
        public static ushort Checksum(ReadOnlySpan<byte> data, uint sum = 0)
        {
            int i = 0;
            for (; i + 1 < data.Length; i += 2)
            {
                sum += (uint)(data[i] << 8 | data[i + 1]);
            }

            if (i < data.Length)
            {
                sum += (uint)(data[i] << 8);
            }

            while (sum > 0xFFFF)
            {
                sum = (sum & 0xFFFF) + (sum >> 16);
            }

            return (ushort)~sum;
        }

        private static uint PseudoHeaderSum(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int length)
        {
            uint sum = 0;
            sum += (uint)(source[0] << 8 | source[1]) + (uint)(source[2] << 8 | source[3]);
            sum += (uint)(destination[0] << 8 | destination[1]) + (uint)(destination[2] << 8 | destination[3]);
            sum += protocol;
            sum += (uint)length;
            return sum;
        }

        public static byte[] Ethernet(ReadOnlySpan<byte> destination, ReadOnlySpan<byte> source, ushort etherType, ReadOnlySpan<byte> payload)
        {
            byte[] frame = new byte[14 + payload.Length];
            destination.CopyTo(frame);
            source.CopyTo(frame.AsSpan(6));
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), etherType);
            payload.CopyTo(frame.AsSpan(14));
            return frame;
        }

        public static byte[] ArpRequest(ReadOnlySpan<byte> senderMac, ReadOnlySpan<byte> senderIp, ReadOnlySpan<byte> targetIp) =>
            Ethernet(Broadcast, senderMac, EtherTypes.Arp, Arp(1, senderMac, senderIp, new byte[6], targetIp));

        public static byte[] ArpReply(ReadOnlySpan<byte> senderMac, ReadOnlySpan<byte> senderIp, ReadOnlySpan<byte> targetMac, ReadOnlySpan<byte> targetIp) =>
            Ethernet(targetMac, senderMac, EtherTypes.Arp, Arp(2, senderMac, senderIp, targetMac, targetIp));

        private static byte[] Arp(ushort operation, ReadOnlySpan<byte> senderMac, ReadOnlySpan<byte> senderIp, ReadOnlySpan<byte> targetMac, ReadOnlySpan<byte> targetIp)
        {
            byte[] arp = new byte[28];
            BinaryPrimitives.WriteUInt16BigEndian(arp, 1);                 // hardware: Ethernet
            BinaryPrimitives.WriteUInt16BigEndian(arp.AsSpan(2), EtherTypes.Ipv4);
            arp[4] = 6;
            arp[5] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(arp.AsSpan(6), operation);
            senderMac.CopyTo(arp.AsSpan(8));
            senderIp.CopyTo(arp.AsSpan(14));
            targetMac.CopyTo(arp.AsSpan(18));
            targetIp.CopyTo(arp.AsSpan(24));
            return arp;
        }

        public static byte[] Ipv4(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, ReadOnlySpan<byte> payload, ushort id = 1)
        {
            byte[] packet = new byte[20 + payload.Length];
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), id);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), 0x4000); // don't fragment
            packet[8] = 64;
            packet[9] = protocol;
            source.CopyTo(packet.AsSpan(12));
            destination.CopyTo(packet.AsSpan(16));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum(packet.AsSpan(0, 20)));
            payload.CopyTo(packet.AsSpan(20));
            return packet;
        }

        public static byte[] Udp(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload)
        {
            byte[] datagram = new byte[8 + payload.Length];
            BinaryPrimitives.WriteUInt16BigEndian(datagram, sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), destinationPort);
            BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), (ushort)datagram.Length);
            payload.CopyTo(datagram.AsSpan(8));
            ushort sum = Checksum(datagram, PseudoHeaderSum(source, destination, IpProtocols.Udp, datagram.Length));
            BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(6), sum == 0 ? (ushort)0xFFFF : sum);
            return Ipv4(source, destination, IpProtocols.Udp, datagram);
        }

        public static byte[] Tcp(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ushort sourcePort, ushort destinationPort,
            uint sequence, uint acknowledgment, TcpFlags flags, ReadOnlySpan<byte> payload, ushort window = 65535, ushort mss = 0)
        {
            int optionLength = mss != 0 ? 4 : 0;
            byte[] segment = new byte[20 + optionLength + payload.Length];
            BinaryPrimitives.WriteUInt16BigEndian(segment, sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), destinationPort);
            BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(4), sequence);
            BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(8), acknowledgment);
            segment[12] = (byte)((20 + optionLength) / 4 << 4);
            segment[13] = (byte)flags;
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(14), window);
            if (mss != 0)
            {
                segment[20] = 2;
                segment[21] = 4;
                BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(22), mss);
            }

            payload.CopyTo(segment.AsSpan(20 + optionLength));
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(16), Checksum(segment, PseudoHeaderSum(source, destination, IpProtocols.Tcp, segment.Length)));
            return Ipv4(source, destination, IpProtocols.Tcp, segment);
        }

        /// <summary>A BOOTREQUEST with the DHCP magic cookie, option 53 = <paramref name="messageType"/>, then <paramref name="options"/> and END.</summary>
        public static byte[] Dhcp(byte messageType, uint transactionId, ReadOnlySpan<byte> clientMac, params (byte Code, byte[] Value)[] options)
        {
            List<byte> message = new List<byte>(new byte[236]);
            message[0] = 1;      // BOOTREQUEST
            message[1] = 1;      // Ethernet
            message[2] = 6;
            message[4] = (byte)(transactionId >> 24);
            message[5] = (byte)(transactionId >> 16);
            message[6] = (byte)(transactionId >> 8);
            message[7] = (byte)transactionId;
            message[10] = 0x80;  // broadcast flag
            for (int i = 0; i < 6; i++)
            {
                message[28 + i] = clientMac[i];
            }

            message.AddRange(new byte[] { 99, 130, 83, 99, 53, 1, messageType });
            foreach ((byte code, byte[] value) in options)
            {
                message.Add(code);
                message.Add((byte)value.Length);
                message.AddRange(value);
            }

            message.Add(255);
            while (message.Count < 300)
            {
                message.Add(0);
            }

            return message.ToArray();
        }
    }

    /// <summary>A parsed Ethernet frame with whichever of ARP / IPv4 / UDP / TCP it carries; checksums verified.</summary>
    internal sealed class Parsed
    {
        public Parsed(byte[] frame)
        {
            Frame = frame;
            if (frame.Length < 14)
            {
                throw new FormatException($"runt frame of {frame.Length} bytes");
            }

            Destination = frame.AsSpan(0, 6).ToArray();
            Source = frame.AsSpan(6, 6).ToArray();
            EtherType = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));
            ReadOnlySpan<byte> payload = frame.AsSpan(14);
            if (EtherType == EtherTypes.Arp && payload.Length >= 28)
            {
                ArpOperation = BinaryPrimitives.ReadUInt16BigEndian(payload.Slice(6));
                ArpSenderMac = payload.Slice(8, 6).ToArray();
                ArpSenderIp = payload.Slice(14, 4).ToArray();
                ArpTargetMac = payload.Slice(18, 6).ToArray();
                ArpTargetIp = payload.Slice(24, 4).ToArray();
            }
            else if (EtherType == EtherTypes.Ipv4 && payload.Length >= 20)
            {
                int headerLength = (payload[0] & 0x0F) * 4;
                int totalLength = BinaryPrimitives.ReadUInt16BigEndian(payload.Slice(2));
                IpChecksumValid = Packets.Checksum(payload.Slice(0, headerLength)) == 0;
                Protocol = payload[9];
                SourceIp = payload.Slice(12, 4).ToArray();
                DestinationIp = payload.Slice(16, 4).ToArray();
                ReadOnlySpan<byte> body = payload.Slice(headerLength, totalLength - headerLength);
                uint pseudo = (uint)(SourceIp[0] << 8 | SourceIp[1]) + (uint)(SourceIp[2] << 8 | SourceIp[3]) +
                    (uint)(DestinationIp[0] << 8 | DestinationIp[1]) + (uint)(DestinationIp[2] << 8 | DestinationIp[3]) +
                    Protocol + (uint)body.Length;
                if (Protocol == IpProtocols.Udp && body.Length >= 8)
                {
                    SourcePort = BinaryPrimitives.ReadUInt16BigEndian(body);
                    DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(2));
                    TransportChecksumValid = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(6)) == 0 || Packets.Checksum(body, pseudo) == 0;
                    Payload = body.Slice(8).ToArray();
                }
                else if (Protocol == IpProtocols.Tcp && body.Length >= 20)
                {
                    SourcePort = BinaryPrimitives.ReadUInt16BigEndian(body);
                    DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(2));
                    Sequence = BinaryPrimitives.ReadUInt32BigEndian(body.Slice(4));
                    Acknowledgment = BinaryPrimitives.ReadUInt32BigEndian(body.Slice(8));
                    Flags = (TcpFlags)body[13];
                    Window = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(14));
                    TransportChecksumValid = Packets.Checksum(body, pseudo) == 0;
                    Payload = body.Slice((body[12] >> 4) * 4).ToArray();
                }
            }
        }

        public byte[] Frame { get; }

        public byte[] Destination { get; }

        public byte[] Source { get; }

        public ushort EtherType { get; }

        public ushort ArpOperation { get; }

        public byte[] ArpSenderMac { get; } = Array.Empty<byte>();

        public byte[] ArpSenderIp { get; } = Array.Empty<byte>();

        public byte[] ArpTargetMac { get; } = Array.Empty<byte>();

        public byte[] ArpTargetIp { get; } = Array.Empty<byte>();

        public bool IpChecksumValid { get; }

        public byte Protocol { get; }

        public byte[] SourceIp { get; } = Array.Empty<byte>();

        public byte[] DestinationIp { get; } = Array.Empty<byte>();

        public ushort SourcePort { get; }

        public ushort DestinationPort { get; }

        public bool TransportChecksumValid { get; }

        public uint Sequence { get; }

        public uint Acknowledgment { get; }

        public TcpFlags Flags { get; }

        public ushort Window { get; }

        public byte[] Payload { get; } = Array.Empty<byte>();

        public bool IsArp => EtherType == EtherTypes.Arp && ArpOperation != 0;

        public bool IsUdp => EtherType == EtherTypes.Ipv4 && Protocol == IpProtocols.Udp;

        public bool IsTcp => EtherType == EtherTypes.Ipv4 && Protocol == IpProtocols.Tcp;
    }

    /// <summary>A parsed DHCP message (RFC 2131 fixed fields, RFC 2132 options).</summary>
    internal sealed class DhcpMessage
    {
        public DhcpMessage(ReadOnlySpan<byte> message)
        {
            if (message.Length < 240 || message[236] != 99 || message[237] != 130 || message[238] != 83 || message[239] != 99)
            {
                throw new FormatException("not a DHCP message");
            }

            Operation = message[0];
            TransactionId = BinaryPrimitives.ReadUInt32BigEndian(message.Slice(4));
            YourAddress = message.Slice(16, 4).ToArray();
            ClientMac = message.Slice(28, 6).ToArray();
            int nameEnd = message.Slice(108, 128).IndexOf((byte)0);
            BootFile = System.Text.Encoding.ASCII.GetString(message.Slice(108, nameEnd < 0 ? 128 : nameEnd));
            int i = 240;
            while (i < message.Length && message[i] != 255)
            {
                if (message[i] == 0)
                {
                    i++;
                    continue;
                }

                byte code = message[i];
                int length = message[i + 1];
                Options[code] = message.Slice(i + 2, length).ToArray();
                i += 2 + length;
            }
        }

        public byte Operation { get; }

        public uint TransactionId { get; }

        public byte[] YourAddress { get; }

        public byte[] ClientMac { get; }

        public string BootFile { get; }

        public Dictionary<byte, byte[]> Options { get; } = new();

        public byte MessageType => Options.TryGetValue(53, out byte[]? type) ? type[0] : (byte)0;
    }
}
