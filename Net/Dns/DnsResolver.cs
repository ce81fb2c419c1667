// A DNS stub resolver for A records (RFC 1035): one question over UDP to the configured server,
// retried with backoff, names in the answer stepped over (a compression pointer ends one), the
// first A record of the answer section taken (CNAME chains come before it in the same answer).
// Poll-driven and allocation-free; used for a root-path whose server is a host name.
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.Net;

namespace Bootstage.Net.Dns
{
    public enum DnsState
    {
        Idle = 0,
        Waiting = 1,
        Resolved = 2,
        NotFound = 3,
        Failed = 4,
    }

    public sealed class DnsResolver : IUdpReceiver
    {
        public const ushort ServerPort = 53;
        public const int MaxAttempts = 3;
        public const int MaxNameLength = 253;

        private readonly NetInterface _interface;
        private readonly byte[] _query = new byte[12 + MaxNameLength + 2 + 4];
        private readonly ushort _localPort;
        private int _queryLength;
        private ushort _id;
        private ulong _lastSent;
        private ulong _timeout;
        private int _attempts;
        private Ipv4Address _server;
        private ushort _serverPort;

        public DnsResolver(NetInterface networkInterface, ushort localPort, ushort idSeed)
        {
            _interface = networkInterface;
            _localPort = localPort;
            _id = idSeed;
        }

        public DnsState State { get; private set; }

        public Ipv4Address Address { get; private set; }

        public ulong Malformed { get; private set; }

        public bool IsDone => State != DnsState.Idle && State != DnsState.Waiting;

        /// <summary>Starts resolving <paramref name="name"/> (ASCII, dotted) at the interface's DNS server (or the one given).</summary>
        public bool Start(ReadOnlySpan<byte> name, Ipv4Address server = default, ushort port = ServerPort)
        {
            _server = server.IsZero ? _interface.Dns : server;
            _serverPort = port;
            if (_server.IsZero || !BuildQuery(name))
            {
                State = DnsState.Failed;
                return false;
            }

            _interface.BindUdp(_localPort, this);
            State = DnsState.Waiting;
            _attempts = 0;
            _timeout = 1000;
            Send();
            return true;
        }

        public void Poll()
        {
            if (State != DnsState.Waiting || _interface.Clock.Milliseconds - _lastSent < _timeout)
            {
                return;
            }

            if (_attempts >= MaxAttempts)
            {
                State = DnsState.Failed;
                _interface.UnbindUdp(_localPort);
                return;
            }

            _timeout *= 2;
            Send();
        }

        private void Send()
        {
            _lastSent = _interface.Clock.Milliseconds;
            _attempts++;
            _interface.SendUdp(_server, _localPort, _serverPort, new ReadOnlySpan<byte>(_query, 0, _queryLength));
        }

        // Header (id, recursion desired, one question), the name as labels, type A, class IN.
        private bool BuildQuery(ReadOnlySpan<byte> name)
        {
            if (name.Length == 0 || name.Length > MaxNameLength)
            {
                return false;
            }

            _id = (ushort)(_id * 31421 + 6927);
            Span<byte> query = _query;
            query.Clear();
            BinaryPrimitives.WriteUInt16BigEndian(query, _id);
            query[2] = 0x01; // RD
            BinaryPrimitives.WriteUInt16BigEndian(query.Slice(4), 1);
            int position = 12;
            int labelStart = 0;
            for (int i = 0; i <= name.Length; i++)
            {
                if (i == name.Length || name[i] == (byte)'.')
                {
                    int length = i - labelStart;
                    if (length == 0 && i == name.Length && i > 0)
                    {
                        break; // trailing dot
                    }

                    if (length == 0 || length > 63)
                    {
                        return false;
                    }

                    query[position++] = (byte)length;
                    name.Slice(labelStart, length).CopyTo(query.Slice(position));
                    position += length;
                    labelStart = i + 1;
                }
            }

            query[position++] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(query.Slice(position), 1);
            BinaryPrimitives.WriteUInt16BigEndian(query.Slice(position + 2), 1);
            _queryLength = position + 4;
            return true;
        }

        public void Receive(NetInterface source, Ipv4Address from, ushort fromPort, ushort toPort, ReadOnlySpan<byte> message)
        {
            if (State != DnsState.Waiting || message.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(message) != _id
                || (message[2] & 0x80) == 0)
            {
                Malformed++;
                return;
            }

            int rcode = message[3] & 0x0F;
            if (rcode == 3)
            {
                Finish(DnsState.NotFound);
                return;
            }

            if (rcode != 0)
            {
                Finish(DnsState.Failed);
                return;
            }

            int questions = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(4));
            int answers = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(6));
            int position = 12;
            for (int i = 0; i < questions; i++)
            {
                position = SkipName(message, position);
                if (position < 0 || position + 4 > message.Length)
                {
                    Malformed++;
                    return;
                }

                position += 4;
            }

            for (int i = 0; i < answers; i++)
            {
                position = SkipName(message, position);
                if (position < 0 || position + 10 > message.Length)
                {
                    Malformed++;
                    return;
                }

                ushort type = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(position));
                ushort klass = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(position + 2));
                int length = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(position + 8));
                position += 10;
                if (position + length > message.Length)
                {
                    Malformed++;
                    return;
                }

                if (type == 1 && klass == 1 && length == 4)
                {
                    Address = Ipv4Address.Read(message.Slice(position));
                    Finish(DnsState.Resolved);
                    return;
                }

                position += length;
            }

            Finish(DnsState.NotFound);
        }

        private void Finish(DnsState state)
        {
            State = state;
            _interface.UnbindUdp(_localPort);
        }

        // Steps over a (possibly compressed) name; -1 when it runs off the message.
        private static int SkipName(ReadOnlySpan<byte> message, int position)
        {
            while (position < message.Length)
            {
                byte length = message[position];
                if (length == 0)
                {
                    return position + 1;
                }

                if ((length & 0xC0) == 0xC0)
                {
                    return position + 2 <= message.Length ? position + 2 : -1;
                }

                if ((length & 0xC0) != 0)
                {
                    return -1;
                }

                position += 1 + length;
            }

            return -1;
        }
    }
}
