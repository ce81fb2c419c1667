// 64 MiB each way through the whole Hyper-V path (our TCP, the netvsc driver, the host model's
// netvsc backend, libslirp, a host socket): the upload on a link with 2% loss plus reordering
// between the backend and slirp, the download on a clean link.
using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using Bootstage.Drivers.HyperV.NetVsc;
using Bootstage.HyperV.HostModel;
using Bootstage.Net;
using Bootstage.Net.Slirp;
using Bootstage.Net.Tcp;

namespace Bootstage.Integration.Tests
{
    public class NetVscTransferTests
    {
        private const int Size = 64 << 20;
        private static readonly byte[] Mac = { 0x00, 0x15, 0x5D, 0x00, 0x00, 0x43 };

        private static byte Pattern(long i) => (byte)(i * 29 + (i >> 12));

        private static void Step(SlirpNetVscBridge bridge, HyperVHost host, NetInterface netif, TcpConnection tcp)
        {
            bridge.Pump();
            host.Pause();
            netif.Poll(256);
            tcp.Poll();
        }

        [Fact]
        public void Upload_of_64_MiB_through_netvsc_with_loss_and_reordering_is_byte_exact()
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            FaultProfile faults = new FaultProfile { Loss = 0.02, Reorder = 0.02, ReorderDepth = 3 };
            FaultyLink link = new FaultyLink(slirp, 5, toNetwork: faults, toGuest: faults);
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            NetVscDevice nic = HyperVNic.BringUp(host, link, Mac, out SlirpNetVscBridge bridge);
            NetInterface netif = new NetInterface(nic, new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), default);
            TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            long received = 0;
            long mismatches = 0;
            Exception? serverError = null;
            Thread server = new Thread(() =>
            {
                try
                {
                    using Socket socket = listener.AcceptSocket();
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
                catch (Exception error)
                {
                    serverError = error;
                }
            });
            server.Start();

            TcpConnection tcp = new TcpConnection(netif);
            tcp.Connect(new Ipv4Address(10, 0, 2, 2), (ushort)((IPEndPoint)listener.LocalEndpoint).Port, 44000, 0x7777);
            byte[] chunk = new byte[64 * 1024];
            long sent = 0;
            Stopwatch deadline = Stopwatch.StartNew();
            while (sent < Size && deadline.Elapsed < TimeSpan.FromMinutes(5))
            {
                Step(bridge, host, netif, tcp);
                Assert.False(tcp.WasReset || tcp.TimedOut, "connection failed");
                if (!tcp.IsEstablished)
                {
                    continue;
                }

                int length = (int)Math.Min(chunk.Length, Size - sent);
                for (int i = 0; i < length; i++)
                {
                    chunk[i] = Pattern(sent + i);
                }

                sent += tcp.Write(chunk.AsSpan(0, length));
            }

            tcp.Close();
            while (tcp.State != TcpState.Closed && tcp.State != TcpState.TimeWait && deadline.Elapsed < TimeSpan.FromMinutes(5))
            {
                Step(bridge, host, netif, tcp);
            }

            Assert.True(server.Join(TimeSpan.FromSeconds(30)), "host side did not see the end of the stream");
            listener.Stop();
            Assert.Null(serverError);
            Assert.True(sent == Size && received == Size, $"sent {sent}, host received {received}; state {tcp.State}");
            Assert.Equal(0, mismatches);
            Assert.True(tcp.Counters.Retransmits > 0);
            Assert.True(link.ToNetworkCounters.Lost > 0 && link.ToNetworkCounters.Reordered > 0);
        }

        [Fact]
        public void Download_of_64_MiB_through_netvsc_is_byte_exact()
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            NetVscDevice nic = HyperVNic.BringUp(host, slirp, Mac, out SlirpNetVscBridge bridge);
            NetInterface netif = new NetInterface(nic, new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), default);
            TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Thread server = new Thread(() =>
            {
                try
                {
                    using Socket socket = listener.AcceptSocket();
                    byte[] buffer = new byte[256 * 1024];
                    long position = 0;
                    while (position < Size)
                    {
                        int length = (int)Math.Min(buffer.Length, Size - position);
                        for (int i = 0; i < length; i++)
                        {
                            buffer[i] = Pattern(position + i);
                        }

                        socket.Send(buffer, 0, length, SocketFlags.None);
                        position += length;
                    }

                    socket.Shutdown(SocketShutdown.Send);
                    Thread.Sleep(300);
                }
                catch (SocketException)
                {
                }
            })
            { IsBackground = true };
            server.Start();

            TcpConnection tcp = new TcpConnection(netif);
            tcp.Connect(new Ipv4Address(10, 0, 2, 2), (ushort)((IPEndPoint)listener.LocalEndpoint).Port, 44001, 0x8888);
            byte[] buffer = new byte[128 * 1024];
            long received = 0;
            long mismatches = 0;
            Stopwatch deadline = Stopwatch.StartNew();
            while (!tcp.RemoteClosed && deadline.Elapsed < TimeSpan.FromMinutes(5))
            {
                Step(bridge, host, netif, tcp);
                int read = tcp.Read(buffer);
                for (int i = 0; i < read; i++)
                {
                    if (buffer[i] != Pattern(received + i))
                    {
                        mismatches++;
                    }
                }

                received += read;
            }

            listener.Stop();
            Assert.True(received == Size, $"received {received} of {Size}; state {tcp.State}");
            Assert.Equal(0, mismatches);
            Assert.Equal(0UL, nic.Statistics.RxErrors);
        }
    }
}
