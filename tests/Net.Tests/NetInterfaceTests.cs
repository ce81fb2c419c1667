// The interface layer of the stack with a scripted device: ARP answers and resolution with
// retries, IPv4 validation (checksum, fragments), ICMP echo, UDP dispatch and checksums.
using System;
using System.Buffers.Binary;
using System.Linq;
using Bootstage.Net;

namespace Bootstage.Net.Tests
{
    public class NetInterfaceTests
    {
        private const uint Ours = 0x0A00020F;   // 10.0.2.15
        private const uint Peer = 0x0A000202;   // 10.0.2.2
        private const uint Far = 0x08080808;    // off-link

        private sealed class Recorder : IUdpReceiver
        {
            public byte[]? Payload;
            public Ipv4Address From;
            public ushort FromPort;

            public void Receive(NetInterface source, Ipv4Address from, ushort fromPort, ushort toPort, ReadOnlySpan<byte> payload)
            {
                Payload = payload.ToArray();
                From = from;
                FromPort = fromPort;
            }
        }

        private static (ScriptedDevice Device, ManualClock Clock, NetInterface Interface) Configured()
        {
            ScriptedDevice device = new ScriptedDevice(Frames.OurMac);
            ManualClock clock = new ManualClock { Milliseconds = 1000 };
            NetInterface netif = new NetInterface(device, clock);
            netif.Configure(new Ipv4Address(Ours), new Ipv4Address(0xFFFFFF00), new Ipv4Address(Peer), new Ipv4Address(0x0A000203));
            return (device, clock, netif);
        }

