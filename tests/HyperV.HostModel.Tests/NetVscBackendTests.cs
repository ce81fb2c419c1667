// The host model's netvsc backend against docs/hyperv.md §8–10,
// driven through a real HyperVHost channel by the hand-built NetVscGuest: NVSP negotiation and
// completions, receive-buffer registration and revocation, the RNDIS device's replies and offsets,
// frames in both directions byte for byte, transfer-page packing and buffer ownership, link
// indications, the WS2012R2 malformed status, the packet size limit and hostile GPA ranges.
using System;
using System.Collections.Generic;
using System.Linq;

namespace Bootstage.HyperV.HostModel.Tests
{
    public class NetVscBackendTests
    {
        private static readonly byte[] s_broadcast = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

        [Theory]
        [InlineData(NvspProtocol.Version1, NvspProtocol.Version1, false, NvspProtocol.Version1)]
        [InlineData(NvspProtocol.Version1, NvspProtocol.Version5, false, NvspProtocol.Version5)]
        [InlineData(NvspProtocol.Version2, NvspProtocol.Version4, false, NvspProtocol.Version4)]
        [InlineData(0x00060000u, 0x00060001u, false, 0u)]
        [InlineData(NvspProtocol.Version1, NvspProtocol.Version5, true, NvspProtocol.Version1)]
        [InlineData(NvspProtocol.Version4, NvspProtocol.Version5, true, 0u)]
        public void Nvsp_init_picks_the_highest_supported_version_in_range_or_fails(uint min, uint max, bool onlyVersion1, uint expected)
        {
            NetVscOptions options = new NetVscOptions { MacAddress = NetVscGuest.Mac, NvspVersions = onlyVersion1 ? new[] { NvspProtocol.Version1 } : NetVscOptions.DefaultNvspVersions };
            using NetVscGuest guest = NetVscGuest.Start(options: options);
            byte[] reply = guest.Transact(NetVscGuest.Nvsp(NvspProtocol.Init, min, max));
            Assert.Equal(32, reply.Length);
            Assert.Equal(NvspProtocol.InitComplete, NetVscGuest.U32(reply, 0));
            Assert.Equal(expected, NetVscGuest.U32(reply, 4));
            Assert.Equal(expected == 0 ? NvspProtocol.StatusFailure : NvspProtocol.StatusSuccess, NetVscGuest.U32(reply, 12));
            Assert.Equal(expected, guest.Backend.NegotiatedNvspVersion);
            Assert.Equal(0, guest.Backend.Counters.ProtocolViolations);
        }

        [Fact]
        public void Every_packet_that_asks_gets_a_comp_with_its_transaction_id_and_others_get_none()
        {
            using NetVscGuest guest = NetVscGuest.Start();
            Assert.Equal(NvspProtocol.StatusSuccess, guest.Init(NvspProtocol.Version1, NvspProtocol.Version1, out _));

            // NDIS version with the flag (as iPXE sends it): an empty COMP; without it (as Linux sends it): nothing.
            ulong asked = guest.SendInband(NetVscGuest.Nvsp(NvspProtocol.SendNdisVersion, 6, 1));
            Assert.Empty(guest.ExpectCompletion(asked));
            guest.SendInband(NetVscGuest.Nvsp(NvspProtocol.SendNdisVersion, 6, 30), completion: false);
            Assert.False(guest.Rings.TryRead(out _, out _));
            Assert.Equal((6u, 30u), guest.Backend.NdisVersion);

            // A type this host does not implement still gets its completion.
            ulong unknown = guest.SendInband(NetVscGuest.Nvsp(133, 1500));
            Assert.Empty(guest.ExpectCompletion(unknown));
            Assert.Equal(1, guest.Backend.Counters.UnhandledNvspMessages);

            Assert.Equal(new uint[] { NvspProtocol.Init, NvspProtocol.SendNdisVersion, NvspProtocol.SendNdisVersion, 133 }, guest.Backend.NvspMessagesReceived.ToArray());
            Assert.Equal(0, guest.Host.Trace.Counters.AutoCompletions);
            Assert.Equal(0, guest.Backend.Counters.ProtocolViolations);
        }

        [Fact]
        public void Messages_before_a_successful_init_are_refused_and_counted()
        {
            using NetVscGuest guest = NetVscGuest.Start();
            byte[] reply = guest.RegisterReceiveBuffer();
            Assert.Equal(NvspProtocol.StatusFailure, NetVscGuest.U32(reply, 4));
            Assert.False(guest.Backend.ReceiveBufferRegistered);
            Assert.Equal(1, guest.Backend.Counters.ProtocolViolations);
            Assert.Contains("before a successful INIT", guest.Backend.Violations[0]);
        }

