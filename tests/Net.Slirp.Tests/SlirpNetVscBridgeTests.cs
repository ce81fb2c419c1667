// SlirpNetVscBridge end to end: our NetVSC driver (Drivers.HyperV) on the Hyper-V host model, whose
// netvsc backend has libslirp as its layer-2 endpoint. Frames the driver transmits reach slirp; what
// slirp answers comes back through NetVscBackend.DeliverToGuest into the driver's receive path
// (ARP, RFC 826; DHCP, RFC 2131). Also the bridge's refusal to pump without a backend.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.NetVsc;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.Drivers.Net;
using Bootstage.HyperV.HostModel;
using HvStatus = Bootstage.Drivers.HyperV.Hypervisor.HvStatus;

namespace Bootstage.Net.Slirp.Tests
{
    [Collection(SlirpCollection.Name)]
    public class SlirpNetVscBridgeTests
    {
        private static readonly Guid NetworkClass = new Guid("f8615163-df3e-46c5-913f-f2d2f965ed0e");

        private sealed class Collector : IFrameSink
        {
            public List<Parsed> Frames { get; } = new();

            public void Receive(NetDevice device, ReadOnlySpan<byte> frame) => Frames.Add(new Parsed(frame.ToArray()));
        }

        /// <summary>Host model + netvsc backend bridged to slirp + our driver, brought up.</summary>
        private sealed class Setup : IDisposable
        {
            public Setup()
            {
                Network = new SlirpNetwork();
                Host = new HyperVHost(HostProfile.WS2016);
                Bridge = new SlirpNetVscBridge(Network);
                Backend = new NetVscBackend(Host, Bridge);
                Bridge.Backend = Backend;
                Host.AddChannel(NetworkClass, Guid.NewGuid(), Backend);
                HvHypervisor hypervisor = new HvHypervisor(Host);
                Assert.Equal(HvStatus.Success, hypervisor.Initialize());
                VmBusConnection connection = new VmBusConnection(hypervisor);
                Assert.Equal(HvStatus.Success, connection.Connect());
                Assert.Equal(HvStatus.Success, connection.RequestOffers());
                VmBusBus bus = new VmBusBus(connection);
                Driver = new NetVscDriver();
                bus.Register(Driver);
                Assert.Equal(1, bus.ProbeAll());
            }

            public SlirpNetwork Network { get; }

            public HyperVHost Host { get; }

            public SlirpNetVscBridge Bridge { get; }

            public NetVscBackend Backend { get; }

            public NetVscDriver Driver { get; }

            public NetVscDevice Device => Driver.Device(0);

            public byte[] Mac => Backend.MacAddress;

            public void Transmit(byte[] frame)
            {
                Assert.Equal(NetStatus.Success, Device.Transmit(frame));
                Host.RunHost();
            }

            /// <summary>Pumps slirp into the backend and polls the driver until <paramref name="match"/> arrives.</summary>
            public Parsed WaitFor(Collector collector, Func<Parsed, bool> match, string what)
            {
                Stopwatch clock = Stopwatch.StartNew();
                for (int turn = 0; turn < 10_000 && clock.ElapsedMilliseconds < 5000; turn++)
                {
                    Bridge.Pump(turn == 0 ? 0 : 5);
                    Host.RunHost();
                    Device.Poll(collector, 64);
                    Parsed? found = collector.Frames.Find(f => match(f));
                    if (found != null)
                    {
                        return found;
                    }
                }

                Assert.Fail($"timed out waiting for {what}; the driver received {collector.Frames.Count} frames, " +
                    $"the bridge delivered {Bridge.FramesToGuest}, the backend dropped {Backend.Counters.FramesDropped}");
                throw new InvalidOperationException("unreachable");
            }

            public void Dispose()
            {
                Host.Dispose();
                Network.Dispose();
            }
        }

        [Fact]
        public void An_arp_request_the_driver_transmits_is_answered_by_slirp_through_the_backend()
        {
            using Setup setup = new Setup();
            Assert.True(setup.Device.IsOpen);
            setup.Transmit(Packets.ArpRequest(setup.Mac, Packets.Ip("10.0.2.15"), Packets.Ip("10.0.2.2")));
            Assert.Equal(1, setup.Bridge.FramesFromGuest);
            Assert.Equal(1, setup.Network.FramesFromGuest);

            Collector collector = new Collector();
            Parsed reply = setup.WaitFor(collector, f => f.IsArp && f.ArpOperation == 2, "the ARP reply");
            Assert.Equal(Packets.Ip("10.0.2.2"), reply.ArpSenderIp);
            Assert.Equal(setup.Mac, reply.ArpTargetMac);
            Assert.Equal(setup.Mac, reply.Destination);
            Assert.Equal(1, setup.Bridge.FramesToGuest);
            Assert.Equal(0, setup.Backend.Counters.FramesDropped);
        }

        [Fact]
        public void A_dhcp_discover_through_netvsc_gets_an_offer()
        {
            using Setup setup = new Setup();
            const uint xid = 0x0B007000;
            setup.Transmit(Packets.Ethernet(Packets.Broadcast, setup.Mac, EtherTypes.Ipv4,
                Packets.Udp(Packets.Ip("0.0.0.0"), Packets.Ip("255.255.255.255"), 68, 67, Packets.Dhcp(1, xid, setup.Mac))));
            Collector collector = new Collector();
            Parsed offerFrame = setup.WaitFor(collector, f => f.IsUdp && f.SourcePort == 67, "the DHCP OFFER");
            DhcpMessage offer = new DhcpMessage(offerFrame.Payload);
            Assert.Equal(2, offer.MessageType);
            Assert.Equal(xid, offer.TransactionId);
            Assert.Equal(Packets.Ip("10.0.2.15"), offer.YourAddress);
        }

        [Fact]
        public void Pumping_needs_a_backend_and_frames_wait_until_one_is_set()
        {
            using SlirpNetwork network = new SlirpNetwork();
            SlirpNetVscBridge bridge = new SlirpNetVscBridge(network);
            bridge.FrameFromGuest(Packets.ArpRequest(TestGuest.DefaultMac, Packets.Ip("10.0.2.15"), Packets.Ip("10.0.2.2")));
            Assert.Throws<InvalidOperationException>(() => bridge.Pump());
            Assert.Equal(1, network.ToGuestCount);

            // A backend whose guest never opened the channel drops what it is given (and counts it).
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            NetVscBackend backend = new NetVscBackend(host, bridge);
            bridge.Backend = backend;
            Assert.Equal(1, bridge.Pump());
            Assert.Equal(1, backend.Counters.FramesDropped);
            Assert.Equal(0, network.ToGuestCount);
        }
    }
}
