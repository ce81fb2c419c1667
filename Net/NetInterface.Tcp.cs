// TCP segment transport for NetInterface: demultiplexing by (remote address, remote port, local
// port), checksums over the pseudo-header (RFC 9293 §3.1), and a reset for segments that match
// no connection (RFC 9293 §3.10.7.1).
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.Net;
using Bootstage.Net.Tcp;

namespace Bootstage.Net
{
    public sealed partial class NetInterface
    {
        public const int MaxTcpConnections = 8;

        private readonly TcpConnection?[] _tcp = new TcpConnection?[MaxTcpConnections];

        internal bool Register(TcpConnection connection)
        {
            for (int i = 0; i < MaxTcpConnections; i++)
            {
                if (_tcp[i] == null || (object)_tcp[i]! == connection)
                {
                    _tcp[i] = connection;
                    return true;
                }
            }

            return false;
        }

        internal void Unregister(TcpConnection connection)
        {
            for (int i = 0; i < MaxTcpConnections; i++)
            {
                if ((object?)_tcp[i] == connection)
                {
                    _tcp[i] = null;
                }
            }
        }

        /// <summary>Sends one segment: a header (options included) and up to two pieces of payload.</summary>
        internal NetStatus SendTcp(Ipv4Address destination, ReadOnlySpan<byte> header, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
        {
            int length = header.Length + first.Length + second.Length;
            Span<byte> frame = BeginIpv4(IpProtocolTcp, destination, length, out int ipOffset);
            if (frame.IsEmpty)
            {
                return NetStatus.TooLong;
            }

            Span<byte> segment = frame.Slice(ipOffset + 20, length);
            header.CopyTo(segment);
            first.CopyTo(segment.Slice(header.Length));
            second.CopyTo(segment.Slice(header.Length + first.Length));
            BinaryPrimitives.WriteUInt16BigEndian(segment.Slice(16), 0);
            BinaryPrimitives.WriteUInt16BigEndian(segment.Slice(16), TransportChecksum(frame.Slice(ipOffset), IpProtocolTcp, segment));
            return SendIpv4(frame, destination);
        }

        private void ReceiveTcp(ReadOnlySpan<byte> ip, Ipv4Address source, ReadOnlySpan<byte> segment)
        {
            if (segment.Length < 20 || (segment[12] >> 4) * 4 < 20 || (segment[12] >> 4) * 4 > segment.Length)
            {
                Counters.Malformed++;
                return;
            }

            if (TransportChecksum(ip, IpProtocolTcp, segment) != 0)
            {
                Counters.ChecksumErrors++;
                return;
            }

            ushort sourcePort = BinaryPrimitives.ReadUInt16BigEndian(segment);
            ushort destinationPort = BinaryPrimitives.ReadUInt16BigEndian(segment.Slice(2));
            for (int i = 0; i < MaxTcpConnections; i++)
            {
                TcpConnection? connection = _tcp[i];
                if (connection != null && connection.Matches(source, sourcePort, destinationPort))
                {
                    connection.OnSegment(segment);
                    return;
                }
            }

            Counters.TcpNoConnection++;
            byte flags = segment[13];
            if ((flags & TcpConnection.FlagRst) == 0)
            {
                SendReset(source, sourcePort, destinationPort, segment);
            }
        }

        // RST for a stray segment: seq = its ack if it had one, else ack its sequence space.
        private void SendReset(Ipv4Address destination, ushort destinationPort, ushort sourcePort, ReadOnlySpan<byte> segment)
        {
            Span<byte> header = stackalloc byte[20];
            header.Clear();
            byte flags = segment[13];
            uint seq = BinaryPrimitives.ReadUInt32BigEndian(segment.Slice(4));
            uint ack = BinaryPrimitives.ReadUInt32BigEndian(segment.Slice(8));
            int dataLength = segment.Length - (segment[12] >> 4) * 4;
            BinaryPrimitives.WriteUInt16BigEndian(header, sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(header.Slice(2), destinationPort);
            header[12] = 5 << 4;
            if ((flags & TcpConnection.FlagAck) != 0)
            {
                BinaryPrimitives.WriteUInt32BigEndian(header.Slice(4), ack);
                header[13] = TcpConnection.FlagRst;
            }
            else
            {
                uint length = (uint)dataLength + ((flags & TcpConnection.FlagSyn) != 0 ? 1u : 0u) + ((flags & TcpConnection.FlagFin) != 0 ? 1u : 0u);
                BinaryPrimitives.WriteUInt32BigEndian(header.Slice(8), seq + length);
                header[13] = TcpConnection.FlagRst | TcpConnection.FlagAck;
            }

            SendTcp(destination, header, default, default);
        }
    }
}