        [Fact]
        public void Receive_buffer_registration_reports_one_section_and_revoke_stops_its_use()
        {
            using NetVscGuest guest = NetVscGuest.Start();
            Assert.Equal(NvspProtocol.StatusSuccess, guest.Init(NvspProtocol.Version1, NvspProtocol.Version5, out _));
            guest.SendInband(NetVscGuest.NdisConfig(1514), completion: false);
            byte[] reply = guest.RegisterReceiveBuffer(16);

            // {102, status 1, 1 section {offset 0, sub_alloc 2048, 32 sub-allocations, end 65536}}.
            Assert.Equal(new uint[] { 102, 1, 1, 0, 2048, 32, 65536 }, Enumerable.Range(0, 7).Select(i => NetVscGuest.U32(reply, i * 4)).ToArray());
            Assert.True(guest.Backend.ReceiveBufferRegistered);
            Assert.Equal(NetVscGuest.ReceiveGpadlId, guest.Backend.ReceiveBufferGpadl);
            Assert.Equal(NetVscGuest.PageSetId, guest.Backend.ReceiveBufferId);
            Assert.Equal(32, guest.Backend.FreeSubAllocations);

            // Revoke: COMP (iPXE waits for it), then nothing more lands in the buffer.
            Assert.Empty(guest.Transact(NetVscGuest.NvspBuffer(NvspProtocol.RevokeReceiveBuffer, null, NetVscGuest.PageSetId)));
            Assert.False(guest.Backend.ReceiveBufferRegistered);
            Assert.True(guest.Backend.ReceiveBufferRevoked);
            guest.Backend.DeliverToGuest(NetVscGuest.Frame(s_broadcast, 60, 1));
            Assert.Empty(guest.ReadTransfers());
            Assert.Equal(1, guest.Backend.Counters.FramesDropped);
            Assert.Equal(0, guest.Backend.Counters.ProtocolViolations);
        }

        [Theory]
        [InlineData(NvspProtocol.Version1, false, true)]
        [InlineData(NvspProtocol.Version2, false, false)]
        [InlineData(NvspProtocol.Version2, true, true)]
        [InlineData(NvspProtocol.Version5, false, false)]
        [InlineData(NvspProtocol.Version5, true, true)]
        public void Nvsp_2_and_later_refuse_the_receive_buffer_without_ndis_config(uint version, bool sendConfig, bool accepted)
        {
            using NetVscGuest guest = NetVscGuest.Start();
            Assert.Equal(NvspProtocol.StatusSuccess, guest.Init(version, version, out _));
            if (sendConfig)
            {
                guest.SendInband(NetVscGuest.NdisConfig(1514), completion: false);
            }

            Assert.Empty(guest.Transact(NetVscGuest.Nvsp(NvspProtocol.SendNdisVersion, 6, 1)));
            byte[] reply = guest.RegisterReceiveBuffer(16);
            Assert.Equal(accepted ? NvspProtocol.StatusSuccess : NvspProtocol.StatusFailure, NetVscGuest.U32(reply, 4));
            Assert.Equal(accepted, guest.Backend.ReceiveBufferRegistered);
            Assert.Equal(sendConfig ? (1514u, 0UL) : null, guest.Backend.NdisConfig);
            Assert.Equal(accepted ? 0 : 1, guest.Backend.Counters.ProtocolViolations);
        }

        [Fact]
        public void Ndis_config_is_a_violation_before_nvsp_2_and_after_ndis_version()
        {
            using NetVscGuest early = NetVscGuest.Start();
            Assert.Equal(NvspProtocol.StatusSuccess, early.Init(NvspProtocol.Version1, NvspProtocol.Version1, out _));
            early.SendInband(NetVscGuest.NdisConfig(1514), completion: false);
            early.Host.RunHost();
            Assert.Null(early.Backend.NdisConfig);
            Assert.Equal(1, early.Backend.Counters.ProtocolViolations);

            using NetVscGuest late = NetVscGuest.Start();
            Assert.Equal(NvspProtocol.StatusSuccess, late.Init(NvspProtocol.Version5, NvspProtocol.Version5, out _));
            Assert.Empty(late.Transact(NetVscGuest.Nvsp(NvspProtocol.SendNdisVersion, 6, 30)));
            late.SendInband(NetVscGuest.NdisConfig(1514), completion: false);
            late.Host.RunHost();
            Assert.Equal(1, late.Backend.Counters.ProtocolViolations);
        }