        [Fact]
        public void Configuring_an_address_announces_it_with_a_gratuitous_arp()
        {
            (ScriptedDevice device, _, _) = Configured();
            byte[] frame = Assert.Single(device.Sent);
            Assert.Equal(0x0806, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)));
            Assert.Equal(Ours, BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(28)));
            Assert.Equal(Ours, BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(38)));
            Assert.Equal(60, frame.Length);
        }

        [Fact]
        public void An_arp_request_for_our_address_gets_a_reply_with_our_mac()
        {
            (ScriptedDevice device, _, NetInterface netif) = Configured();
            device.Sent.Clear();
            device.Inject(Frames.Arp(1, Frames.PeerMac, Peer, new byte[6], Ours, new byte[] { 255, 255, 255, 255, 255, 255 }));
            netif.Poll();
            byte[] reply = Assert.Single(device.Sent);
            Assert.Equal(Frames.PeerMac, reply.AsSpan(0, 6).ToArray());
            Assert.Equal(2, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(20)));
            Assert.Equal(Frames.OurMac, reply.AsSpan(22, 6).ToArray());
            Assert.Equal(Peer, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(38)));
        }

        [Fact]
        public void A_datagram_to_an_unresolved_host_waits_for_arp_and_goes_out_after_the_reply()
        {
            (ScriptedDevice device, ManualClock clock, NetInterface netif) = Configured();
            device.Sent.Clear();
            Assert.Equal(Drivers.Net.NetStatus.Success, netif.SendUdp(new Ipv4Address(Peer), 1000, 2000, new byte[] { 1, 2, 3 }));
            byte[] request = Assert.Single(device.Sent);
            Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(20)));
            Assert.Equal(Peer, BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(38)));
            device.Inject(Frames.Arp(2, Frames.PeerMac, Peer, Frames.OurMac, Ours, Frames.OurMac));
            netif.Poll();
            byte[] datagram = device.Sent.Last();
            Assert.Equal(Frames.PeerMac, datagram.AsSpan(0, 6).ToArray());
            Assert.Equal(0x0800, BinaryPrimitives.ReadUInt16BigEndian(datagram.AsSpan(12)));
            Assert.Equal(0, Frames.Checksum(datagram.AsSpan(14, 20)));
        }

        [Fact]
        public void Off_link_destinations_are_resolved_through_the_gateway()
        {
            (ScriptedDevice device, _, NetInterface netif) = Configured();
            device.Sent.Clear();
            netif.SendUdp(new Ipv4Address(Far), 1000, 53, new byte[] { 9 });
            Assert.Equal(Peer, BinaryPrimitives.ReadUInt32BigEndian(device.Sent.Single().AsSpan(38)));
        }

        [Fact]
        public void Arp_is_retried_then_the_waiting_datagram_is_dropped_and_counted()
        {
            (ScriptedDevice device, ManualClock clock, NetInterface netif) = Configured();
            device.Sent.Clear();
            netif.SendUdp(new Ipv4Address(Peer), 1000, 2000, new byte[] { 1 });
            for (int i = 0; i < 5; i++)
            {
                clock.Milliseconds += NetInterface.ArpRetryMs;
                netif.Poll();
            }

            Assert.Equal(NetInterface.ArpAttempts, device.Sent.Count);
            Assert.Equal(1UL, netif.Counters.ArpFailures);
        }

        [Fact]
        public void Udp_datagrams_reach_the_bound_port_and_bad_checksums_do_not()
        {
            (ScriptedDevice device, _, NetInterface netif) = Configured();
            Recorder recorder = new Recorder();
            netif.BindUdp(4000, recorder);
            device.Inject(Frames.Udp(Peer, Ours, 5000, 4000, new byte[] { 7, 8, 9 }));
            netif.Poll();
            Assert.Equal(new byte[] { 7, 8, 9 }, recorder.Payload);
            Assert.Equal(new Ipv4Address(Peer), recorder.From);
            Assert.Equal(5000, recorder.FromPort);

            byte[] corrupt = Frames.Udp(Peer, Ours, 5000, 4000, new byte[] { 1, 1, 1 });
            corrupt[^1] ^= 0xFF;
            recorder.Payload = null;
            device.Inject(corrupt);
            device.Inject(Frames.Udp(Peer, Ours, 5000, 4001, new byte[] { 1 }));
            netif.Poll();
            Assert.Null(recorder.Payload);
            Assert.Equal(1UL, netif.Counters.ChecksumErrors);
            Assert.Equal(1UL, netif.Counters.UdpNoListener);
        }

        [Fact]
        public void Ip_header_errors_and_fragments_are_dropped_and_counted()
        {
            (ScriptedDevice device, _, NetInterface netif) = Configured();
            byte[] badHeader = Frames.Udp(Peer, Ours, 1, 2, new byte[4]);
            badHeader[24] ^= 0x55;
            device.Inject(badHeader);
            device.Inject(Frames.Ipv4(17, Peer, Ours, new byte[16], flagsAndOffset: 0x2000));
            device.Inject(Frames.Ipv4(17, Peer, Ours, new byte[16], flagsAndOffset: 0x0010));
            device.Inject(new byte[10]);
            netif.Poll();
            Assert.Equal(1UL, netif.Counters.ChecksumErrors);
            Assert.Equal(2UL, netif.Counters.FragmentsDropped);
            Assert.Equal(1UL, netif.Counters.Malformed);
        }

        [Fact]
        public void An_echo_request_is_answered_with_the_same_identifier_sequence_and_data()
        {
            (ScriptedDevice device, _, NetInterface netif) = Configured();
            device.Inject(Frames.Arp(2, Frames.PeerMac, Peer, Frames.OurMac, Ours, Frames.OurMac));
            netif.Poll();
            device.Sent.Clear();
            byte[] echo = { 8, 0, 0, 0, 0x12, 0x34, 0x00, 0x07, (byte)'p', (byte)'i', (byte)'n', (byte)'g' };
            BinaryPrimitives.WriteUInt16BigEndian(echo.AsSpan(2), Frames.Checksum(echo));
            device.Inject(Frames.Ipv4(1, Peer, Ours, echo));
            netif.Poll();
            byte[] reply = Assert.Single(device.Sent);
            Span<byte> icmp = reply.AsSpan(34, echo.Length);
            Assert.Equal(0, icmp[0]);
            Assert.Equal(0, Frames.Checksum(icmp));
            Assert.Equal(echo.AsSpan(4).ToArray(), icmp.Slice(4).ToArray());
            Assert.Equal(Peer, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(30)));
            Assert.Equal(1UL, netif.Counters.IcmpEchoReplies);
        }

        [Theory]
        [InlineData("10.0.2.15", 0x0A00020Fu)]
        [InlineData("255.255.255.0", 0xFFFFFF00u)]
        [InlineData("0.0.0.0", 0u)]
        public void Dotted_quads_parse_and_format_round_trip(string text, uint value)
        {
            Assert.True(Ipv4Address.TryParse(System.Text.Encoding.ASCII.GetBytes(text), out Ipv4Address address));
            Assert.Equal(value, address.Value);
            byte[] formatted = new byte[15];
            int length = address.Format(formatted);
            Assert.Equal(text, System.Text.Encoding.ASCII.GetString(formatted, 0, length));
        }

        [Theory]
        [InlineData("10.0.2")]
        [InlineData("10.0.2.256")]
        [InlineData("10.0.2.15.1")]
        [InlineData("a.b.c.d")]
        public void Malformed_dotted_quads_are_refused(string text)
        {
            Assert.False(Ipv4Address.TryParse(System.Text.Encoding.ASCII.GetBytes(text), out _));
        }
    }
}
