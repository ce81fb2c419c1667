// IIscsiTransport over a host TCP socket (non-blocking), so the initiator can be tested and
// measured against tgtd without our network stack in the way. When nothing moved in the last
// Poll it waits up to a millisecond for input instead of spinning, leaving the CPU to tgtd.
using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Iscsi.Peers
{
    public sealed class SocketTransport : IIscsiTransport
    {
        private static readonly Stopwatch Clock = Stopwatch.StartNew();
        private Socket? _socket;
        private TransportState _state;
        private bool _idle;

        public int Connects { get; private set; }

        /// <summary>Source address to connect from (tgtd never redirects an initiator to its own address).</summary>
        public IPAddress? LocalAddress { get; set; }

        public TransportState State => _state;

        public ulong Milliseconds => (ulong)Clock.ElapsedMilliseconds;

        public IscsiStatus Connect(ReadOnlySpan<byte> server, ushort port)
        {
            Abort();
            Connects++;
            try
            {
                IPAddress address = IPAddress.TryParse(Encoding.ASCII.GetString(server), out IPAddress? parsed) ? parsed : Dns.GetHostAddresses(Encoding.ASCII.GetString(server))[0];
                Socket socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                if (LocalAddress != null)
                {
                    socket.Bind(new IPEndPoint(LocalAddress, 0));
                }

                socket.Connect(new IPEndPoint(address, port));
                socket.Blocking = false;
                _socket = socket;
                _state = TransportState.Open;
                return IscsiStatus.Success;
            }
            catch (SocketException)
            {
                _state = TransportState.Failed;
                return IscsiStatus.ConnectFailed;
            }
        }

        public int Send(ReadOnlySpan<byte> data)
        {
            if (_socket == null || _state != TransportState.Open)
            {
                return 0;
            }

            int sent = _socket.Send(data, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                return 0;
            }

            if (error != SocketError.Success)
            {
                _state = TransportState.Failed;
                return 0;
            }

            _idle = false;
            return sent;
        }

        public int Receive(Span<byte> destination)
        {
            if (_socket == null || _state != TransportState.Open || destination.Length == 0)
            {
                return 0;
            }

            int got = _socket.Receive(destination, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                return 0;
            }

            if (error != SocketError.Success || got == 0)
            {
                _state = TransportState.Failed;
                return 0;
            }

            _idle = false;
            return got;
        }

        public void Poll()
        {
            if (_socket != null && _state == TransportState.Open && _idle)
            {
                _socket.Poll(1000, SelectMode.SelectRead);
            }

            _idle = true;
        }

        public void Close()
        {
            try
            {
                _socket?.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
            }

            _state = TransportState.Closing;
        }

        public void Abort()
        {
            if (_socket != null)
            {
                try
                {
                    _socket.LingerState = new LingerOption(true, 0);
                    _socket.Close();
                }
                catch (SocketException)
                {
                }
            }

            _socket = null;
            _state = TransportState.Idle;
        }
    }

    public sealed class SeededRandom : IRandomSource
    {
        private readonly Random _random;

        public SeededRandom(int seed)
        {
            _random = new Random(seed);
        }

        public uint NextUInt32() => (uint)_random.NextInt64(0, 1L << 32);
    }
}