        [Fact]
        public void Receive_buffer_with_an_unknown_gpadl_gets_status_2()
        {
            using NetVscGuest guest = NetVscGuest.Start();
            Assert.Equal(NvspProtocol.StatusSuccess, guest.Init(NvspProtocol.Version1, NvspProtocol.Version1, out _));
            byte[] reply = guest.Transact(NetVscGuest.NvspBuffer(NvspProtocol.SendReceiveBuffer, 0x999, NetVscGuest.PageSetId));
            Assert.Equal(NvspProtocol.SendReceiveBufferComplete, NetVscGuest.U32(reply, 0));
            Assert.Equal(NvspProtocol.StatusFailure, NetVscGuest.U32(reply, 4));
            Assert.False(guest.Backend.ReceiveBufferRegistered);
            Assert.Equal(1, guest.Backend.Counters.ProtocolViolations);
        }

        [Fact]
        public void Rndis_initialize_is_answered_through_the_receive_buffer_after_the_send_completion()
        {
            using NetVscGuest guest = NetVscGuest.Start(HostProfile.WS2022);
            guest.BringUpNvsp();
            TransferPacket packet = Assert.Single(guest.ControlExchange(guest.Initialize()));

            Assert.Equal(VmBusConstants.CompletionRequested, packet.Flags);
            Assert.Equal(NetVscGuest.PageSetId, packet.PageSet);
            Assert.Equal(NvspProtocol.SendRndisPacket, packet.NvspType);
            Assert.Equal(NvspProtocol.ChannelControl, packet.ChannelType);
            Assert.Equal(NvspProtocol.NoSection, packet.SectionIndex);
            byte[] done = Assert.Single(packet.Messages);

            // INIT_CMPLT {id 1, status 0, 1.0, flags 1, medium 0, max pkts, max xfer, align, rsvd[2]}: 52 bytes.
            Assert.Equal(52u, Assert.Single(packet.Ranges).ByteCount);
            Assert.Equal(RndisProtocol.InitializeComplete, NetVscGuest.U32(done, 0));
            Assert.Equal(52u, NetVscGuest.U32(done, 4));
            Assert.Equal(new uint[] { 1, 0, 1, 0, 1, 0 }, Enumerable.Range(0, 6).Select(i => NetVscGuest.U32(done, 8 + i * 4)).ToArray());
            Assert.True(NetVscGuest.U32(done, 36) >= 1514);
            Assert.True(guest.Backend.RndisInitialized);
            Assert.Equal(1, guest.Backend.Counters.CompletionsOutstanding);
            guest.Complete(packet.Transaction);
            Assert.Equal(0, guest.Backend.Counters.CompletionsOutstanding);
            Assert.Equal(0, guest.Backend.Counters.ProtocolViolations);
        }

        [Fact]
        public void Rndis_queries_report_the_mac_and_link_at_offset_16_and_refuse_unknown_oids()
        {
            using NetVscGuest guest = NetVscGuest.Start();
            guest.BringUpAll();
            foreach (uint oid in new[] { RndisProtocol.OidPermanentAddress, RndisProtocol.OidCurrentAddress })
            {
                byte[] reply = guest.Control(guest.QueryRequest(oid));
                Assert.Equal(RndisProtocol.QueryComplete, NetVscGuest.U32(reply, 0));
                Assert.Equal(30u, NetVscGuest.U32(reply, 4));
                Assert.Equal(RndisProtocol.StatusSuccess, NetVscGuest.U32(reply, 12));
                Assert.Equal(6u, NetVscGuest.U32(reply, 16));
                Assert.Equal(16u, NetVscGuest.U32(reply, 20));
                Assert.Equal(NetVscGuest.Mac, reply.AsSpan(8 + 16, 6).ToArray());
            }

            byte[] link = guest.Control(guest.QueryRequest(RndisProtocol.OidMediaConnectStatus));
            Assert.Equal(4u, NetVscGuest.U32(link, 16));
            Assert.Equal(16u, NetVscGuest.U32(link, 20));
            Assert.Equal(RndisProtocol.MediaStateConnected, NetVscGuest.U32(link, 24));

            byte[] request = guest.QueryRequest(0x00010202);
            byte[] refused = guest.Control(request);
            Assert.Equal(NetVscGuest.U32(request, 8), NetVscGuest.U32(refused, 8));
            Assert.Equal(RndisProtocol.StatusNotSupported, NetVscGuest.U32(refused, 12));
            Assert.Equal(0u, NetVscGuest.U32(refused, 16));
            Assert.Equal(24, refused.Length);
            Assert.Equal(0, guest.Backend.Counters.ProtocolViolations);
        }

