// SlirpNetwork against libslirp 4.7.0 with hand-built frames: the struct layouts of libslirp.h, ARP
// (RFC 826) for the gateway, DHCP (RFC 2131) DISCOVER/OFFER/REQUEST/ACK with options 1, 3 and 6
// (RFC 2132), a TCP (RFC 793) connection from the guest to a loopback listener through 10.0.2.2,
// the bounded to-guest queue, callback errors, and the single-threaded guard. Host sockets are on
// 127.0.0.1 only; every wait has a deadline.
using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Bootstage.Net.Slirp.Tests
{
    [Collection(SlirpCollection.Name)]
    public class SlirpNetworkTests
    {
        private static readonly byte[] Gateway = Packets.Ip("10.0.2.2");
        private static readonly byte[] Dns = Packets.Ip("10.0.2.3");
        private static readonly byte[] GuestIp = Packets.Ip("10.0.2.15");

        [Fact]
        public void The_library_is_libslirp_4_7_0()
        {
            Assert.Equal("4.7.0", SlirpNetwork.LibraryVersion);
        }

        [Fact]
        public void Struct_layouts_match_the_header_on_x86_64()
        {
            // offsetof() values of libslirp.h 4.7.0 compiled for x86-64 System V.
            Assert.Equal(184, Marshal.SizeOf<SlirpConfig>());
            Assert.Equal(88, Marshal.SizeOf<SlirpCb>());
            Assert.Equal(8, Marshal.SizeOf<PollFd>());
            (string Field, int Offset)[] expected =
            {
                ("Version", 0), ("Restricted", 4), ("InEnabled", 8), ("VNetwork", 12), ("VNetmask", 16), ("VHost", 20),
                ("In6Enabled", 24), ("VPrefixAddr6", 28), ("VPrefixLen", 44), ("VHost6", 48), ("VHostname", 64),
                ("TftpServerName", 72), ("TftpPath", 80), ("Bootfile", 88), ("VDhcpStart", 96), ("VNameserver", 100),
                ("VNameserver6", 104), ("VDnsSearch", 120), ("VDomainName", 128), ("IfMtu", 136), ("IfMru", 144),
                ("DisableHostLoopback", 152), ("EnableEmu", 153), ("OutboundAddr", 160), ("OutboundAddr6", 168),
                ("DisableDns", 176), ("DisableDhcp", 177),
            };
            foreach ((string field, int offset) in expected)
            {
                Assert.True(offset == (int)Marshal.OffsetOf<SlirpConfig>(field), $"{field} at {Marshal.OffsetOf<SlirpConfig>(field)}, header says {offset}");
            }

            Assert.Equal(80, (int)Marshal.OffsetOf<SlirpCb>("TimerNewOpaque"));
        }

        [Fact]
        public void Arp_request_for_the_gateway_gets_a_reply_with_slirps_mac()
        {
            using SlirpNetwork network = new SlirpNetwork();
            TestGuest guest = new TestGuest(network);
            guest.Send(Packets.ArpRequest(guest.Mac, guest.Ip, Gateway));
            Parsed reply = guest.WaitFor(f => f.IsArp && f.ArpOperation == 2, "an ARP reply");

            Assert.Equal(Gateway, reply.ArpSenderIp);
            Assert.Equal(guest.Mac, reply.ArpTargetMac);
            Assert.Equal(guest.Ip, reply.ArpTargetIp);
            Assert.Equal(guest.Mac, reply.Destination);
            Assert.Equal(reply.ArpSenderMac, reply.Source);
            Assert.NotEqual(new byte[6], reply.ArpSenderMac);
            Assert.Equal(0, reply.ArpSenderMac[0] & 1); // unicast
            Assert.Equal(1, network.FramesFromGuest);
            Assert.Equal(0, network.ToGuestDropped);

            // The DNS forwarder's address answers too, from the same kind of virtual MAC.
            guest.Send(Packets.ArpRequest(guest.Mac, guest.Ip, Dns));
            Parsed dns = guest.WaitFor(f => f.IsArp && f.ArpOperation == 2 && f.ArpSenderIp.AsSpan().SequenceEqual(Dns), "an ARP reply for 10.0.2.3");
            Assert.Equal(guest.Mac, dns.ArpTargetMac);
        }

        [Fact]
        public void Dhcp_discover_gets_an_offer_of_10_0_2_15_and_request_gets_ack()
        {
            using SlirpNetwork network = new SlirpNetwork(new SlirpOptions { BootFile = "bootstage.efi" });
            TestGuest guest = new TestGuest(network);
            byte[] any = Packets.Ip("0.0.0.0");
            byte[] all = Packets.Ip("255.255.255.255");
            const uint xid = 0x2A2B2C2D;

            guest.Send(Packets.Ethernet(Packets.Broadcast, guest.Mac, EtherTypes.Ipv4,
                Packets.Udp(any, all, 68, 67, Packets.Dhcp(1, xid, guest.Mac))));
            Parsed offerFrame = guest.WaitFor(f => f.IsUdp && f.SourcePort == 67 && f.DestinationPort == 68, "a DHCP OFFER");
            Assert.True(offerFrame.IpChecksumValid);
            Assert.True(offerFrame.TransportChecksumValid);
            Assert.Equal(Gateway, offerFrame.SourceIp);
            DhcpMessage offer = new DhcpMessage(offerFrame.Payload);
            Assert.Equal(2, offer.Operation);
            Assert.Equal(2, offer.MessageType);
            Assert.Equal(xid, offer.TransactionId);
            Assert.Equal(guest.Mac, offer.ClientMac);
            Assert.Equal(GuestIp, offer.YourAddress);
            Assert.Equal(Packets.Ip("255.255.255.0"), offer.Options[1]);
            Assert.Equal(Gateway, offer.Options[3]);
            Assert.Equal(Dns, offer.Options[6]);
            Assert.True(offer.Options.ContainsKey(54), "server identifier");
            Assert.True(offer.Options.ContainsKey(51), "lease time");
            Assert.Equal("bootstage.efi", offer.BootFile);

            guest.Send(Packets.Ethernet(Packets.Broadcast, guest.Mac, EtherTypes.Ipv4,
                Packets.Udp(any, all, 68, 67, Packets.Dhcp(3, xid + 1, guest.Mac, (50, offer.YourAddress), (54, offer.Options[54])))));
            Parsed ackFrame = guest.WaitFor(f => f.IsUdp && f.SourcePort == 67 && f.DestinationPort == 68, "a DHCP ACK");
            DhcpMessage ack = new DhcpMessage(ackFrame.Payload);
            Assert.Equal(5, ack.MessageType);
            Assert.Equal(xid + 1, ack.TransactionId);
            Assert.Equal(GuestIp, ack.YourAddress);
            Assert.Equal(Gateway, ack.Options[3]);
            Assert.Equal(Dns, ack.Options[6]);
        }

        [Fact]
        public void Tcp_to_10_0_2_2_reaches_a_loopback_listener_byte_exact()
        {
            TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                ushort port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
                using SlirpNetwork network = new SlirpNetwork();
                TestGuest guest = new TestGuest(network);
                guest.Send(Packets.ArpRequest(guest.Mac, guest.Ip, Gateway));
                byte[] gatewayMac = guest.WaitFor(f => f.IsArp && f.ArpOperation == 2, "the gateway's ARP reply").ArpSenderMac;

                const ushort guestPort = 49152;
                const uint isn = 0x1000_0000;
                guest.Send(Packets.Ethernet(gatewayMac, guest.Mac, EtherTypes.Ipv4,
                    Packets.Tcp(guest.Ip, Gateway, guestPort, port, isn, 0, TcpFlags.Syn, default, mss: 1460)));
                Parsed synAck = guest.WaitFor(f => f.IsTcp && f.SourcePort == port && f.DestinationPort == guestPort, "a SYN-ACK");
                Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst));
                Assert.Equal(isn + 1, synAck.Acknowledgment);
                Assert.Equal(Gateway, synAck.SourceIp);
                Assert.Equal(guest.Ip, synAck.DestinationIp);
                Assert.Equal(guest.Mac, synAck.Destination);
                Assert.True(synAck.IpChecksumValid);
                Assert.True(synAck.TransportChecksumValid);

                Socket? accepted = null;
                guest.PollUntil(() => listener.Pending(), "the listener to see the connection");
                accepted = listener.AcceptSocket();
                using Socket host = accepted;
                Assert.Equal(IPAddress.Loopback, ((IPEndPoint)host.RemoteEndPoint!).Address);

                uint serverNext = synAck.Sequence + 1;
                guest.Send(Packets.Ethernet(gatewayMac, guest.Mac, EtherTypes.Ipv4,
                    Packets.Tcp(guest.Ip, Gateway, guestPort, port, isn + 1, serverNext, TcpFlags.Ack, default)));
                byte[] payload = Encoding.ASCII.GetBytes("GET /bootstage HTTP/1.0\r\n\r\n");
                guest.Send(Packets.Ethernet(gatewayMac, guest.Mac, EtherTypes.Ipv4,
                    Packets.Tcp(guest.Ip, Gateway, guestPort, port, isn + 1, serverNext, TcpFlags.Psh | TcpFlags.Ack, payload)));

                byte[] received = new byte[payload.Length];
                int got = 0;
                guest.PollUntil(() =>
                {
                    if (host.Available > 0)
                    {
                        got += host.Receive(received, got, received.Length - got, SocketFlags.None);
                    }

                    return got == payload.Length;
                }, "the payload at the host socket");
                Assert.Equal(payload, received);

                // slirp acknowledges the segment (possibly delayed by its fast timer).
                Parsed ack = guest.WaitFor(f => f.IsTcp && f.SourcePort == port && (f.Flags & TcpFlags.Ack) != 0 && f.Acknowledgment == isn + 1 + (uint)payload.Length,
                    "the ACK of the payload");
                Assert.Equal(0, (int)(ack.Flags & (TcpFlags.Rst | TcpFlags.Syn)));

                // And the other way: bytes the host writes reach the guest in one segment.
                byte[] answer = Encoding.ASCII.GetBytes("HTTP/1.0 200 OK\r\n\r\n");
                host.Send(answer);
                Parsed data = guest.WaitFor(f => f.IsTcp && f.SourcePort == port && f.Payload.Length > 0, "data from the host");
                Assert.Equal(serverNext, data.Sequence);
                Assert.Equal(answer, data.Payload);
                Assert.True(data.TransportChecksumValid);
                Assert.Equal(0, network.ToGuestDropped);
            }
            finally
            {
                listener.Stop();
            }
        }

        [Fact]
        public void A_full_queue_drops_and_counts_frames()
        {
            using SlirpNetwork network = new SlirpNetwork(new SlirpOptions { QueueCapacity = 2 });
            TestGuest guest = new TestGuest(network);
            for (int i = 0; i < 5; i++)
            {
                guest.Send(Packets.ArpRequest(guest.Mac, guest.Ip, Gateway));
            }

            Assert.Equal(2, network.ToGuestCount);
            Assert.Equal(2, network.FramesToGuest);
            Assert.Equal(3, network.ToGuestDropped);
            Assert.Equal(3, network.ToGuestQueue.DroppedFull);

            byte[] small = new byte[10];
            Assert.False(network.TryTakeToGuest(small, out int needed));
            Assert.True(needed > small.Length);
            Assert.Equal(2, network.ToGuestCount);
            byte[] buffer = new byte[network.MaxFrameSize];
            Assert.True(network.TryTakeToGuest(buffer, out int length));
            Assert.Equal(needed, length);
        }

        [Fact]
        public void An_exception_in_a_callback_surfaces_from_the_call_not_in_native_code()
        {
            bool fail = false;
            long now = 5_000_000_000L;
            using SlirpNetwork network = new SlirpNetwork(new SlirpOptions
            {
                ClockNs = () => fail ? throw new TimeoutException("clock broke") : now,
            });
            network.Poll(0);
            fail = true;
            InvalidOperationException error = Assert.Throws<InvalidOperationException>(() =>
            {
                // The clock is read by slirp's poll step; a few turns make sure it is asked.
                for (int i = 0; i < 10; i++)
                {
                    network.Poll(0);
                }
            });
            Assert.IsType<TimeoutException>(error.InnerException);
            fail = false;
            network.Poll(0);
        }

        [Fact]
        public void Poll_honours_its_timeout_when_nothing_happens()
        {
            using SlirpNetwork network = new SlirpNetwork();
            Stopwatch clock = Stopwatch.StartNew();
            Assert.Equal(0, network.Poll(0));
            Assert.True(clock.ElapsedMilliseconds < 1000);
            clock.Restart();
            network.Poll(50);
            Assert.True(clock.ElapsedMilliseconds < 2000, $"Poll(50) took {clock.ElapsedMilliseconds} ms");
            Assert.Throws<ArgumentOutOfRangeException>(() => network.Poll(-1));
        }

        [Fact]
        public void Options_are_checked()
        {
            Assert.Throws<ArgumentException>(() => new SlirpNetwork(new SlirpOptions { Host = IPAddress.IPv6Loopback }));
            Assert.Throws<ArgumentOutOfRangeException>(() => new SlirpNetwork(new SlirpOptions { Mtu = 10 }));
        }
    }
}
