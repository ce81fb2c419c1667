// 64 MiB each way through the whole Hyper-V path (our TCP, the netvsc driver, the host model's
// netvsc backend, libslirp, a host socket): the upload on a link with 2% loss plus reordering
// between the backend and slirp, the download on a clean link.
using System;
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

        private static NetInterface Configure(NetVscDevice nic)
        {
            NetInterface netif = new NetInterface(nic, new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), default);
            return netif;
        }

        private static Action Step(SlirpNetVscBridge bridge, HyperVHost host, NetInterface netif, TcpConnection tcp)
        {
            return () =>
            {
                bridge.Pump();
                host.Pause();
                netif.Poll(256);
                tcp.Poll();
            };
        }

        [Fact]
        public void Upload_of_64_MiB_through_netvsc_with_loss_and_reordering_is_byte_exact()
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            FaultProfile faults = new FaultProfile { Loss = 0.02, Reorder = 0.02, ReorderDepth = 3 };
            FaultyLink link = new FaultyLink(slirp, 5, toNetwork: faults, toGuest: faults);
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            NetVscDevice nic = HyperVNic.BringUp(host, link, Mac, out SlirpNetVscBridge bridge);
            NetInterface netif = Configure(nic);
            using HostServer server = HostServer.Receiving();

            TcpConnection tcp = new TcpConnection(netif);
            tcp.Connect(new Ipv4Address(10, 0, 2, 2), server.Port, 44000, 0x7777);
            long sent = GuestStream.Upload(tcp, Size, Step(bridge, host, netif, tcp), TimeSpan.FromMinutes(5));

            Assert.True(server.Join(TimeSpan.FromSeconds(30)), "host side did not see the end of the stream");
            Assert.Null(server.Error);
            Assert.True(sent == Size && server.Received == Size, $"sent {sent}, host received {server.Received}; state {tcp.State}");
            Assert.Equal(0, server.Mismatches);
            Assert.True(tcp.Counters.Retransmits > 0);
            Assert.True(link.ToNetworkCounters.Lost > 0 && link.ToNetworkCounters.Reordered > 0);
        }

        [Fact]
        public void Download_of_64_MiB_through_netvsc_is_byte_exact()
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            NetVscDevice nic = HyperVNic.BringUp(host, slirp, Mac, out SlirpNetVscBridge bridge);
            NetInterface netif = Configure(nic);
            using HostServer server = HostServer.Sending(Size);

            TcpConnection tcp = new TcpConnection(netif);
            tcp.Connect(new Ipv4Address(10, 0, 2, 2), server.Port, 44001, 0x8888);
            (long received, long mismatches) = GuestStream.Download(tcp, Step(bridge, host, netif, tcp), TimeSpan.FromMinutes(5));

            Assert.True(received == Size, $"received {received} of {Size}; state {tcp.State}");
            Assert.Equal(0, mismatches);
            Assert.Equal(0UL, nic.Statistics.RxErrors);
        }
    }
}
