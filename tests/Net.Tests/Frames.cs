// Hand-built frames for the stack's unit tests (independent of the stack's own encoders).
using System;
using System.Buffers.Binary;

namespace Bootstage.Net.Tests
{
    internal static class Frames
    {
        public static readonly byte[] PeerMac = { 0x52, 0x55, 0x0A, 0x00, 0x02, 0x02 };
        public static readonly byte[] OurMac = { 0x00, 0x15, 0x5D, 0x01, 0x02, 0x03 };

        public static byte[] Arp(ushort operation, byte[] senderMac, uint senderIp, byte[] targetMac, uint targetIp, byte[] destinationMac)
        {
            byte[] frame = new byte[42];
            destinationMac.CopyTo(frame, 0);
            senderMac.CopyTo(frame, 6);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0806);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 1);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 0x0800);
            frame[18] = 6;
            frame[19] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), operation);
            senderMac.CopyTo(frame, 22);
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(28), senderIp);
            targetMac.CopyTo(frame, 32);
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(38), targetIp);
            return frame;
        }

        public static byte[] Ipv4(byte protocol, uint source, uint destination, byte[] payload, ushort flagsAndOffset = 0)
        {
            byte[] frame = new byte[14 + 20 + payload.Length];
            OurMac.CopyTo(frame, 0);
            PeerMac.CopyTo(frame, 6);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
            Span<byte> ip = frame.AsSpan(14, 20);
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), (ushort)(20 + payload.Length));
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(6), flagsAndOffset);
            ip[8] = 64;
            ip[9] = protocol;
            BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(12), source);
            BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(16), destination);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(10), Checksum(ip));
            payload.CopyTo(frame, 34);
            return frame;
        }

        public static byte[] Udp(uint source, uint destination, ushort sourcePort, ushort destinationPort, byte[] data)
        {
            byte[] udp = new byte[8 + data.Length];
            BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), destinationPort);
            BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
            data.CopyTo(udp, 8);
            byte[] pseudo = new byte[12 + udp.Length];
            BinaryPrimitives.WriteUInt32BigEndian(pseudo, source);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo.AsSpan(4), destination);
            pseudo[9] = 17;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)udp.Length);
            udp.CopyTo(pseudo, 12);
            ushort checksum = Checksum(pseudo);
            BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(6), checksum == 0 ? (ushort)0xFFFF : checksum);
            return Ipv4(17, source, destination, udp);
        }

        public static ushort Checksum(ReadOnlySpan<byte> data)
        {
            uint sum = 0;
            for (int i = 0; i + 1 < data.Length; i += 2)
            {
                sum += (uint)((data[i] << 8) | data[i + 1]);
            }

            if (data.Length % 2 == 1)
            {
                sum += (uint)(data[^1] << 8);
            }

            while ((sum >> 16) != 0)
            {
                sum = (sum & 0xFFFF) + (sum >> 16);
            }

            return (ushort)~sum;
        }
    }
}
