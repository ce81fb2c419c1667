// Channel rings and packets against docs/hyperv.md §8: packet
// framing with trailer and indices, the notification rules in both directions, completions, and a
// host that survives whatever a guest writes into its ring.
using System;
using System.Buffers.Binary;
using System.Linq;
using Bootstage.Platform;

namespace Bootstage.HyperV.HostModel.Tests
{
    public unsafe class RingTests
    {
        private static readonly byte[] s_hello = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };

        private static (HyperVHost Host, RawGuest Guest, HostChannel Channel, GuestRings Rings) Open(IHostDevice device, uint version = VmBusVersion.Win10, uint pagesPerRing = 2)
        {
            HyperVHost host = new HyperVHost();
            HostChannel channel = host.AddChannel(HostDeviceClasses.NetVsc, Guid.NewGuid(), device);
            RawGuest guest = new RawGuest(host);
            guest.Boot();
            GuestRings rings = guest.BringUp(channel, version, pagesPerRing);
            return (host, guest, channel, rings);
        }

        private static bool SiefBit(RawGuest guest, int bit)
        {
            byte* flags = (byte*)guest.SiefpPage.VirtualAddress + VmBusConstants.MessageSint * 256;
            return (flags[bit / 8] & (1 << (bit % 8))) != 0;
        }

        private static void ClearSief(RawGuest guest) => new Span<byte>(guest.SiefpPage.VirtualAddress, 4096).Clear();

        [Fact]
        public void Inband_round_trip_uses_descriptor_padding_trailer_and_published_indices()
        {
            EchoDevice echo = new EchoDevice();
            (HyperVHost host, RawGuest guest, HostChannel channel, GuestRings rings) = Open(echo);
            using (host)
            {
                Assert.True(rings.Write(VmBusPacketType.DataInband, 0, 0x1122334455667788, s_hello));
                Assert.Equal(16u + 16 + 8, rings.SendWrite);
                Assert.Equal(HvStatus.Success, guest.Signal(channel.ConnectionId));

                // The host consumed exactly the packet and its trailer.
                Assert.Equal(rings.SendWrite, rings.SendRead);
                GuestPacket received = Assert.Single(echo.Received);
                Assert.Equal(VmBusPacketType.DataInband, received.Type);
                Assert.Equal(0x1122334455667788UL, received.TransactionId);
                Assert.Equal(16, received.Payload.Length);
                Assert.Equal(s_hello, received.Payload.AsSpan(0, s_hello.Length).ToArray());
                Assert.Equal(0UL, received.Trailer);

                // The echo: descriptor {type 6, offset8 2, len8 4, flags 0}, padded payload, trailer = old write index << 32.
                Assert.Equal(40u, rings.ReceiveWrite);
                Assert.True(rings.TryRead(out byte[] packet, out ulong trailer));
                Assert.Equal(VmBusPacketType.DataInband, GuestRings.TypeOf(packet));
                Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(packet.AsSpan(2)));
                Assert.Equal(4, BinaryPrimitives.ReadUInt16LittleEndian(packet.AsSpan(4)));
                Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(packet.AsSpan(6)));
                Assert.Equal(0x1122334455667788UL, GuestRings.TransactionOf(packet));
                Assert.Equal(s_hello, GuestRings.PayloadOf(packet).Slice(0, s_hello.Length).ToArray());
                Assert.Equal(0UL, trailer);

