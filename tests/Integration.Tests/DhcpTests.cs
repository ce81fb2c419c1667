// DHCP against libslirp's server: directly, and through the netvsc driver and the Hyper-V host
// model's netvsc backend bridged to slirp (netvsc → stack → slirp).
using System;
using System.Diagnostics;
using Bootstage.Drivers.HyperV.NetVsc;
using Bootstage.Drivers.Net;
using Bootstage.HyperV.HostModel;
using Bootstage.Net;
using Bootstage.Net.Dhcp;
using Bootstage.Net.Slirp;

namespace Bootstage.Integration.Tests
{
    public class DhcpTests
    {
        private static readonly byte[] Mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

        private static void RunUntilDone(NetInterface netif, DhcpClient dhcp, Action? pump = null)
        {
            Stopwatch deadline = Stopwatch.StartNew();
            while (!dhcp.IsDone && deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                pump?.Invoke();
                netif.Poll();
                dhcp.Poll();
            }

            Assert.True(dhcp.IsDone, $"DHCP still {dhcp.State} after 20 s");
        }

        private static void AssertSlirpLease(DhcpClient dhcp, NetInterface netif)
        {
            Assert.Equal(DhcpState.Bound, dhcp.State);
            Assert.Equal(new Ipv4Address(10, 0, 2, 15), dhcp.Lease.Address);
            Assert.Equal(new Ipv4Address(255, 255, 255, 0), dhcp.Lease.Netmask);
            Assert.Equal(new Ipv4Address(10, 0, 2, 2), dhcp.Lease.Router);
            Assert.Equal(new Ipv4Address(10, 0, 2, 3), dhcp.Lease.Dns);
            Assert.Equal(new Ipv4Address(10, 0, 2, 2), dhcp.Lease.Server);
            Assert.True(dhcp.Lease.LeaseSeconds > 0);
            Assert.Equal(dhcp.Lease.Address, netif.Address);
            Assert.Equal(dhcp.Lease.Router, netif.Gateway);
            // The first offer is taken at once: one DISCOVER, one REQUEST, no ProxyDHCP wait.
            Assert.Equal(1UL, dhcp.DiscoversSent);
            Assert.Equal(1UL, dhcp.RequestsSent);
        }

        [Fact]
        public void Lease_from_slirp_carries_address_mask_router_and_dns()
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            SlirpNetDevice device = new SlirpNetDevice(slirp, Mac);
            NetInterface netif = new NetInterface(device, new WallClock());
            DhcpClient dhcp = new DhcpClient(netif, 0x1234);
            dhcp.Start();
            RunUntilDone(netif, dhcp);
            AssertSlirpLease(dhcp, netif);
        }

        [Theory]
        [InlineData(HostProfile.WS2016)]
        [InlineData(HostProfile.WS2019)]
        [InlineData(HostProfile.WS2022)]
        public void Lease_through_netvsc_and_the_host_model_bridged_to_slirp(HostProfile profile)
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            using HyperVHost host = new HyperVHost(profile);
            NetVscDevice nic = HyperVNic.BringUp(host, slirp, Mac, out SlirpNetVscBridge bridge);
            Assert.Equal(MacAddress.Read(Mac), nic.Mac);

            NetInterface netif = new NetInterface(nic, new WallClock());
            DhcpClient dhcp = new DhcpClient(netif, 0x5678);
            dhcp.Start();
            RunUntilDone(netif, dhcp, () =>
            {
                bridge.Pump();
                host.Pause();
            });
            AssertSlirpLease(dhcp, netif);
            Assert.True(nic.Statistics.RxFrames >= 2);
        }
    }
}
