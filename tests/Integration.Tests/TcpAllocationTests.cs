// The stack allocates nothing per segment: a steady-state download through TCP, IPv4 and the
// interface (over slirp, whose binding is allocation-free on this path) is measured with the
// thread's allocation counter after warm-up.
using System;
using System.Diagnostics;
using Bootstage.Net;
using Bootstage.Net.Slirp;
using Bootstage.Net.Tcp;

namespace Bootstage.Integration.Tests
{
    public class TcpAllocationTests
    {
        [Fact]
        public void Steady_state_tcp_receive_allocates_nothing_per_segment()
        {
            const long size = 48 << 20;
            using SlirpNetwork slirp = new SlirpNetwork();
            NetInterface netif = new NetInterface(new SlirpNetDevice(slirp, new byte[] { 0x52, 0x54, 0, 5, 5, 5 }), new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), default);
            using HostServer server = HostServer.Sending(size);

            TcpConnection tcp = new TcpConnection(netif);
            tcp.Connect(new Ipv4Address(10, 0, 2, 2), server.Port, 43000, 0x2000);
            byte[] buffer = new byte[128 * 1024];
            long received = 0;
            long measured = -1;
            long measuredFrom = 0;
            long before = 0;
            Stopwatch deadline = Stopwatch.StartNew();
            while (!tcp.RemoteClosed && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                netif.Poll(256);
                tcp.Poll();
                received += tcp.Read(buffer);
                if (measuredFrom == 0 && received >= 16 << 20)
                {
                    measuredFrom = received;
                    before = GC.GetAllocatedBytesForCurrentThread();
                }
                else if (measured < 0 && received >= 40 << 20)
                {
                    measured = GC.GetAllocatedBytesForCurrentThread() - before;
                    measuredFrom = received - measuredFrom;
                }
            }

            Assert.Equal(size, received);
            Assert.True(measuredFrom >= 20 << 20, $"measured over {measuredFrom} bytes");
            Assert.Equal(0, measured);
        }
    }
}