        [Fact]
        public void Rndis_query_with_information_offset_zero_fails_as_on_hyper_v()
        {
            using NetVscGuest guest = NetVscGuest.Start();
            guest.BringUpAll();
            byte[] request = NetVscGuest.Rndis(RndisProtocol.Query, 77, RndisProtocol.OidPermanentAddress, 0, 0, 0);
            byte[] reply = guest.Control(request);
            Assert.Equal(RndisProtocol.QueryComplete, NetVscGuest.U32(reply, 0));
            Assert.Equal(77u, NetVscGuest.U32(reply, 8));
            Assert.Equal(RndisProtocol.StatusFailure, NetVscGuest.U32(reply, 12));
            Assert.Equal(0u, NetVscGuest.U32(reply, 16));
            Assert.Equal(1, guest.Backend.Counters.ProtocolViolations);

            // The same query with the offset Linux and iPXE send (20: just past the query body) succeeds.
            byte[] good = guest.Control(guest.QueryRequest(RndisProtocol.OidPermanentAddress));
            Assert.Equal(RndisProtocol.StatusSuccess, NetVscGuest.U32(good, 12));
        }

        [Fact]
        public void Rndis_set_packet_filter_is_recorded_and_answered_with_its_request_id()
        {
            using NetVscGuest guest = NetVscGuest.Start(HostProfile.WS2022);
            guest.BringUpNvsp();
            guest.Control(guest.Initialize());
            byte[] request = guest.SetRequest(RndisProtocol.OidCurrentPacketFilter, NetVscGuest.Le32(0x2B));
            byte[] reply = guest.Control(request);
            Assert.Equal(RndisProtocol.SetComplete, NetVscGuest.U32(reply, 0));
            Assert.Equal(16u, NetVscGuest.U32(reply, 4));
            Assert.Equal(NetVscGuest.U32(request, 8), NetVscGuest.U32(reply, 8));
            Assert.Equal(RndisProtocol.StatusSuccess, NetVscGuest.U32(reply, 12));
            Assert.Equal(0x2Bu, guest.Backend.PacketFilter);

            byte[] other = guest.Control(guest.SetRequest(0x00010111, NetVscGuest.Le32(1)));
            Assert.Equal(RndisProtocol.StatusNotSupported, NetVscGuest.U32(other, 12));
            Assert.Equal(0x2Bu, guest.Backend.PacketFilter);
        }

        [Fact]
        public void Halt_gets_no_reply_and_stops_receive_traffic()
        {
            using NetVscGuest guest = NetVscGuest.Start();
            guest.BringUpAll();
            Assert.Empty(guest.ControlExchange(NetVscGuest.Rndis(RndisProtocol.Halt, 99)));
            Assert.True(guest.Backend.RndisHalted);
            Assert.False(guest.Backend.RndisInitialized);
            guest.Backend.DeliverToGuest(NetVscGuest.Frame(s_broadcast, 60, 1));
            Assert.Empty(guest.ReadTransfers());
            Assert.Equal(1, guest.Backend.Counters.FramesDropped);
        }

        [Theory]
        [InlineData(60, 0x40u)]
        [InlineData(1514, 0x40u)]
        [InlineData(1514, 4096u - 100)]
        public void A_guest_data_packet_reaches_the_endpoint_byte_for_byte(int length, uint offset)
        {
            using NetVscGuest guest = NetVscGuest.Start();
            guest.BringUpAll();
            byte[] frame = NetVscGuest.Frame(new byte[] { 0x52, 0x54, 0x00, 0x12, 0x35, 0x02 }, length, 7);
            ulong transaction = guest.SendRndis(NetVscGuest.DataPacket(frame), NvspProtocol.ChannelData, offset);
            Assert.Equal(NvspProtocol.StatusSuccess, guest.ExpectRndisCompletion(transaction));
            Assert.Equal(frame, Assert.Single(guest.Recorder.Frames));
            Assert.Equal(1, guest.Backend.Counters.FramesFromGuest);
            Assert.Empty(guest.ReadTransfers());
            Assert.Equal(0, guest.Backend.Counters.ProtocolViolations);
        }

