// Channels against the host model: open/close order, completions, echo round trips byte-exact,
// malformed host packets skipped and counted, the interrupt-mask signalling rule, rescind.
using System;
using System.Linq;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.HyperV.HostModel;
using HostMessage = Bootstage.HyperV.HostModel.VmBusMessageType;
using PacketType = Bootstage.Drivers.HyperV.VmBus.VmBusPacketType;
using HvStatus = Bootstage.Drivers.HyperV.Hypervisor.HvStatus;

namespace Bootstage.Drivers.HyperV.Tests
{
    public class VmBusChannelTests
    {
        private static (Guest Guest, VmBusDevice Device, HostChannel Host) OpenEcho(EchoDevice? echo = null) => Open(echo ?? new EchoDevice());

        private static (Guest Guest, VmBusDevice Device, HostChannel Host) Open(IHostDevice backend)
        {
            Guest guest = new Guest();
            HostChannel host = guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid(), backend);
            guest.BringUp();
            guest.Bus.Register(new RecordingDriver(VmBusClass.Network));
            Assert.Equal(1, guest.Bus.ProbeAll());
            return (guest, guest.Bus.Device(0), host);
        }

        private static bool Receive(VmBusChannel channel, Guest guest, out ushort type, out ulong transactionId, out byte[] payload)
        {
            for (int spin = 0; spin < 1000; spin++)
            {
                if (channel.TryReceive(out VmBusPacket packet))
                {
                    type = packet.Type;
                    transactionId = packet.TransactionId;
                    payload = packet.Payload.ToArray();
                    return true;
                }

                guest.Host.Pause();
            }

            type = 0;
            transactionId = 0;
            payload = Array.Empty<byte>();
            return false;
        }

        [Fact]
        public void Open_describes_both_rings_in_one_gpadl_and_the_host_echoes_the_open_id()
        {
            (Guest guest, VmBusDevice device, HostChannel host) = OpenEcho();
            using (guest)
            {
                Assert.True(host.IsOpen);
                Assert.Equal(4u, host.DownstreamPageOffset);
                Assert.Equal(3u * 4096, host.GuestToHostRingSize);
                Assert.Equal(3u * 4096, host.HostToGuestRingSize);
                Assert.Contains(host.RingGpadlId, guest.Host.LiveGpadlIds);
                Assert.StartsWith("vmbus-", Guest.Text(device.Name));
                Assert.Equal("vmbus-" + host.InstanceId, Guest.Text(device.Name));
            }
        }

        [Fact]
        public void Inband_payloads_round_trip_byte_exact_through_the_echo_device()
        {
            (Guest guest, VmBusDevice device, HostChannel _) = OpenEcho();
            using (guest)
            {
                Random random = new Random(5);
                for (int i = 0; i < 200; i++)
                {
                    byte[] payload = new byte[random.Next(1, 400)];
                    random.NextBytes(payload);
                    Assert.Equal(HvStatus.Success, device.Channel.SendInband(payload, (ulong)i + 1, requestCompletion: false));
                    Assert.True(Receive(device.Channel, guest, out ushort type, out ulong id, out byte[] echoed));
                    Assert.Equal(PacketType.DataInband, type);
                    Assert.Equal((ulong)i + 1, id);
                    Assert.Equal(payload, echoed.AsSpan(0, payload.Length).ToArray());
                }

                Assert.Equal(0UL, device.Channel.MalformedPackets);
            }
        }

        [Fact]
        public void A_completion_request_is_answered_with_the_same_transaction_id()
        {
            (Guest guest, VmBusDevice device, HostChannel _) = OpenEcho(new EchoDevice { CompleteItself = true });
            using (guest)
            {
                Assert.Equal(HvStatus.Success, device.Channel.SendInband(new byte[] { 1, 2, 3, 4 }, 0xABCDEF, requestCompletion: true));
                Assert.True(Receive(device.Channel, guest, out ushort type, out ulong id, out byte[] payload));
                Assert.Equal(PacketType.Completion, type);
                Assert.Equal(0xABCDEFUL, id);
                Assert.Equal(new byte[] { 1, 2, 3, 4 }, payload.AsSpan(0, 4).ToArray());
            }
        }

