// ICMP echo (ping) from our stack to slirp's gateway.
using System.Diagnostics;
using Bootstage.Net;
using Bootstage.Net.Slirp;

namespace Bootstage.Integration.Tests
{
    public class PingTests
    {
        [Fact]
        public void The_gateway_answers_our_echo_request()
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            NetInterface netif = new NetInterface(new SlirpNetDevice(slirp, new byte[] { 0x52, 0x54, 0, 9, 8, 7 }), new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), default);
            Assert.Equal(Drivers.Net.NetStatus.Success, netif.SendEchoRequest(new Ipv4Address(10, 0, 2, 2), 0x4242, 7, new byte[] { 1, 2, 3, 4 }));
            Stopwatch deadline = Stopwatch.StartNew();
            while (netif.Counters.IcmpEchoRepliesReceived == 0 && deadline.ElapsedMilliseconds < 10000)
            {
                netif.Poll();
            }

            Assert.Equal(1UL, netif.Counters.IcmpEchoRepliesReceived);
            Assert.Equal(new Ipv4Address(10, 0, 2, 2), netif.LastEchoReplyFrom);
            Assert.Equal(0x4242, netif.LastEchoReplyIdentifier);
            Assert.Equal(7, netif.LastEchoReplySequence);
        }
    }
}