        [Fact]
        public void Frames_to_the_guest_share_a_packet_with_one_range_per_rndis_message()
        {
            using NetVscGuest guest = NetVscGuest.Start();
            guest.BringUpAll();
            byte[][] frames = { NetVscGuest.Frame(s_broadcast, 60, 1), NetVscGuest.Frame(NetVscGuest.Mac, 1514, 2), NetVscGuest.Frame(NetVscGuest.Mac, 342, 3) };
            foreach (byte[] frame in frames)
            {
                guest.Backend.DeliverToGuest(frame);
            }

            TransferPacket packet = Assert.Single(guest.ReadTransfers());
            Assert.Equal(NetVscGuest.PageSetId, packet.PageSet);
            Assert.Equal(NvspProtocol.SendRndisPacket, packet.NvspType);
            Assert.Equal(NvspProtocol.ChannelData, packet.ChannelType);
            Assert.Equal(NvspProtocol.NoSection, packet.SectionIndex);
            Assert.Equal(VmBusConstants.CompletionRequested, packet.Flags);
            Assert.Equal(3, packet.Ranges.Length);
            for (int i = 0; i < frames.Length; i++)
            {
                byte[] message = packet.Messages[i];
                Assert.Equal(RndisProtocol.Packet, NetVscGuest.U32(message, 0));
                Assert.Equal((uint)message.Length, NetVscGuest.U32(message, 4));
                Assert.Equal(36u, NetVscGuest.U32(message, 8));
                Assert.Equal((uint)frames[i].Length, NetVscGuest.U32(message, 12));
                Assert.Equal(frames[i], message.AsSpan(44).ToArray());
            }

            // Ranges do not overlap.
            TransferRange[] sorted = packet.Ranges.OrderBy(r => r.ByteOffset).ToArray();
            for (int i = 1; i < sorted.Length; i++)
            {
                Assert.True(sorted[i - 1].ByteOffset + sorted[i - 1].ByteCount <= sorted[i].ByteOffset);
            }

            Assert.Equal(3, guest.Backend.Counters.FramesDelivered);
            Assert.Equal(0, guest.Backend.Counters.FramesDropped);
        }

        [Fact]
        public void Receive_bytes_are_not_reused_before_the_guest_completes_their_packet()
        {
            using NetVscGuest guest = NetVscGuest.Start();
            guest.BringUpAll();
            byte[] first = NetVscGuest.Frame(NetVscGuest.Mac, 200, 1);
            guest.Backend.DeliverToGuest(first);
            TransferPacket a = Assert.Single(guest.ReadTransfers());
            TransferRange rangeA = Assert.Single(a.Ranges);

            guest.Backend.DeliverToGuest(NetVscGuest.Frame(NetVscGuest.Mac, 200, 2));
            TransferPacket b = Assert.Single(guest.ReadTransfers());
            TransferRange rangeB = Assert.Single(b.Ranges);
            Assert.True(rangeB.ByteOffset >= rangeA.ByteOffset + rangeA.ByteCount || rangeB.ByteOffset + rangeB.ByteCount <= rangeA.ByteOffset);
            Assert.Equal(2, guest.Backend.Counters.CompletionsOutstanding);

            // A's bytes are still A's frame; after A's COMP (no payload) they may be reused, B's (NVSP 108) too.
            Assert.Equal(a.Messages[0], guest.ReadRange(rangeA));
            guest.Complete(a.Transaction);
            Assert.Equal(1, guest.Backend.Counters.CompletionsOutstanding);
            guest.Backend.DeliverToGuest(NetVscGuest.Frame(NetVscGuest.Mac, 200, 3));
            TransferPacket c = Assert.Single(guest.ReadTransfers());
            Assert.Equal(rangeA.ByteOffset, Assert.Single(c.Ranges).ByteOffset);
            guest.Complete(b.Transaction, withNvspPayload: true);
            guest.Complete(c.Transaction);
            Assert.Equal(0, guest.Backend.Counters.CompletionsOutstanding);
            Assert.Equal(2 + 3, guest.Backend.Counters.CompletionsReceived);
            Assert.Equal(0, guest.Backend.Counters.ProtocolViolations);
        }

        [Fact]
        public void A_full_receive_buffer_queues_messages_until_the_guest_completes()
        {
            NetVscOptions options = new NetVscOptions { MacAddress = NetVscGuest.Mac, ReceiveSubAllocationSize = 2048 };
            using NetVscGuest guest = NetVscGuest.Start(options: options);
            guest.BringUpAll(receivePages: 1);
            Assert.Equal(2, guest.Backend.ReceiveSubAllocationCount);
            byte[][] frames = Enumerable.Range(0, 5).Select(i => NetVscGuest.Frame(NetVscGuest.Mac, 1000 + i, (byte)i)).ToArray();
            foreach (byte[] frame in frames)
            {
                guest.Backend.DeliverToGuest(frame);
            }

            List<byte[]> received = new();
            TransferPacket packet = Assert.Single(guest.ReadTransfers());
            Assert.Equal(2, packet.Ranges.Length);
            Assert.Equal(3, guest.Backend.PendingReceiveMessages);
            Assert.Equal(1, guest.Backend.Counters.ReceiveBufferFullEvents);

            // Polling changes nothing while the guest holds both sub-allocations.
            for (int i = 0; i < 10; i++)
            {
                guest.Host.Pause();
            }

            Assert.Empty(guest.ReadTransfers());
            Assert.Equal(1, guest.Backend.Counters.ReceiveBufferFullEvents);
            while (packet != null)
            {
                received.AddRange(packet.Messages.Select(m => m.AsSpan(44).ToArray()));
                guest.Complete(packet.Transaction);
                packet = guest.ReadTransfers().SingleOrDefault()!;
            }

            Assert.Equal(frames, received);
            Assert.Equal(0, guest.Backend.Counters.FramesDropped);
            Assert.Equal(5, guest.Backend.Counters.FramesDelivered);
            Assert.Equal(2, guest.Backend.Counters.ReceiveBufferFullEvents);
        }

