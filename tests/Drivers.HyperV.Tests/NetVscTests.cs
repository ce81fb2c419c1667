// The netvsc/RNDIS driver against the host model's netvsc backend: bring-up per profile, NVSP
// negotiation, MAC and link, frames both ways byte-exact, several RNDIS messages per packet,
// WS2012R2's malformed status beside data (docs/hyperv.md §10), link changes, reclaim in the middle of
// traffic, close order, and zero allocation per frame in steady state.
using System;
using System.Collections.Generic;
using System.Linq;
using Bootstage.Drivers.HyperV.NetVsc;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.Drivers.Net;
using Bootstage.HyperV.HostModel;
using Bootstage.Platform.Testing;
using HvStatus = Bootstage.Drivers.HyperV.Hypervisor.HvStatus;

namespace Bootstage.Drivers.HyperV.Tests
{
    // Alone: the allocation count of the steady-state test must not share the CPUs with host threads.
    [Collection(SoloCollection.Name)]
    public class NetVscTests
    {
        private sealed class Collector : IFrameSink
        {
            public List<byte[]> Frames { get; } = new();

            public void Receive(NetDevice device, ReadOnlySpan<byte> frame) => Frames.Add(frame.ToArray());
        }

        private sealed class Nic : IDisposable
        {
            public Nic(HostProfile profile = HostProfile.WS2016, NetVscOptions? options = null, int count = 1)
            {
                Guest = new Guest(profile);
                Recorder = new FrameRecorder();
                for (int i = 0; i < count; i++)
                {
                    NetVscBackend backend = new NetVscBackend(Guest.Host, Recorder, options);
                    Backends.Add(backend);
                    Guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid(), backend);
                }

                Guest.BringUp();
                Driver = new NetVscDriver();
                Guest.Bus.Register(Driver);
                Assert.Equal(count, Guest.Bus.ProbeAll());
            }

            public Guest Guest { get; }

            public FrameRecorder Recorder { get; }

            public List<NetVscBackend> Backends { get; } = new();

            public NetVscBackend Backend => Backends[0];

            public NetVscDriver Driver { get; }

            public NetVscDevice Device => Driver.Device(0);

            public void Dispose() => Guest.Dispose();
        }

        private static byte[] Frame(Random random, int length)
        {
            byte[] frame = new byte[length];
            random.NextBytes(frame);
            return frame;
        }

        private static void PollUntil(Nic nic, IFrameSink sink, Func<bool> done)
        {
            for (int spin = 0; spin < 2000 && !done(); spin++)
            {
                nic.Device.Poll(sink, 64);
                nic.Guest.Host.Pause();
            }

            Assert.True(done());
        }

        [Theory]
        [InlineData(NetVscRefusal.Init, NetVscStep.NegotiateNvsp)]
        [InlineData(NetVscRefusal.ReceiveBuffer, NetVscStep.ReceiveBuffer)]
        [InlineData(NetVscRefusal.RndisInitialize, NetVscStep.RndisInitialize)]
        [InlineData(NetVscRefusal.RndisQuery, NetVscStep.QueryMac)]
        [InlineData(NetVscRefusal.RndisSet, NetVscStep.SetPacketFilter)]
        public void A_failed_bring_up_names_its_step_and_releases_channel_gpadls_and_pages(NetVscRefusal refusal, NetVscStep step)
        {
            using Guest guest = new Guest();
            NetVscBackend backend = new NetVscBackend(guest.Host, new FrameRecorder(), new NetVscOptions { Refuse = refusal });
            HostChannel channel = guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid(), backend);
            guest.BringUp();
            int pagesBefore = guest.Host.LivePageRuns;
            NetVscDriver driver = new NetVscDriver();
            guest.Bus.Register(driver);
            Assert.Equal(0, guest.Bus.ProbeAll());

