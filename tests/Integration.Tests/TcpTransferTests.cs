// TCP through our stack and libslirp to a real host socket on 127.0.0.1 (slirp maps 10.0.2.2 to
// the host): 64 MiB each way, byte-exact, on a clean link and on a link with 2% loss plus
// reordering (retransmissions and the out-of-order queue must show in the counters).
using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using Bootstage.Net;
using Bootstage.Net.Slirp;
using Bootstage.Net.Tcp;

namespace Bootstage.Integration.Tests
{
    public class TcpTransferTests
    {
        private const int Size = 64 << 20;
        private static readonly byte[] Mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

        private static byte Pattern(long i) => (byte)(i * 31 + (i >> 13));

        private sealed class Rig : IDisposable
        {
            public Rig(double loss, double reorder, int seed)
            {
                Slirp = new SlirpNetwork();
                IFramePort port = Slirp;
                if (loss > 0 || reorder > 0)
                {
                    FaultProfile profile = new FaultProfile { Loss = loss, Reorder = reorder, ReorderDepth = 3 };
                    Link = new FaultyLink(Slirp, seed, toNetwork: profile, toGuest: profile);
                    port = Link;
                }

                Device = new SlirpNetDevice(port, Mac);
                Interface = new NetInterface(Device, new WallClock());
                Interface.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), new Ipv4Address(10, 0, 2, 3));
                Listener = new TcpListener(IPAddress.Loopback, 0);
                Listener.Start();
            }

            public SlirpNetwork Slirp { get; }

            public FaultyLink? Link { get; }

            public SlirpNetDevice Device { get; }

            public NetInterface Interface { get; }

            public TcpListener Listener { get; }

            public ushort Port => (ushort)((IPEndPoint)Listener.LocalEndpoint).Port;

            public TcpConnection Connect()
            {
                TcpConnection connection = new TcpConnection(Interface);
                Assert.Equal(Drivers.Net.NetStatus.Success, connection.Connect(new Ipv4Address(10, 0, 2, 2), Port, 40000, 0x12345678));
                return connection;
            }

            public void Step(TcpConnection connection)
            {
                Interface.Poll(256);
                connection.Poll();
            }

            public void Dispose()
            {
                Listener.Stop();
                Slirp.Dispose();
            }
        }

        [Theory]
        [InlineData(0.0, 0.0)]
        [InlineData(0.02, 0.02)]
        public void Upload_of_64_MiB_reaches_the_host_byte_exact(double loss, double reorder)
        {
            using Rig rig = new Rig(loss, reorder, 7);
            long received = 0;
            long mismatches = 0;
            Exception? serverError = null;
            Thread server = new Thread(() =>
            {
                try
                {
                    Serve();
                }
                catch (Exception error)
                {
                    serverError = error;
                }
            });

            void Serve()
            {
                using Socket socket = rig.Listener.AcceptSocket();
                byte[] buffer = new byte[256 * 1024];
                int read;
                while ((read = socket.Receive(buffer)) > 0)
                {
                    for (int i = 0; i < read; i++)
                    {
                        if (buffer[i] != Pattern(received + i))
                        {
                            mismatches++;
                        }
                    }

                    received += read;
                }
            }

            server.Start();

            TcpConnection connection = rig.Connect();
            byte[] chunk = new byte[64 * 1024];
            long sent = 0;
            Stopwatch deadline = Stopwatch.StartNew();
            while (sent < Size && deadline.Elapsed < TimeSpan.FromSeconds(180))
            {
                rig.Step(connection);
                Assert.False(connection.WasReset || connection.TimedOut, "connection failed");
                if (!connection.IsEstablished)
                {
                    continue;
                }

                int length = (int)Math.Min(chunk.Length, Size - sent);
                for (int i = 0; i < length; i++)
                {
                    chunk[i] = Pattern(sent + i);
                }

                sent += connection.Write(chunk.AsSpan(0, length));
            }

            connection.Close();
            while (connection.State != TcpState.Closed && connection.State != TcpState.TimeWait && deadline.Elapsed < TimeSpan.FromSeconds(180))
            {
                rig.Step(connection);
            }

            Assert.True(server.Join(TimeSpan.FromSeconds(30)), "host side did not see the end of the stream");
            Assert.Null(serverError);
            Assert.True(sent == Size && received == Size, $"sent {sent}, host received {received} of {Size}; state {connection.State}, retransmits {connection.Counters.Retransmits}, timeouts {connection.Counters.Timeouts}, fast {connection.Counters.FastRetransmits}");
            Assert.Equal(0, mismatches);
            if (loss > 0)
            {
                Assert.True(connection.Counters.Retransmits > 0, "loss must cause retransmissions");
                Assert.True(rig.Link!.ToNetworkCounters.Lost > 0);
            }
        }

        // With loss, slirp is the sender: its BSD-derived TCP (no SACK, no tail-loss probe) recovers
        // mostly by retransmission timeout, about 150 KB/s at 2% loss, so the lossy 64 MiB download
        // takes about 7 minutes and gets a 20-minute deadline. Our receiver's side of it (dup ACKs,
        // the out-of-order ring) is what the counters check.
        [Theory]
        [InlineData(0.0, 0.0, 64 << 20)]
        [InlineData(0.02, 0.02, 64 << 20)]
        public void Download_from_the_host_arrives_byte_exact(double loss, double reorder, int size)
        {
            using Rig rig = new Rig(loss, reorder, 11);
            Exception? serverError = null;
            Thread server = new Thread(() =>
            {
                try
                {
                    Serve();
                }
                catch (Exception error)
                {
                    serverError = error;
                }
            });

            void Serve()
            {
                using Socket socket = rig.Listener.AcceptSocket();
                byte[] buffer = new byte[256 * 1024];
                long position = 0;
                while (position < size)
                {
                    int length = (int)Math.Min(buffer.Length, size - position);
                    for (int i = 0; i < length; i++)
                    {
                        buffer[i] = Pattern(position + i);
                    }

                    socket.Send(buffer, 0, length, SocketFlags.None);
                    position += length;
                }

                socket.Shutdown(SocketShutdown.Send);
                Thread.Sleep(500);
            }

            server.Start();

            TcpConnection connection = rig.Connect();
            byte[] buffer = new byte[128 * 1024];
            long received = 0;
            long mismatches = 0;
            Stopwatch deadline = Stopwatch.StartNew();
            while (!connection.RemoteClosed && deadline.Elapsed < TimeSpan.FromMinutes(20))
            {
                rig.Step(connection);
                Assert.False(connection.WasReset || connection.TimedOut, "connection failed");
                int read = connection.Read(buffer);
                for (int i = 0; i < read; i++)
                {
                    if (buffer[i] != Pattern(received + i))
                    {
                        mismatches++;
                    }
                }

                received += read;
            }

            connection.Close();
            Assert.True(received == size, $"received {received} of {size}; state {connection.State}, retransmits {connection.Counters.Retransmits}, timeouts {connection.Counters.Timeouts}");
            Assert.Equal(0, mismatches);
            Assert.True(server.Join(TimeSpan.FromSeconds(30)));
            Assert.Null(serverError);
            if (loss > 0)
            {
                Assert.True(connection.Counters.OutOfOrderQueued > 0, "reordering and loss must exercise the out-of-order queue");
                Assert.True(rig.Link!.ToGuestCounters.Lost > 0);
            }
        }
    }
}