        [Fact]
        public void Link_changes_are_indicated_and_change_the_media_connect_query()
        {
            using NetVscGuest guest = NetVscGuest.Start();
            guest.BringUpAll();
            guest.Backend.SetLink(false);
            TransferPacket down = Assert.Single(guest.ReadTransfers());
            byte[] indication = Assert.Single(down.Messages);
            Assert.Equal(NvspProtocol.ChannelControl, down.ChannelType);
            Assert.Equal(new uint[] { RndisProtocol.IndicateStatus, 20, RndisProtocol.StatusMediaDisconnect, 0, 0 }, Enumerable.Range(0, 5).Select(i => NetVscGuest.U32(indication, i * 4)).ToArray());
            guest.Complete(down.Transaction);
            Assert.Equal(RndisProtocol.MediaStateDisconnected, NetVscGuest.U32(guest.Control(guest.QueryRequest(RndisProtocol.OidMediaConnectStatus)), 24));

            // No change, no indication.
            guest.Backend.SetLink(false);
            Assert.Empty(guest.ReadTransfers());

            guest.Backend.SetLink(true);
            TransferPacket up = Assert.Single(guest.ReadTransfers());
            Assert.Equal(RndisProtocol.StatusMediaConnect, NetVscGuest.U32(Assert.Single(up.Messages), 8));
            guest.Complete(up.Transaction);
            Assert.Equal(RndisProtocol.MediaStateConnected, NetVscGuest.U32(guest.Control(guest.QueryRequest(RndisProtocol.OidMediaConnectStatus)), 24));
        }

        [Theory]
        [InlineData(HostProfile.WS2012R2, null, true)]
        [InlineData(HostProfile.WS2016, null, true)]
        [InlineData(HostProfile.WS2019, null, true)]
        [InlineData(HostProfile.WS2022, null, false)]
        [InlineData(HostProfile.WS2022, true, true)]
        [InlineData(HostProfile.WS2012R2, false, false)]
        public void Hosts_before_ws2022_send_the_offload_status_with_a_length_short_of_its_buffer(HostProfile profile, bool? option, bool expected)
        {
            NetVscOptions options = new NetVscOptions { MacAddress = NetVscGuest.Mac, EmitMalformedStatus = option };
            using NetVscGuest guest = NetVscGuest.Start(profile, options);
            Assert.Equal(expected, guest.Backend.EmitMalformedStatus);
            guest.BringUpNvsp();
            TransferPacket packet = Assert.Single(guest.ControlExchange(guest.Initialize()));
            Assert.Equal(RndisProtocol.InitializeComplete, NetVscGuest.U32(packet.Messages[0], 0));
            if (!expected)
            {
                Assert.Single(packet.Ranges);
                return;
            }

            Assert.Equal(2, packet.Ranges.Length);
            byte[] status = packet.Messages[1];
            uint messageLength = NetVscGuest.U32(status, 4);
            uint bufferLength = NetVscGuest.U32(status, 12);
            uint bufferOffset = NetVscGuest.U32(status, 16);
            Assert.Equal(RndisProtocol.IndicateStatus, NetVscGuest.U32(status, 0));
            Assert.Equal(RndisProtocol.StatusWs2012R2Malformed, NetVscGuest.U32(status, 8));
            Assert.True(bufferLength > 0);
            Assert.True(8 + bufferOffset + bufferLength > messageLength, "MessageLength must not cover the status buffer");
            Assert.Equal(8 + bufferOffset + bufferLength, packet.Ranges[1].ByteCount);
            Assert.True(packet.Ranges[1].ByteOffset >= packet.Ranges[0].ByteOffset + packet.Ranges[0].ByteCount);
        }

