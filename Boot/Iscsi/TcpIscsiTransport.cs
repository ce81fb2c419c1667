// IIscsiTransport over our own stack: a Net TcpConnection on a NetInterface, with host names
// resolved through the interface's DNS server first. One TcpConnection is re-opened on every
// connect (it starts from a clean state and a new initial sequence number, so a re-login does
// not inherit the old sequence space). Local ports come from the dynamic range (RFC 6335) and
// change on every connect so a target still holding the previous connection sees no duplicate.
using System;
using Bootstage.Drivers.Net;
using Bootstage.Net;
using Bootstage.Net.Dns;
using Bootstage.Net.Tcp;

namespace Bootstage.Boot.Iscsi
{
    public sealed class TcpIscsiTransport : IIscsiTransport
    {
        private const ulong ResolveTimeoutMs = 10_000;

        private readonly NetInterface _netif;
        private readonly IRandomSource _random;
        private readonly int _bufferSize;
        private TcpConnection? _connection;
        private TcpConnection? _tcp;
        private DnsResolver? _dns;
        private ushort _port;
        private ushort _nextLocalPort;
        private ulong _resolveDeadline;
        private bool _resolving;
        private bool _resolveFailed;

        public TcpIscsiTransport(NetInterface networkInterface, IRandomSource random, int bufferSize = TcpConnection.DefaultBufferSize)
        {
            _netif = networkInterface;
            _random = random;
            _bufferSize = bufferSize;
            _nextLocalPort = (ushort)(49152 + (random.NextUInt32() % 16000));
        }

        public TcpConnection? Connection => _tcp;

        public TransportState State
        {
            get
            {
                if (_resolving)
                {
                    return TransportState.Connecting;
                }

                if (_tcp == null)
                {
                    return _resolveFailed ? TransportState.Failed : TransportState.Idle;
                }

                if (_tcp.WasReset || _tcp.TimedOut)
                {
                    return TransportState.Failed;
                }

                switch (_tcp.State)
                {
                    case TcpState.SynSent:
                        return TransportState.Connecting;
                    case TcpState.Established:
                        return TransportState.Open;
                    case TcpState.CloseWait:
                        // The target closed its side: nothing more will arrive once it is read.
                        return _tcp.Available > 0 ? TransportState.Open : TransportState.Failed;
                    case TcpState.Closed:
                        return TransportState.Failed;
                    default:
                        return TransportState.Closing;
                }
            }
        }

        public ulong Milliseconds => _netif.Clock.Milliseconds;

        public IscsiStatus Connect(ReadOnlySpan<byte> server, ushort port)
        {
            Abort();
            _port = port;
            if (Ipv4Address.TryParse(server, out Ipv4Address address))
            {
                return Open(address);
            }

            if (_dns == null)
            {
                _dns = new DnsResolver(_netif, 53535, (ushort)_random.NextUInt32());
            }

            if (!_dns.Start(server))
            {
                return IscsiStatus.ConnectFailed;
            }

            _resolving = true;
            _resolveDeadline = Milliseconds + ResolveTimeoutMs;
            return IscsiStatus.Pending;
        }

        private IscsiStatus Open(Ipv4Address address)
        {
            // One connection object for the transport's life: re-opened after Abort, never
            // reallocated (the image's heap has no collector).
            _connection ??= new TcpConnection(_netif, _bufferSize);
            _tcp = _connection;
            ushort local = _nextLocalPort;
            _nextLocalPort = local >= 65000 ? (ushort)49152 : (ushort)(local + 1);
            return _tcp.Connect(address, _port, local, _random.NextUInt32()) == NetStatus.Success ? IscsiStatus.Pending : IscsiStatus.ConnectFailed;
        }

        public int Send(ReadOnlySpan<byte> data) => _tcp != null && _tcp.IsEstablished ? _tcp.Write(data) : 0;

        public int Receive(Span<byte> destination) => _tcp != null ? _tcp.Read(destination) : 0;

        public void Poll()
        {
            _netif.Poll(256);
            if (_resolving && _dns != null)
            {
                _dns.Poll();
                if (_dns.State == DnsState.Resolved)
                {
                    _resolving = false;
                    Open(_dns.Address);
                }
                else if (_dns.IsDone || Milliseconds > _resolveDeadline)
                {
                    _resolving = false;
                    _resolveFailed = true;
                    _tcp = null;
                }
            }

            _tcp?.Poll();
        }

        public void Close() => _tcp?.Close();

        public void Abort()
        {
            _resolving = false;
            _resolveFailed = false;
            if (_tcp != null)
            {
                _tcp.Abort();
                _tcp = null;
            }
        }
    }
}
