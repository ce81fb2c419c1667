// The whole Hyper-V path in one process: our TCP over the netvsc driver, the Hyper-V host model's
// netvsc backend, bridged to libslirp and a host socket on 127.0.0.1 (netvsc → stack → slirp).
using System;
using System.Diagnostics;
using Bootstage.Drivers.HyperV.NetVsc;
using Bootstage.HyperV.HostModel;
using Bootstage.Net;
using Bootstage.Net.Slirp;
using Bootstage.Net.Tcp;

namespace Bootstage.Integration.Tests
{
    public class NetVscTcpTests
    {
        private const int Size = 16 << 20;
        private static readonly byte[] Mac = { 0x00, 0x15, 0x5D, 0x00, 0x00, 0x42 };

        [Fact]
        public void Tcp_echo_of_16_MiB_through_netvsc_the_host_model_and_slirp_is_byte_exact()
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            NetVscDevice nic = HyperVNic.BringUp(host, slirp, Mac, out SlirpNetVscBridge bridge);

            NetInterface netif = new NetInterface(nic, new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), new Ipv4Address(10, 0, 2, 3));
            using HostServer server = HostServer.Echoing();

            TcpConnection tcp = new TcpConnection(netif);
            Assert.Equal(Drivers.Net.NetStatus.Success, tcp.Connect(new Ipv4Address(10, 0, 2, 2), server.Port, 41000, 0xCAFEF00D));
            byte[] chunk = new byte[32 * 1024];
            byte[] incoming = new byte[64 * 1024];
            long sent = 0;
            long echoed = 0;
            long mismatches = 0;
            Stopwatch deadline = Stopwatch.StartNew();
            while (echoed < Size && deadline.Elapsed < TimeSpan.FromSeconds(120))
            {
                bridge.Pump();
                host.Pause();
                netif.Poll(256);
                tcp.Poll();
                Assert.False(tcp.WasReset || tcp.TimedOut, "connection failed");
                if (tcp.IsEstablished && sent < Size)
                {
                    int length = (int)Math.Min(chunk.Length, Size - sent);
                    StreamPattern.Fill(chunk.AsSpan(0, length), sent);

                    sent += tcp.Write(chunk.AsSpan(0, length));
                }

                int read = tcp.Read(incoming);
                mismatches += StreamPattern.Mismatches(incoming.AsSpan(0, read), echoed);

                echoed += read;
            }

            tcp.Close();
            for (int i = 0; i < 1000 && tcp.State != TcpState.Closed && tcp.State != TcpState.TimeWait; i++)
            {
                bridge.Pump();
                host.Pause();
                netif.Poll(256);
                tcp.Poll();
            }

            Assert.True(echoed == Size, $"echoed {echoed} of {Size}, sent {sent}, state {tcp.State}");
            Assert.Equal(0, mismatches);
            Assert.True(server.Join(TimeSpan.FromSeconds(30)));
            Assert.Null(server.Error);
            Assert.Equal(Size, server.Received);
            Assert.Equal(0UL, nic.Statistics.RxErrors);
        }
    }
}