        [Fact]
        public void Transfer_packets_respect_the_channel_packet_size_limit()
        {
            NetVscOptions options = new NetVscOptions { MacAddress = NetVscGuest.Mac, MaxMessagesPerPacket = 16 };
            using NetVscGuest guest = NetVscGuest.Start(options: options);
            guest.BringUpAll();

            // 96 bytes: descriptor 16 + page-set header 8 + NVSP 32 + trailer 8 leave room for 4 ranges.
            guest.Channel.MaxPacketSize = 96;
            for (int i = 0; i < 10; i++)
            {
                guest.Backend.DeliverToGuest(NetVscGuest.Frame(NetVscGuest.Mac, 60 + i, (byte)i));
            }

            List<TransferPacket> packets = guest.ReadTransfers();
            Assert.Equal(new[] { 4, 4, 2 }, packets.Select(p => p.Ranges.Length).ToArray());
            Assert.All(packets, p => Assert.True(p.Length + 8 <= 96));
            Assert.Equal(Enumerable.Range(0, 10).Select(i => 60 + i).ToArray(), packets.SelectMany(p => p.Messages).Select(m => (int)NetVscGuest.U32(m, 12)).ToArray());
            Assert.DoesNotContain(guest.Host.Trace.Events, e => e.Kind == TraceKind.Fault && e.Detail.Contains("exceeds"));

            // The default limit (512) still fits the default 8 messages per packet.
            guest.Channel.MaxPacketSize = 512;
            for (int i = 0; i < 8; i++)
            {
                guest.Backend.DeliverToGuest(NetVscGuest.Frame(NetVscGuest.Mac, 60, 0));
            }

            Assert.True(Assert.Single(guest.ReadTransfers()).Length + 8 <= 512);
        }

        public static IEnumerable<object[]> BadRanges()
        {
            // (description, byte_count, byte_offset, pfn: 0 = the scratch page, or a value outside guest memory)
            yield return new object[] { "pfn outside guest memory", 60u, 0u, 0x7_FFFF_FFFFUL };
            yield return new object[] { "huge pfn", 60u, 0u, ulong.MaxValue };
            yield return new object[] { "byte_offset beyond the page", 60u, 4096u, 0UL };
            yield return new object[] { "empty range", 0u, 0u, 0UL };
            yield return new object[] { "longer than max_xfer", 0x4001u, 0u, 0UL };
        }

        [Theory]
        [MemberData(nameof(BadRanges))]
        public void A_bad_gpa_range_gets_status_2_and_the_device_keeps_working(string what, uint byteCount, uint byteOffset, ulong pfn)
        {
            using NetVscGuest guest = NetVscGuest.Start();
            guest.BringUpAll();
            ulong scratch = guest.Scratch.PhysicalAddress >> 12;
            ulong first = pfn == 0 ? scratch : pfn;
            ulong pages = Math.Max(1, ((ulong)byteOffset + byteCount + 4095) / 4096);
            ulong[] pfns = Enumerable.Range(0, (int)pages).Select(i => first == scratch ? scratch + (ulong)i : first).ToArray();
            ulong transaction = guest.SendGpaDirect(NetVscGuest.GpaHeader(byteCount, byteOffset, pfns), NvspProtocol.ChannelData);
            Assert.Equal(NvspProtocol.StatusFailure, guest.ExpectRndisCompletion(transaction));
            Assert.True(guest.Backend.Counters.ProtocolViolations == 1, what);
            Assert.Empty(guest.Recorder.Frames);
            Assert.False(guest.Channel.GuestRingFaulted);

            // Still serving requests.
            Assert.Equal(NetVscGuest.Mac, guest.Control(guest.QueryRequest(RndisProtocol.OidCurrentAddress)).AsSpan(24, 6).ToArray());
        }

        [Fact]
        public void An_rndis_message_longer_than_its_range_gets_status_5()
        {
            using NetVscGuest guest = NetVscGuest.Start();
            guest.BringUpAll();
            byte[] packet = NetVscGuest.DataPacket(NetVscGuest.Frame(s_broadcast, 60, 1));
            BitConverter.GetBytes(4000u).CopyTo(packet, 4);
            ulong transaction = guest.SendRndis(packet, NvspProtocol.ChannelData);
            Assert.Equal(NvspProtocol.StatusInvalidRndisPacket, guest.ExpectRndisCompletion(transaction));
            Assert.Empty(guest.Recorder.Frames);
            Assert.Equal(1, guest.Backend.Counters.ProtocolViolations);
        }