        [Fact]
        public void Gpa_direct_packets_describe_the_buffer_pages_to_the_host()
        {
            AutoCompleteDevice recorder = new AutoCompleteDevice();
            (Guest guest, VmBusDevice device, HostChannel _) = Open(recorder);
            using (guest)
            {
                VmBusChannel channel = device.Channel;
                Assert.Equal(Bootstage.Platform.PlatformStatus.Success, guest.Host.AllocatePages(2, out Bootstage.Platform.PhysicalRegion buffer));
                ulong address = buffer.PhysicalAddress + 4000;
                Assert.Equal(HvStatus.Success, channel.SendGpaDirect(new byte[] { 7 }, address, 200, 77, requestCompletion: true));
                Assert.True(Receive(channel, guest, out ushort type, out ulong id, out _));
                Assert.Equal(PacketType.Completion, type);
                Assert.Equal(77UL, id);
                GuestPacket sent = recorder.Received.Last();
                Assert.Equal(2, sent.GpaRanges[0].Pfns.Length);
                Assert.Equal(4000u, sent.GpaRanges[0].ByteOffset);
                Assert.Equal(200u, sent.GpaRanges[0].ByteCount);
            }
        }

        [Fact]
        public void A_malformed_host_packet_is_skipped_and_counted_and_the_next_one_arrives()
        {
            (Guest guest, VmBusDevice device, HostChannel host) = OpenEcho();
            using (guest)
            {
                // Well framed but of an unknown type, then oversized, then a good one.
                byte[] unknown = new byte[24];
                BitConverter.GetBytes((ushort)0x55).CopyTo(unknown, 0);
                BitConverter.GetBytes((ushort)2).CopyTo(unknown, 2);
                BitConverter.GetBytes((ushort)3).CopyTo(unknown, 4);
                Assert.True(host.SendRaw(unknown));
                Assert.True(host.SendInband(new byte[] { 42 }, 9));
                Assert.True(Receive(device.Channel, guest, out ushort type, out ulong id, out byte[] payload));
                Assert.Equal(PacketType.DataInband, type);
                Assert.Equal(9UL, id);
                Assert.Equal(42, payload[0]);
                Assert.Equal(1UL, device.Channel.MalformedPackets);
            }
        }

        [Fact]
        public void A_packet_whose_length_overruns_what_the_host_published_drops_the_ring_contents_without_hanging()
        {
            (Guest guest, VmBusDevice device, HostChannel host) = OpenEcho();
            using (guest)
            {
                byte[] lying = new byte[16];
                BitConverter.GetBytes((ushort)PacketType.DataInband).CopyTo(lying, 0);
                BitConverter.GetBytes((ushort)2).CopyTo(lying, 2);
                BitConverter.GetBytes((ushort)400).CopyTo(lying, 4);
                Assert.True(host.SendRaw(lying));
                Assert.False(device.Channel.TryReceive(out _));
                Assert.Equal(1UL, device.Channel.MalformedPackets);
                Assert.True(host.SendInband(new byte[] { 1 }, 10));
                Assert.True(Receive(device.Channel, guest, out _, out ulong id, out _));
                Assert.Equal(10UL, id);
            }
        }

        [Fact]
        public void A_corrupt_write_index_from_the_host_is_counted_not_followed()
        {
            (Guest guest, VmBusDevice device, HostChannel host) = OpenEcho();
            using (guest)
            {
                Assert.True(host.CorruptHostToGuestWriteIndex(0xFFFFFFF0));
                Assert.False(device.Channel.TryReceive(out _));
                Assert.Equal(1UL, device.Channel.MalformedPackets);
            }
        }

        [Fact]
        public void The_host_is_signalled_only_when_the_ring_was_empty_and_its_mask_allows()
        {
            (Guest guest, VmBusDevice device, HostChannel _) = OpenEcho(new EchoDevice { CompleteItself = true });
            using (guest)
            {
                ulong before = device.Channel.Signals;
                int hostSignals = guest.Host.Trace.Counters.GuestSignals;
                Assert.Equal(HvStatus.Success, device.Channel.SendInband(new byte[8], 1, false));
                Assert.Equal(before + 1, device.Channel.Signals);
                Assert.Equal(hostSignals + 1, guest.Host.Trace.Counters.GuestSignals);
            }
        }