            NetVscDevice device = driver.Device(0);
            Assert.False(device.IsOpen);
            Assert.Equal(step, device.FailedStep);
            Assert.NotEqual("none", Guest.Text(NetVscStepNames.Of(device.FailedStep)));
            Assert.False(channel.IsOpen);
            Assert.Empty(guest.Host.LiveGpadlIds);
            Assert.False(backend.ReceiveBufferRegistered);
            Assert.Equal(pagesBefore, guest.Host.LivePageRuns);
            Assert.False(device.VmBusDevice.Channel.IsOpen);
        }

        [Fact]
        public void A_receive_completion_that_cannot_be_sent_is_retried_until_it_is()
        {
            using Nic nic = new Nic();
            Collector sink = new Collector();
            int total = nic.Backend.ReceiveSubAllocationCount;
            HostChannel channel = nic.Guest.Host.Channels[0];
            nic.Guest.Host.Pause();
            Assert.False(channel.SignalPending);
            Assert.True(channel.CorruptGuestToHostReadIndex(0x7FFFFFF8));
            for (int i = 0; i < 5; i++)
            {
                nic.Backend.DeliverToGuest(Frame(new Random(i), 200));
            }

            PollUntil(nic, sink, () => sink.Frames.Count == 5);
            Assert.True(nic.Backend.Counters.CompletionsOutstanding > 0);

            // The ring is usable again: every completion owed reaches the host, no section leaks.
            Assert.True(channel.RestoreGuestToHostReadIndex());
            PollUntil(nic, sink, () => nic.Backend.Counters.CompletionsOutstanding == 0);
            Assert.Equal(total, nic.Backend.FreeSubAllocations);
            Assert.True(nic.Device.PendingReceiveCompletions == 0);
        }

        [Fact]
        public void A_gpa_direct_packet_of_sixteen_pages_fits_the_descriptor_buffer()
        {
            using Nic nic = new Nic();
            VmBusChannel channel = nic.Device.VmBusDevice.Channel;
            Assert.Equal(Bootstage.Platform.PlatformStatus.Success, nic.Guest.Host.AllocatePages(17, out Bootstage.Platform.PhysicalRegion region));
            byte[] nvsp = new byte[32];
            nvsp[0] = 133;
            Assert.Equal(HvStatus.Success, channel.SendGpaDirect(nvsp, region.PhysicalAddress + 100, 16 * 4096 - 100, 77, requestCompletion: false));
            Assert.Equal(HvStatus.InvalidParameter, channel.SendGpaDirect(nvsp, region.PhysicalAddress + 100, 16 * 4096, 78, requestCompletion: false));
        }

        [Fact]
        public void Nvsp_2_and_later_send_the_ndis_config_before_the_ndis_version()
        {
            using Nic nic = new Nic();
            Assert.True(nic.Device.IsOpen);
            Assert.Equal(NvspProtocol.Version5, nic.Device.NvspVersion);
            Assert.Equal((1514u, 0UL), nic.Backend.NdisConfig);
            List<uint> sent = nic.Backend.NvspMessagesReceived.ToList();
            Assert.True(sent.IndexOf(NvspProtocol.SendNdisConfig) >= 0 && sent.IndexOf(NvspProtocol.SendNdisConfig) < sent.IndexOf(NvspProtocol.SendNdisVersion));
            Assert.Empty(nic.Backend.Violations);
        }

        [Fact]
        public void Rndis_queries_carry_an_information_offset_the_host_accepts()
        {
            using Nic nic = new Nic();
            Assert.True(nic.Device.IsOpen);
            Assert.Equal(MacAddress.Read(nic.Backend.MacAddress), nic.Device.Mac);
            Assert.Empty(nic.Backend.Violations);
        }

        [Theory]
        [InlineData(HostProfile.WS2012R2)]
        [InlineData(HostProfile.WS2016)]
        [InlineData(HostProfile.AzureNC6)]
        [InlineData(HostProfile.WS2019)]
        [InlineData(HostProfile.WS2022)]
        public void Brings_up_the_nic_with_the_host_mac_and_link(HostProfile profile)
        {
            using Nic nic = new Nic(profile);
            NetVscDevice device = nic.Device;
            Assert.True(device.IsOpen);
            Assert.Equal(MacAddress.Read(nic.Backend.MacAddress), device.Mac);
            Assert.Equal(LinkState.Up, device.Link);
            Assert.Equal(NvspMessage.Version5, device.NvspVersion);
            Assert.Equal(((uint)6, (uint)30), nic.Backend.NdisVersion);
            Assert.True(nic.Backend.ReceiveBufferRegistered);
            Assert.True(nic.Backend.RndisInitialized);
            Assert.Equal(0x0Bu, nic.Backend.PacketFilter);
            Assert.StartsWith("netvsc-", Guest.Text(device.Name));
        }

        [Fact]
        public void Nvsp_negotiation_falls_back_to_the_oldest_version_the_host_takes()
        {
            using Nic nic = new Nic(HostProfile.WS2016, new NetVscOptions { NvspVersions = new[] { NvspMessage.Version1 } });
            Assert.True(nic.Device.IsOpen);
            Assert.Equal(NvspMessage.Version1, nic.Device.NvspVersion);
            Assert.Equal(((uint)6, (uint)1), nic.Backend.NdisVersion);
        }

        [Fact]
        public void A_receive_buffer_larger_than_one_gpadl_header_is_registered()
        {
            using Nic nic = new Nic();
            Assert.True(nic.Guest.Host.VmBus.TryGetGpadl(nic.Backend.ReceiveBufferGpadl, out HostGpadl gpadl));
            Assert.Equal(NetVscDevice.ReceiveBufferPages * 4096UL, gpadl.ByteLength);
            Assert.True(gpadl.BodyMessages > 0);
        }

        [Fact]
        public void Frames_travel_both_ways_byte_exact()
        {
            using Nic nic = new Nic();
            Random random = new Random(11);
            List<byte[]> sent = new();
            for (int i = 0; i < 100; i++)
            {
                byte[] frame = Frame(random, random.Next(60, 1515));
                sent.Add(frame);
                NetStatus status = nic.Device.Transmit(frame);
                for (int retry = 0; retry < 100 && status == NetStatus.Busy; retry++)
                {
                    nic.Guest.Host.Pause();
                    nic.Device.Poll(new Collector(), 16);
                    status = nic.Device.Transmit(frame);
                }

                Assert.Equal(NetStatus.Success, status);
            }

            nic.Guest.Host.RunHost();
            Assert.Equal(sent.Count, nic.Recorder.Frames.Count);
            for (int i = 0; i < sent.Count; i++)
            {
                Assert.Equal(sent[i], nic.Recorder.Frames[i]);
            }

            List<byte[]> delivered = new();
            for (int i = 0; i < 100; i++)
            {
                byte[] frame = Frame(random, random.Next(60, 1515));
                delivered.Add(frame);
                nic.Backend.DeliverToGuest(frame);
            }

            Collector collector = new Collector();
            PollUntil(nic, collector, () => collector.Frames.Count == delivered.Count);
            for (int i = 0; i < delivered.Count; i++)
            {
                Assert.Equal(delivered[i], collector.Frames[i]);
            }

            Assert.Equal(100UL, nic.Device.Statistics.TxFrames);
            Assert.Equal(100UL, nic.Device.Statistics.RxFrames);
            Assert.Equal(0UL, nic.Device.Statistics.RxErrors);
        }

        [Fact]
        public void Several_rndis_messages_in_one_packet_are_all_delivered()
        {
            using Nic nic = new Nic();
            int packetsBefore = nic.Backend.Counters.PacketsSent;
            for (int i = 0; i < 8; i++)
            {
                nic.Backend.DeliverToGuest(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0x15, 0x5D, 0, 0, (byte)i, 0x08, 0x00, (byte)i });
            }

            Collector collector = new Collector();
            PollUntil(nic, collector, () => collector.Frames.Count == 8);
            Assert.True(nic.Backend.Counters.PacketsSent - packetsBefore < 8, "frames were batched");
            Assert.Equal(Enumerable.Range(0, 8).Select(i => (byte)i), collector.Frames.Select(f => f[14]));
        }

        [Fact]
        public void Ws2012r2_malformed_status_beside_data_is_tolerated_without_losing_the_data()
        {
            using Nic nic = new Nic(HostProfile.WS2012R2, new NetVscOptions { EmitMalformedStatus = true });
            byte[] frame = new byte[64];
            frame[0] = 0x42;
            nic.Backend.DeliverToGuest(frame);
            Collector collector = new Collector();
            PollUntil(nic, collector, () => collector.Frames.Count == 1);
            Assert.Equal(frame, collector.Frames[0]);
            Assert.True(nic.Device.IgnoredStatusIndications >= 1);
            Assert.Equal(0UL, nic.Device.Statistics.RxErrors);
            Assert.Equal(LinkState.Up, nic.Device.Link);
        }

        [Fact]
        public void Link_down_and_up_indications_change_the_link_state()
        {
            using Nic nic = new Nic();
            ulong changes = nic.Device.Statistics.LinkChanges;
            nic.Backend.SetLink(false);
            Collector collector = new Collector();
            PollUntil(nic, collector, () => nic.Device.Link == LinkState.Down);
            nic.Backend.SetLink(true);
            PollUntil(nic, collector, () => nic.Device.Link == LinkState.Up);
            Assert.Equal(changes + 2, nic.Device.Statistics.LinkChanges);
        }

        [Fact]
        public void Several_channels_make_several_devices_named_by_instance()
        {
            using Nic nic = new Nic(count: 2);
            Assert.Equal(2, nic.Driver.DeviceCount);
            string first = Guest.Text(nic.Driver.Device(0).Name);
            string second = Guest.Text(nic.Driver.Device(1).Name);
            Assert.NotEqual(first, second);
            Assert.Equal("netvsc-" + nic.Guest.Host.Channels[0].InstanceId, first);
        }

        [Fact]
        public void Reclaim_in_the_middle_of_traffic_keeps_the_device_its_counters_and_completed_frames()
        {
            using Nic nic = new Nic();
            NetVscDevice device = nic.Device;
            Random random = new Random(3);
            Collector collector = new Collector();
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal(NetStatus.Success, device.Transmit(Frame(random, 100)));
                nic.Backend.DeliverToGuest(Frame(random, 100));
            }

            PollUntil(nic, collector, () => collector.Frames.Count == 10);
            nic.Guest.Host.RunHost();
            int hostReceived = nic.Recorder.Frames.Count;
            Assert.Equal(10, hostReceived);
            MacAddress mac = device.Mac;
            ulong txBefore = device.Statistics.TxFrames;
            ulong rxBefore = device.Statistics.RxFrames;

            nic.Guest.Hypervisor.Quiesce();
            Assert.Equal(LoaderOutcome.TookOver, nic.Guest.Host.EnlightenedLoaderTakeover());
            Assert.Equal(HvStatus.Success, nic.Guest.Hypervisor.Reclaim(out bool reclaimed));
            Assert.True(reclaimed);
            Assert.Equal(HvStatus.Success, nic.Guest.Bus.Reset());

            Assert.Same(device, nic.Driver.Device(0));
            Assert.Equal(1, nic.Driver.DeviceCount);
            Assert.True(device.IsOpen);
            Assert.Equal(mac, device.Mac);
            Assert.False(device.MacChangedOnReset);
            Assert.Equal(1UL, device.Resets);
            Assert.Equal(txBefore, device.Statistics.TxFrames);
            Assert.Equal(rxBefore, device.Statistics.RxFrames);

            byte[] after = Frame(random, 200);
            Assert.Equal(NetStatus.Success, device.Transmit(after));
            nic.Guest.Host.RunHost();
            Assert.Equal(after, nic.Recorder.Frames.Last());
            nic.Backend.DeliverToGuest(after);
            PollUntil(nic, collector, () => collector.Frames.Count == 11);
            Assert.Equal(after, collector.Frames.Last());
        }

        private const uint RndisHalt = 3;

        [Fact]
        public void Close_halts_rndis_revokes_the_buffer_then_closes_the_channel()
        {
            using Nic nic = new Nic();
            HostChannel channel = nic.Guest.Host.Channels[0];
            nic.Device.Close();
            Assert.False(nic.Device.IsOpen);
            Assert.Equal(RndisHalt, nic.Backend.RndisMessagesReceived.Last());
            Assert.Equal(NvspMessage.RevokeReceiveBuffer, nic.Backend.NvspMessagesReceived.Last());
            Assert.False(channel.IsOpen);
            Assert.DoesNotContain(nic.Backend.ReceiveBufferGpadl, nic.Guest.Host.LiveGpadlIds);
            Assert.Equal(NetStatus.NotOpen, nic.Device.Transmit(new byte[60]));
        }

        private sealed class CountingSink : IFrameSink
        {
            public long Bytes;
            public int Frames;

            public void Receive(NetDevice device, ReadOnlySpan<byte> frame)
            {
                Bytes += frame.Length;
                Frames++;
            }
        }

        [Fact]
        public void Steady_state_receive_and_transmit_allocate_nothing_per_frame()
        {
            // The host runs on its own thread, so this thread's allocation counter sees only the driver.
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            FrameRecorder recorder = new FrameRecorder();
            NetVscBackend backend = new NetVscBackend(host, recorder);
            host.AddChannel(Guest.NetworkClass, Guid.NewGuid(), backend);
            using ThreadHoppingPlatform platform = new ThreadHoppingPlatform(host);
            Hypervisor.HvHypervisor hypervisor = new Hypervisor.HvHypervisor(platform);
            Assert.Equal(HvStatus.Success, hypervisor.Initialize());
            VmBusConnection connection = new VmBusConnection(hypervisor);
            Assert.Equal(HvStatus.Success, connection.Connect());
            Assert.Equal(HvStatus.Success, connection.RequestOffers());
            VmBusBus bus = new VmBusBus(connection);
            NetVscDriver driver = new NetVscDriver();
            bus.Register(driver);
            Assert.Equal(1, bus.ProbeAll());
            NetVscDevice device = driver.Device(0);
            CountingSink sink = new CountingSink();
            byte[] frame = new byte[1514];

            long measured = 0;
            int received = 0;
            int transmitted = 0;
            for (int round = 0; round < 60; round++)
            {
                for (int i = 0; i < 8; i++)
                {
                    backend.DeliverToGuest(frame);
                }

                long before = GC.GetAllocatedBytesForCurrentThread();
                int got = 0;
                for (int spin = 0; spin < 1000 && got < 8; spin++)
                {
                    got += device.Poll(sink, 64);
                    platform.Pause();
                }

                for (int i = 0; i < 8; i++)
                {
                    if (device.Transmit(frame) == NetStatus.Success)
                    {
                        transmitted++;
                    }
                }

                long after = GC.GetAllocatedBytesForCurrentThread();
                received += got;
                if (round >= 10)
                {
                    // Rounds after warm-up: JIT tiering and first-use statics are done.
                    measured += after - before;
                }
            }

            Assert.True(received >= 400, $"received {received}");
            Assert.True(transmitted >= 400, $"transmitted {transmitted}");
            Assert.Equal(0, measured);
        }
    }
}