        [Fact]
        public void The_packet_filter_decides_which_frames_reach_the_guest_when_applied()
        {
            using NetVscGuest guest = NetVscGuest.Start(options: new NetVscOptions { MacAddress = NetVscGuest.Mac, ApplyPacketFilter = true });
            guest.BringUpAll(filter: RndisProtocol.FilterDirected | RndisProtocol.FilterBroadcast);
            byte[] other = { 0x00, 0x15, 0x5D, 0x99, 0x99, 0x99 };
            byte[] multicast = { 0x01, 0x00, 0x5E, 0x00, 0x00, 0x01 };
            guest.Backend.DeliverToGuest(NetVscGuest.Frame(other, 60, 1));
            guest.Backend.DeliverToGuest(NetVscGuest.Frame(multicast, 60, 2));
            guest.Backend.DeliverToGuest(NetVscGuest.Frame(s_broadcast, 60, 3));
            guest.Backend.DeliverToGuest(NetVscGuest.Frame(NetVscGuest.Mac, 60, 4));
            TransferPacket packet = Assert.Single(guest.ReadTransfers());
            Assert.Equal(new byte[] { 3 + 14, 4 + 14 }, packet.Messages.Select(m => m[44 + 14]).ToArray());
            Assert.Equal(2, guest.Backend.Counters.FramesDropped);
            guest.Complete(packet.Transaction);

            guest.Control(guest.SetRequest(RndisProtocol.OidCurrentPacketFilter, NetVscGuest.Le32(RndisProtocol.FilterPromiscuous)));
            guest.Backend.DeliverToGuest(NetVscGuest.Frame(other, 60, 5));
            Assert.Single(guest.ReadTransfers());
        }

        [Fact]
        public void By_default_the_packet_filter_is_recorded_but_not_applied()
        {
            using NetVscGuest guest = NetVscGuest.Start();
            guest.BringUpAll(filter: RndisProtocol.FilterDirected);
            guest.Backend.DeliverToGuest(NetVscGuest.Frame(new byte[] { 0x00, 0x15, 0x5D, 0x99, 0x99, 0x99 }, 60, 1));
            Assert.Single(Assert.Single(guest.ReadTransfers()).Messages);
            Assert.Equal(RndisProtocol.FilterDirected, guest.Backend.PacketFilter);
            Assert.Equal(0, guest.Backend.Counters.FramesDropped);
        }

        [Fact]
        public void A_send_buffer_section_carries_an_rndis_packet_sent_inband()
        {
            using NetVscGuest guest = NetVscGuest.Start();
            guest.BringUpAll();
            Bootstage.Platform.PhysicalRegion sendBuffer = guest.Guest.Allocate(2);
            Assert.Equal(0u, guest.Guest.CreateGpadl(guest.Channel.RelId, 0x300, sendBuffer));
            byte[] reply = guest.Transact(NetVscGuest.NvspBuffer(NvspProtocol.SendSendBuffer, 0x300, 0xBEEF));
            Assert.Equal(new uint[] { NvspProtocol.SendSendBufferComplete, NvspProtocol.StatusSuccess, 2048 }, Enumerable.Range(0, 3).Select(i => NetVscGuest.U32(reply, i * 4)).ToArray());
            Assert.True(guest.Backend.SendBufferRegistered);

            byte[] frame = NetVscGuest.Frame(s_broadcast, 300, 9);
            byte[] rndis = NetVscGuest.DataPacket(frame);
            unsafe
            {
                rndis.CopyTo(new Span<byte>((byte*)sendBuffer.VirtualAddress + 3 * 2048, rndis.Length));
            }

            byte[] nvsp = NetVscGuest.Nvsp(NvspProtocol.SendRndisPacket, NvspProtocol.ChannelData, 3, (uint)rndis.Length);
            byte[] done = guest.Transact(nvsp);
            Assert.Equal(NvspProtocol.StatusSuccess, NetVscGuest.U32(done, 4));
            Assert.Equal(frame, Assert.Single(guest.Recorder.Frames));

            // A section past the end is refused.
            Assert.Equal(NvspProtocol.StatusFailure, NetVscGuest.U32(guest.Transact(NetVscGuest.Nvsp(NvspProtocol.SendRndisPacket, 0, 4, 100)), 4));
            Assert.Empty(guest.Transact(NetVscGuest.NvspBuffer(NvspProtocol.RevokeSendBuffer, null, 0xBEEF)));
            Assert.False(guest.Backend.SendBufferRegistered);
        }

        [Fact]
        public void Closing_the_channel_forgets_the_session()
        {
            using NetVscGuest guest = NetVscGuest.Start();
            guest.BringUpAll();
            guest.Backend.DeliverToGuest(NetVscGuest.Frame(NetVscGuest.Mac, 60, 1));
            Assert.Equal(HvStatus.Success, guest.Guest.PostWithRelId(VmBusMessageType.CloseChannel, guest.Channel.RelId));
            guest.Host.RunHost();
            Assert.False(guest.Channel.IsOpen);
            Assert.Null(guest.Backend.Channel);
            Assert.Equal(0u, guest.Backend.NegotiatedNvspVersion);
            Assert.False(guest.Backend.ReceiveBufferRegistered);
            Assert.False(guest.Backend.RndisInitialized);
            Assert.Equal(0u, guest.Backend.PacketFilter);
            Assert.Equal(0, guest.Backend.PendingReceiveMessages);
            Assert.Equal(0, guest.Backend.Counters.CompletionsOutstanding);
        }
    }
}