        [Fact]
        public void Close_sends_closechannel_then_tears_the_ring_gpadl_down()
        {
            (Guest guest, VmBusDevice device, HostChannel host) = OpenEcho();
            using (guest)
            {
                uint gpadl = host.RingGpadlId;
                Assert.Equal(HvStatus.Success, device.Channel.Close());
                Assert.False(host.IsOpen);
                Assert.DoesNotContain(gpadl, guest.Host.LiveGpadlIds);
                var sent = guest.Host.Trace.Messages(TraceDirection.GuestToHost);
                Assert.True(sent.LastIndexOf(HostMessage.CloseChannel) < sent.LastIndexOf(HostMessage.GpadlTeardown));
                Assert.Equal(HvStatus.Success, device.Channel.Close());
            }
        }

        [Fact]
        public void Transfer_page_ranges_are_read_from_the_packet_header()
        {
            (Guest guest, VmBusDevice device, HostChannel host) = OpenEcho();
            using (guest)
            {
                TransferRange[] ranges = { new TransferRange(100, 0), new TransferRange(60, 4096), new TransferRange(1514, 8192) };
                Assert.True(host.SendTransferPages(0xCAFE, ranges, new byte[] { 1, 2, 3 }, 55));
                VmBusPacket packet = default;
                bool received = false;
                for (int spin = 0; spin < 100 && !received; spin++)
                {
                    received = device.Channel.TryReceive(out packet);
                    guest.Host.Pause();
                }

                Assert.True(received);
                Assert.True(packet.WantsCompletion);
                Assert.True(packet.TryGetTransferPages(out ushort pageSet, out int count));
                Assert.Equal((ushort)0xCAFE, pageSet);
                Assert.Equal(3, count);
                packet.GetTransferRange(2, out uint bytes, out uint offset);
                Assert.Equal((1514u, 8192u), (bytes, offset));
                Assert.Equal(1, packet.Payload[0]);
            }
        }

        [Fact]
        public void A_cancel_packet_reaches_the_host_with_its_transaction_id()
        {
            AutoCompleteDevice recorder = new AutoCompleteDevice();
            (Guest guest, VmBusDevice device, HostChannel _) = Open(recorder);
            using (guest)
            {
                Assert.Equal(HvStatus.Success, device.Channel.SendCancel(0x77));
                guest.Host.RunHost();
                GuestPacket cancel = recorder.Received.Last();
                Assert.Equal(0x77UL, cancel.TransactionId);
                Assert.Equal(10, (int)cancel.Type);
            }
        }

        [Fact]
        public void A_rescinded_offer_removes_its_device()
        {
            (Guest guest, VmBusDevice device, HostChannel host) = OpenEcho();
            using (guest)
            {
                guest.Host.RescindChannel(host);
                guest.Bus.PollRescinds();
                Assert.False(device.Present);
                Assert.Equal(1, ((RecordingDriver)device.Driver).Removes);
                Assert.Equal(1UL, guest.Connection.Rescinds);
            }
        }

        [Fact]
        public void Guest_signals_when_it_frees_the_room_the_host_waits_for()
        {
            (Guest guest, VmBusDevice device, HostChannel host) = OpenEcho();
            using (guest)
            {
                // 12 KiB host→guest ring, 512-byte packets: the host stalls after 23 and asks for
                // 512 bytes through pending_send_sz; only the guest's signal lets it go on.
                byte[] payload = new byte[488];
                for (int i = 0; i < 60; i++)
                {
                    payload[0] = (byte)i;
                    Assert.True(host.SendInband(payload, (ulong)i));
                }

                Assert.True(host.WaitingForRoom);
                for (int i = 0; i < 60; i++)
                {
                    Assert.True(Receive(device.Channel, guest, out _, out ulong id, out byte[] received), $"packet {i} never arrived");
                    Assert.Equal((ulong)i, id);
                    Assert.Equal((byte)i, received[0]);
                }

                Assert.True(host.RingFullStalls >= 2);
                Assert.Equal(0, host.PendingOutbound);
            }
        }
    }
}