                // A second echo starts at index 40: its trailer says so.
                Assert.True(rings.Write(VmBusPacketType.DataInband, 0, 2, s_hello));
                Assert.Equal(HvStatus.Success, guest.Signal(channel.ConnectionId));
                Assert.True(rings.TryRead(out _, out trailer));
                Assert.Equal(40UL << 32, trailer);
                Assert.Equal(2, channel.PacketsReceived);
                Assert.Equal(2, channel.PacketsSent);
            }
        }

        [Fact]
        public void One_signal_drains_every_packet_in_the_guest_ring()
        {
            AutoCompleteDevice device = new AutoCompleteDevice();
            (HyperVHost host, RawGuest guest, HostChannel channel, GuestRings rings) = Open(device);
            using (host)
            {
                Assert.True(rings.Write(VmBusPacketType.DataInband, 0, 1, s_hello));
                Assert.False(rings.Write(VmBusPacketType.DataInband, 0, 2, s_hello));
                Assert.False(rings.Write(VmBusPacketType.DataInband, 0, 3, s_hello));
                Assert.Empty(device.Received);
                Assert.Equal(HvStatus.Success, guest.Signal(channel.ConnectionId, fast: false));
                Assert.Equal(new ulong[] { 1, 2, 3 }, device.Received.Select(p => p.TransactionId).ToArray());
                Assert.Equal(rings.SendWrite, rings.SendRead);
            }
        }

        [Fact]
        public void Guest_ring_is_read_only_after_a_signal()
        {
            AutoCompleteDevice device = new AutoCompleteDevice();
            (HyperVHost host, RawGuest _, HostChannel _, GuestRings rings) = Open(device);
            using (host)
            {
                rings.Write(VmBusPacketType.DataInband, 0, 1, s_hello);
                for (int i = 0; i < 10; i++)
                {
                    host.Pause();
                }

                Assert.Empty(device.Received);
                Assert.Equal(0u, rings.SendRead);
            }
        }

        [Fact]
        public void Host_signals_the_channel_bit_only_when_the_ring_was_empty_and_interrupts_are_unmasked()
        {
            (HyperVHost host, RawGuest guest, HostChannel channel, GuestRings rings) = Open(new AutoCompleteDevice());
            using (host)
            {
                int relId = (int)channel.RelId;
                Assert.False(SiefBit(guest, relId));
                Assert.True(channel.SendInband(s_hello, 1));
                Assert.True(SiefBit(guest, relId));
                Assert.Equal(1, channel.InterruptsSent);

                // Ring not empty: no second interrupt.
                ClearSief(guest);
                Assert.True(channel.SendInband(s_hello, 2));
                Assert.False(SiefBit(guest, relId));
                Assert.Equal(1, channel.InterruptsSent);

                // Ring drained but the guest masked interrupts: still none.
                while (rings.TryRead(out _, out _))
                {
                }

                rings.ReceiveMask = 1;
                Assert.True(channel.SendInband(s_hello, 3));
                Assert.False(SiefBit(guest, relId));
                Assert.Equal(1, channel.InterruptsSent);

                rings.TryRead(out _, out _);
                rings.ReceiveMask = 0;
                Assert.True(channel.SendInband(s_hello, 4));
                Assert.True(SiefBit(guest, relId));
                Assert.Equal(2, channel.InterruptsSent);
            }
        }

        [Fact]
        public void Old_protocols_signal_through_the_interrupt_page_and_event_connection_2()
        {
            AutoCompleteDevice device = new AutoCompleteDevice();
            (HyperVHost host, RawGuest guest, HostChannel channel, GuestRings rings) = Open(device, VmBusVersion.Ws2008);
            using (host)
            {
                byte* interruptPage = (byte*)guest.InterruptPage.VirtualAddress;
                uint relId = channel.RelId;

                // Guest → host: set the channel's bit in the send half, signal connection 2.
                rings.Write(VmBusPacketType.DataInband, 0, 1, s_hello);
                interruptPage[2048 + relId / 8] |= (byte)(1 << (int)(relId % 8));
                Assert.Equal(HvStatus.Success, guest.Signal(VmBusConstants.EventConnectionId));
                Assert.Single(device.Received);
                Assert.Equal(0, interruptPage[2048 + relId / 8]);

                // Host → guest: the receive-half bit plus SIEF SINT2 bit 0, not bit relid.
                Assert.True(channel.SendInband(s_hello, 2));
                Assert.NotEqual(0, interruptPage[relId / 8] & (1 << (int)(relId % 8)));
                Assert.True(SiefBit(guest, 0));
            }
        }

        [Fact]
        public void Signals_to_unknown_connections_or_with_a_flag_number_are_rejected()
        {
            (HyperVHost host, RawGuest guest, HostChannel channel, GuestRings _) = Open(new AutoCompleteDevice());
            using (host)
            {
                Assert.Equal(HvStatus.InvalidConnectionId, guest.Signal(99));
                Assert.Equal(HvStatus.InvalidConnectionId, guest.Signal(VmBusConstants.MessageConnectionId));
                Assert.Equal(HvStatus.InvalidParameter, guest.Call(HvCallCode.SignalEvent, channel.ConnectionId | (1UL << 32), fast: true));
                Assert.Equal(HvStatus.InvalidAlignment, guest.Call(HvCallCode.SignalEvent, guest.InputPage.PhysicalAddress + 2));
                Assert.Equal(HvStatus.InvalidParameter, guest.Call(HvCallCode.SignalEvent, 0x7000_0000_0000));
            }
        }

        [Fact]
        public void Completion_requested_inband_and_gpa_direct_packets_get_a_comp_with_the_same_transaction_id()
        {
            AutoCompleteDevice device = new AutoCompleteDevice();
            (HyperVHost host, RawGuest guest, HostChannel channel, GuestRings rings) = Open(device);
            using (host)
            {
                PhysicalRegion data = guest.Allocate(1);
                byte[] gpaHeader = new byte[24];
                BinaryPrimitives.WriteUInt32LittleEndian(gpaHeader.AsSpan(4), 1);
                BinaryPrimitives.WriteUInt32LittleEndian(gpaHeader.AsSpan(8), 100);
                BinaryPrimitives.WriteUInt32LittleEndian(gpaHeader.AsSpan(12), 0x10);
                BinaryPrimitives.WriteUInt64LittleEndian(gpaHeader.AsSpan(16), data.PhysicalAddress >> 12);

                rings.Write(VmBusPacketType.DataInband, VmBusConstants.CompletionRequested, 0xA1, s_hello);
                rings.Write(VmBusPacketType.DataUsingGpaDirect, VmBusConstants.CompletionRequested, 0xB2, s_hello, gpaHeader);
                rings.Write(VmBusPacketType.DataInband, 0, 0xC3, s_hello);
                guest.Signal(channel.ConnectionId);

                GuestPacket gpa = device.Received[1];
                GpadlRange range = Assert.Single(gpa.GpaRanges);
                Assert.Equal(100u, range.ByteCount);
                Assert.Equal(0x10u, range.ByteOffset);
                Assert.Equal(data.PhysicalAddress >> 12, Assert.Single(range.Pfns));

                Assert.True(rings.TryRead(out byte[] first, out _));
                Assert.True(rings.TryRead(out byte[] second, out _));
                Assert.False(rings.TryRead(out _, out _));
                Assert.Equal(VmBusPacketType.Completion, GuestRings.TypeOf(first));
                Assert.Equal(0xA1UL, GuestRings.TransactionOf(first));
                Assert.Equal(16, first.Length);
                Assert.Equal(VmBusPacketType.Completion, GuestRings.TypeOf(second));
                Assert.Equal(0xB2UL, GuestRings.TransactionOf(second));
                Assert.Equal(2, host.Trace.Counters.AutoCompletions);
            }
        }

        [Fact]
        public void A_backend_that_completes_itself_suppresses_the_automatic_comp()
        {
            EchoDevice echo = new EchoDevice { CompleteItself = true };
            (HyperVHost host, RawGuest guest, HostChannel channel, GuestRings rings) = Open(echo);
            using (host)
            {
                rings.Write(VmBusPacketType.DataInband, VmBusConstants.CompletionRequested, 0x77, s_hello);
                guest.Signal(channel.ConnectionId);
                Assert.True(rings.TryRead(out byte[] completion, out _));
                Assert.False(rings.TryRead(out _, out _));
                Assert.Equal(VmBusPacketType.Completion, GuestRings.TypeOf(completion));
                Assert.Equal(0x77UL, GuestRings.TransactionOf(completion));
                Assert.Equal(s_hello, GuestRings.PayloadOf(completion).Slice(0, s_hello.Length).ToArray());
                Assert.Equal(0, host.Trace.Counters.AutoCompletions);
            }
        }

        [Fact]
        public void Guest_comp_without_payload_and_cancel_packets_are_accepted_without_reply()
        {
            AutoCompleteDevice device = new AutoCompleteDevice();
            (HyperVHost host, RawGuest guest, HostChannel channel, GuestRings rings) = Open(device);
            using (host)
            {
                rings.Write(VmBusPacketType.Completion, 0, 5, ReadOnlySpan<byte>.Empty);
                rings.Write(VmBusPacketType.CancelRequest, VmBusConstants.CompletionRequested, 6, ReadOnlySpan<byte>.Empty);
                guest.Signal(channel.ConnectionId);
                Assert.Equal(new[] { VmBusPacketType.Completion, VmBusPacketType.CancelRequest }, device.Received.Select(p => p.Type).ToArray());
                Assert.Empty(device.Received[0].Payload);
                Assert.False(rings.TryRead(out _, out _));
                Assert.False(channel.GuestRingFaulted);
            }
        }

        [Fact]
        public void Transfer_page_packets_carry_the_page_set_and_ranges_and_backends_reach_the_gpadl()
        {
            (HyperVHost host, RawGuest guest, HostChannel channel, GuestRings rings) = Open(new AutoCompleteDevice());
            using (host)
            {
                PhysicalRegion receiveBuffer = guest.Allocate(3);
                Assert.Equal(0u, guest.CreateGpadl(channel.RelId, 0x300, receiveBuffer));
                byte[] frame = Enumerable.Range(0, 6000).Select(i => (byte)i).ToArray();
                Assert.True(channel.TryWriteGpadl(0x300, 100, frame));
                Assert.Equal(frame, new ReadOnlySpan<byte>((byte*)receiveBuffer.VirtualAddress + 100, frame.Length).ToArray());
                byte[] back = new byte[frame.Length];
                Assert.True(channel.TryReadGpadl(0x300, 100, back));
                Assert.Equal(frame, back);
                Assert.False(channel.TryWriteGpadl(0x300, 3 * 4096 - 1, new byte[2]));
                Assert.False(channel.TryReadGpadl(0x999, 0, back));

                TransferRange[] ranges = { new TransferRange(60, 100), new TransferRange(42, 4096) };
                Assert.True(channel.SendTransferPages(0xCAFE, ranges, new byte[] { 0x6B, 0, 0, 0 }, 0x99));
                Assert.True(rings.TryRead(out byte[] packet, out _));
                Assert.Equal(VmBusPacketType.DataUsingTransferPages, GuestRings.TypeOf(packet));
                Assert.Equal(VmBusConstants.CompletionRequested, BinaryPrimitives.ReadUInt16LittleEndian(packet.AsSpan(6)));
                Assert.Equal(0xCAFE, BinaryPrimitives.ReadUInt16LittleEndian(packet.AsSpan(16)));
                Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(packet.AsSpan(20)));
                Assert.Equal(60u, BinaryPrimitives.ReadUInt32LittleEndian(packet.AsSpan(24)));
                Assert.Equal(4096u, BinaryPrimitives.ReadUInt32LittleEndian(packet.AsSpan(36)));
                Assert.Equal(5, BinaryPrimitives.ReadUInt16LittleEndian(packet.AsSpan(2)));
                Assert.Equal(0x6B, GuestRings.PayloadOf(packet)[0]);
            }
        }

        [Fact]
        public void Host_never_fills_the_ring_completely_and_sends_the_rest_once_the_guest_signals_room()
        {
            (HyperVHost host, RawGuest guest, HostChannel channel, GuestRings rings) = Open(new AutoCompleteDevice());
            using (host)
            {
                // 4096-byte ring, 512-byte packets (504 + trailer): seven fit, the eighth would leave the ring
                // exactly full and must wait.
                byte[] payload = new byte[488];
                for (int i = 0; i < 8; i++)
                {
                    Assert.True(channel.SendInband(payload, (ulong)i));
                }

                Assert.Equal(7 * 512u, rings.ReceiveWrite);
                Assert.Equal(1, channel.PendingOutbound);
                Assert.Equal(512u, rings.ReceivePendingSize);

                Assert.True(rings.TryRead(out _, out _));
                host.Pause();

                // Room alone is not enough: the host waits for the signal pending_send_sz asks for.
                Assert.Equal(1, channel.PendingOutbound);
                Assert.True(channel.WaitingForRoom);
                Assert.Equal(HvStatus.Success, guest.Signal(channel.ConnectionId));
                Assert.Equal(0, channel.PendingOutbound);
                Assert.Equal(0u, rings.ReceivePendingSize);
                Assert.Equal(0u, rings.ReceiveWrite);
                int read = 0;
                while (rings.TryRead(out byte[] packet, out _))
                {
                    Assert.Equal((ulong)(read + 1), GuestRings.TransactionOf(packet));
                    read++;
                }

                Assert.Equal(7, read);
            }
        }

        [Fact]
        public void Packets_over_the_maximum_size_are_refused_and_raw_sends_bypass_the_limit()
        {
            (HyperVHost host, RawGuest _, HostChannel channel, GuestRings rings) = Open(new AutoCompleteDevice());
            using (host)
            {
                Assert.True(channel.SendInband(new byte[488], 1));
                Assert.False(channel.SendInband(new byte[489], 2));
                Assert.Contains(host.Trace.Events, e => e.Kind == TraceKind.Fault && e.Detail.Contains("exceeds"));
                Assert.True(rings.TryRead(out byte[] fits, out _));
                Assert.Equal(504, fits.Length);
                Assert.False(rings.TryRead(out _, out _));

                byte[] oversized = GuestRings.BuildPacket(VmBusPacketType.DataInband, 0, 3, default, new byte[1000]);
                Assert.True(channel.SendRaw(oversized));
                Assert.True(rings.TryRead(out byte[] raw, out _));
                Assert.Equal(oversized, raw);
            }
        }

        [Fact]
        public void A_bogus_guest_write_index_is_traced_and_stops_the_ring_without_throwing()
        {
            AutoCompleteDevice device = new AutoCompleteDevice();
            (HyperVHost host, RawGuest guest, HostChannel channel, GuestRings rings) = Open(device);
            using (host)
            {
                rings.SendWrite = 0xFFFF_FFF0;
                Assert.Equal(HvStatus.Success, guest.Signal(channel.ConnectionId));
                Assert.True(channel.GuestRingFaulted);
                Assert.Equal(1, host.Trace.Counters.RingViolations);
                Assert.Equal(0u, rings.SendRead);

                // Even a repaired index is not read again until the channel is reopened.
                rings.SendWrite = 0;
                rings.Write(VmBusPacketType.DataInband, 0, 1, s_hello);
                Assert.Equal(HvStatus.Success, guest.Signal(channel.ConnectionId));
                Assert.Empty(device.Received);

                rings.SendWrite = 13;
                Assert.Equal(HvStatus.Success, guest.Signal(channel.ConnectionId));
                Assert.Equal(1, host.Trace.Counters.RingViolations);
            }
        }

        [Theory]
        [InlineData(0, 2, 4)]
        [InlineData(6, 1, 4)]
        [InlineData(6, 5, 4)]
        [InlineData(6, 2, 600)]
        [InlineData(99, 2, 4)]
        public void A_bogus_guest_descriptor_is_traced_and_not_consumed(ushort type, ushort offset8, ushort len8)
        {
            AutoCompleteDevice device = new AutoCompleteDevice();
            (HyperVHost host, RawGuest guest, HostChannel channel, GuestRings rings) = Open(device);
            using (host)
            {
                rings.Write(VmBusPacketType.DataInband, 0, 1, s_hello);
                byte[] bogus = GuestRings.BuildPacket(VmBusPacketType.DataInband, 0, 2, default, s_hello);
                BinaryPrimitives.WriteUInt16LittleEndian(bogus, type);
                BinaryPrimitives.WriteUInt16LittleEndian(bogus.AsSpan(2), offset8);
                BinaryPrimitives.WriteUInt16LittleEndian(bogus.AsSpan(4), len8);
                rings.WriteRaw(bogus);
                Assert.Equal(HvStatus.Success, guest.Signal(channel.ConnectionId));

                // The good packet before it was served; the read index stops at the bogus one.
                Assert.Single(device.Received);
                Assert.Equal(40u, rings.SendRead);
                Assert.True(channel.GuestRingFaulted);
                Assert.Contains(host.Trace.Events, e => e.Kind == TraceKind.Fault && e.Detail.Contains("ring"));
            }
        }

        [Fact]
        public void A_gpa_direct_packet_whose_ranges_overflow_its_header_is_skipped()
        {
            AutoCompleteDevice device = new AutoCompleteDevice();
            (HyperVHost host, RawGuest guest, HostChannel channel, GuestRings rings) = Open(device);
            using (host)
            {
                byte[] header = new byte[8];
                BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 1000);
                rings.Write(VmBusPacketType.DataUsingGpaDirect, VmBusConstants.CompletionRequested, 1, s_hello, header);
                rings.Write(VmBusPacketType.DataInband, 0, 2, s_hello);
                guest.Signal(channel.ConnectionId);
                Assert.Equal(2ul, Assert.Single(device.Received).TransactionId);
                Assert.False(channel.GuestRingFaulted);
                Assert.False(rings.TryRead(out _, out _));
            }
        }

        [Fact]
        public void A_bogus_guest_read_index_stops_host_writes()
        {
            (HyperVHost host, RawGuest _, HostChannel channel, GuestRings rings) = Open(new AutoCompleteDevice());
            using (host)
            {
                rings.ReceiveRead = 4095;
                Assert.True(channel.SendInband(s_hello, 1));
                Assert.True(channel.HostRingFaulted);
                Assert.Equal(0u, rings.ReceiveWrite);
                Assert.Equal(1, host.Trace.Counters.RingViolations);
            }
        }

        [Fact]
        public void Host_wraps_packets_around_the_end_of_the_data_area()
        {
            (HyperVHost host, RawGuest _, HostChannel channel, GuestRings rings) = Open(new AutoCompleteDevice());
            using (host)
            {
                byte[] payload = Enumerable.Range(0, 480).Select(i => (byte)i).ToArray();
                for (int i = 0; i < 12; i++)
                {
                    Assert.True(channel.SendInband(payload, (ulong)i));
                    Assert.True(rings.TryRead(out byte[] packet, out ulong trailer));
                    Assert.Equal((ulong)i, GuestRings.TransactionOf(packet));
                    Assert.Equal(payload, GuestRings.PayloadOf(packet).ToArray());
                    Assert.Equal((ulong)(i * 504 % 4096) << 32, trailer);
                }
            }
        }

        [Fact]
        public void Guest_waiting_on_pending_send_size_is_signalled_once_the_host_frees_room()
        {
            (HyperVHost host, RawGuest guest, HostChannel channel, GuestRings rings) = Open(new AutoCompleteDevice());
            using (host)
            {
                rings.Write(VmBusPacketType.DataInband, 0, 1, s_hello);
                rings.SendPendingSize = 1000;
                int before = channel.InterruptsSent;
                guest.Signal(channel.ConnectionId);
                Assert.Equal(before + 1, channel.InterruptsSent);
            }
        }

        [Fact]
        public void Raw_sends_and_a_corrupted_write_index_reach_the_guest_as_given()
        {
            (HyperVHost host, RawGuest _, HostChannel channel, GuestRings rings) = Open(new AutoCompleteDevice());
            using (host)
            {
                byte[] malformed = GuestRings.BuildPacket(VmBusPacketType.DataInband, 0, 1, default, s_hello);
                BinaryPrimitives.WriteUInt16LittleEndian(malformed.AsSpan(4), 200);
                Assert.True(channel.SendRaw(malformed));
                Assert.Equal(40u, rings.ReceiveWrite);
                Assert.True(channel.CorruptHostToGuestWriteIndex(12345));
                Assert.Equal(12345u, rings.ReceiveWrite);
            }
        }

        [Fact]
        public void Sends_on_a_closed_channel_are_refused()
        {
            using HyperVHost host = new HyperVHost();
            HostChannel channel = host.AddChannel(HostDeviceClasses.NetVsc, Guid.NewGuid());
            Assert.False(channel.SendInband(s_hello, 1));
            Assert.False(channel.SendRaw(s_hello));
            Assert.False(channel.CorruptHostToGuestWriteIndex(1));
        }

        [Fact]
        public void A_monitored_channel_is_read_when_the_guest_sets_its_monitor_trigger_bit()
        {
            using HyperVHost host = new HyperVHost(HostProfile.WS2019);
            HostChannel channel = host.AddChannel(HostDeviceClasses.NetVsc, Guid.NewGuid(), new AutoCompleteDevice());
            RawGuest guest = new RawGuest(host);
            guest.Boot();
            GuestRings rings = guest.BringUp(channel, VmBusVersion.Win10V52, 2);
            Assert.True(channel.Monitored);

            // Write a packet, then set trigger_group[id / 32].pending bit id % 32 in the
            // child→parent monitor page instead of calling HvSignalEvent.
            Assert.True(rings.Write(VmBusPacketType.DataInband, VmBusConstants.CompletionRequested, 42, new byte[8]));
            uint* pending = (uint*)((byte*)guest.MonitorPages.VirtualAddress + 4096 + 8 + 8 * (channel.MonitorId / 32));
            *pending |= 1u << (channel.MonitorId % 32);
            host.Pause();
            Assert.Equal(0u, *pending & (1u << (channel.MonitorId % 32)));
            Assert.Equal(1, channel.SignalsReceived);
            Assert.True(rings.TryRead(out byte[] completion, out _));
            Assert.Equal(42UL, GuestRings.TransactionOf(completion));
        }
    }
}
