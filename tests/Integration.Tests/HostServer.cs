// One TCP connection served on 127.0.0.1 from a background thread (slirp maps 10.0.2.2 to it):
// receive and check the pattern, send the pattern, or echo. Errors are kept for the test to
// assert instead of crashing the test host.
using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace Bootstage.Integration.Tests
{
    internal sealed class HostServer : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly Thread _thread;

        private HostServer(Action<Socket> serve)
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _thread = new Thread(() =>
            {
                try
                {
                    using Socket socket = _listener.AcceptSocket();
                    serve(socket);
                }
                catch (Exception error)
                {
                    Error = error;
                }
            })
            { IsBackground = true };
            _thread.Start();
        }

        public ushort Port => (ushort)((IPEndPoint)_listener.LocalEndpoint).Port;

        /// <summary>Bytes received (Receiving) or echoed (Echoing).</summary>
        public long Received { get; private set; }

        public long Mismatches { get; private set; }

        public Exception? Error { get; private set; }

        /// <summary>Reads until the guest closes, checking every byte against the pattern.</summary>
        public static HostServer Receiving()
        {
            HostServer server = null!;
            server = new HostServer(socket =>
            {
                byte[] buffer = new byte[256 * 1024];
                int read;
                while ((read = socket.Receive(buffer)) > 0)
                {
                    server.Mismatches += StreamPattern.Mismatches(buffer.AsSpan(0, read), server.Received);
                    server.Received += read;
                }
            });
            return server;
        }

        /// <summary>Sends <paramref name="size"/> pattern bytes, then closes its sending side.</summary>
        public static HostServer Sending(long size)
        {
            return new HostServer(socket =>
            {
                byte[] buffer = new byte[256 * 1024];
                long position = 0;
                while (position < size)
                {
                    int length = (int)Math.Min(buffer.Length, size - position);
                    StreamPattern.Fill(buffer.AsSpan(0, length), position);
                    socket.Send(buffer, 0, length, SocketFlags.None);
                    position += length;
                }

                socket.Shutdown(SocketShutdown.Send);
                Thread.Sleep(300);
            });
        }

        /// <summary>Sends back everything until the guest closes.</summary>
        public static HostServer Echoing()
        {
            HostServer server = null!;
            server = new HostServer(socket =>
            {
                byte[] buffer = new byte[64 * 1024];
                int read;
                while ((read = socket.Receive(buffer)) > 0)
                {
                    socket.Send(buffer, 0, read, SocketFlags.None);
                    server.Received += read;
                }
            });
            return server;
        }

        public bool Join(TimeSpan timeout) => _thread.Join(timeout);

        public void Dispose() => _listener.Stop();
    }
}
