// The VMBus host state machine against docs/hyperv.md §5–6:
// version negotiation per profile, resets on INITIATE_CONTACT and UNLOAD, enumeration, GPADLs, open
// and close, rescind.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using Bootstage.Platform;

namespace Bootstage.HyperV.HostModel.Tests
{
    public unsafe class VmBusTests
    {
        private static readonly Guid s_instance = new Guid("01234567-89ab-cdef-0123-456789abcdef");

        private static RawGuest Booted(HyperVHost host)
        {
            RawGuest guest = new RawGuest(host);
            guest.Boot();
            return guest;
        }

        [Theory]
        [InlineData(HostProfile.WS2008R2, VmBusVersion.Ws2008, true)]
        [InlineData(HostProfile.WS2008R2, VmBusVersion.Win7, true)]
        [InlineData(HostProfile.WS2008R2, VmBusVersion.Win8, false)]
        [InlineData(HostProfile.WS2008R2, VmBusVersion.Win81, false)]
        [InlineData(HostProfile.WS2012, VmBusVersion.Ws2008, true)]
        [InlineData(HostProfile.WS2012, VmBusVersion.Win8, true)]
        [InlineData(HostProfile.WS2012, VmBusVersion.Win81, false)]
        [InlineData(HostProfile.WS2012R2, VmBusVersion.Ws2008, true)]
        [InlineData(HostProfile.WS2012R2, VmBusVersion.Win81, true)]
        [InlineData(HostProfile.WS2012R2, VmBusVersion.Win10, false)]
        [InlineData(HostProfile.WS2016, VmBusVersion.Ws2008, true)]
        [InlineData(HostProfile.WS2016, VmBusVersion.Win81, true)]
        [InlineData(HostProfile.WS2016, VmBusVersion.Win10, true)]
        [InlineData(HostProfile.WS2016, 0x00020000u, false)]
        [InlineData(HostProfile.AzureNC6, VmBusVersion.Ws2008, true)]
        [InlineData(HostProfile.AzureNC6, VmBusVersion.Win81, true)]
        [InlineData(HostProfile.WS2019, VmBusVersion.Ws2008, true)]
        [InlineData(HostProfile.WS2019, VmBusVersion.Win81, true)]
        [InlineData(HostProfile.WS2019, VmBusVersion.Win10V52, true)]
        [InlineData(HostProfile.WS2019, VmBusVersion.Win10V53, false)]
        [InlineData(HostProfile.WS2022, VmBusVersion.Ws2008, true)]
        [InlineData(HostProfile.WS2022, VmBusVersion.Win81, true)]
        [InlineData(HostProfile.WS2022, VmBusVersion.Win10V53, true)]
        public void Version_negotiation_accepts_every_known_version_up_to_the_profile_maximum(HostProfile profile, uint version, bool accepted)
        {
            using HyperVHost host = new HyperVHost(profile);
            RawGuest guest = Booted(host);
            Assert.Equal(accepted, guest.Connect(version));
            Assert.Equal(accepted, host.IsConnected);
            Assert.Equal(accepted ? version : 0u, host.NegotiatedVersion);
            Assert.Equal(accepted ? 1 : 0, host.VmBus.ContactCount);
            Assert.Equal(accepted ? 0 : 1, host.VmBus.RefusedContactCount);
        }

        [Fact]
        public void Connection_4_is_not_a_message_connection_before_vmbus_5()
        {
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            RawGuest guest = Booted(host);
            Assert.Equal(HvStatus.InvalidConnectionId, guest.PostInitiateContact(VmBusVersion.Win10V5));
            Assert.Equal(0, host.VmBus.ContactCount);
        }

        [Theory]
        [InlineData(HostProfile.WS2019)]
        [InlineData(HostProfile.WS2022)]
        public void A_5_x_contact_belongs_on_connection_4_and_later_messages_use_the_connection_the_host_names(HostProfile profile)
        {
            using HyperVHost host = new HyperVHost(profile);
            host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);

            // On connection 1 a 5.x contact is refused.
            byte[] contact = new byte[32];
            BinaryPrimitives.WriteUInt32LittleEndian(contact, VmBusVersion.Win10V5);
            Assert.Equal(HvStatus.Success, guest.Post(RawGuest.Message(VmBusMessageType.InitiateContact, contact), connectionId: 1));
            Assert.Equal(0, guest.Expect(VmBusMessageType.VersionResponse)[8]);

            Assert.True(guest.Connect(VmBusVersion.Win10V5));
            byte[] offersRequest = RawGuest.Message(VmBusMessageType.RequestOffers, default);
            Assert.Equal(HvStatus.InvalidConnectionId, guest.Post(offersRequest, connectionId: 1));
            Assert.Single(guest.RequestOffers());

            // A 3.0 contact on connection 1 is fine again, and then 1 is the connection.
            Assert.True(guest.Connect(VmBusVersion.Win81));
            Assert.Equal(HvStatus.Success, guest.Post(offersRequest, connectionId: 1));
        }

        [Fact]
        public void Contact_records_the_interrupt_and_monitor_pages()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Ws2008));
            Assert.Equal(guest.InterruptPage.PhysicalAddress, host.VmBus.InterruptPage);
            Assert.Equal(guest.MonitorPages.PhysicalAddress, host.VmBus.MonitorPage1);
            Assert.Equal(guest.MonitorPages.PhysicalAddress + 4096, host.VmBus.MonitorPage2);
            Assert.Equal(BusOwner.Guest, host.VmBus.Owner);
        }

        [Fact]
        public void Messages_before_contact_are_ignored_without_reply()
        {
            using HyperVHost host = new HyperVHost();
            host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);
            Assert.Equal(HvStatus.Success, guest.Post(VmBusMessageType.RequestOffers));
            guest.ExpectNothing();
            Assert.Contains(host.Trace.Events, e => e.Kind == TraceKind.Fault && e.MessageType == VmBusMessageType.RequestOffers);
        }

        [Fact]
        public void Offers_come_one_per_channel_then_all_offers_delivered()
        {
            using HyperVHost host = new HyperVHost();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            HostChannel scsi = host.AddChannel(HostDeviceClasses.Scsi, Guid.NewGuid());
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));
            List<byte[]> offers = guest.RequestOffers();

            Assert.Equal(2, offers.Count);
            byte[] offer = offers[0];
            Assert.Equal(196, offer.Length);
            Assert.Equal(HostDeviceClasses.NetVsc.ToByteArray(), offer.AsSpan(8, 16).ToArray());
            Assert.Equal(new byte[] { 0x63, 0x51, 0x61, 0xF8 }, offer.AsSpan(8, 4).ToArray());
            Assert.Equal(s_instance.ToByteArray(), offer.AsSpan(24, 16).ToArray());
            Assert.Equal(nic.RelId, RawGuest.U32(offer, 184));
            Assert.True(nic.RelId >= 1);
            Assert.Equal(1, offer[189] & 1);
            Assert.Equal(nic.MonitorId, offer[188]);
            Assert.Equal(16 + nic.RelId, RawGuest.U32(offer, 192));
            Assert.Equal(scsi.RelId, RawGuest.U32(offers[1], 184));
            Assert.NotEqual(nic.RelId, scsi.RelId);
            Assert.True(nic.IsOffered && scsi.IsOffered);
        }

        [Fact]
        public void Offers_at_protocol_0_13_are_188_bytes_without_monitor_or_connection_fields()
        {
            using HyperVHost host = new HyperVHost();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Ws2008));
            byte[] offer = Assert.Single(guest.RequestOffers());
            Assert.Equal(188, offer.Length);
            Assert.Equal(nic.RelId, RawGuest.U32(offer, 184));
        }

        [Fact]
        public void AzureNC6_sends_a_late_pcie_offer_while_the_guest_waits_for_its_next_reply()
        {
            using HyperVHost host = new HyperVHost(HostProfile.AzureNC6);
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));
            Assert.Single(guest.RequestOffers());
            guest.ExpectNothing();

            PhysicalRegion buffer = guest.Allocate(1);
            guest.PostGpadl(nic.RelId, 7, RawGuest.Pfns(buffer), 4096);
            byte[] late = guest.Expect(VmBusMessageType.OfferChannel);
            Assert.Equal(HostDeviceClasses.PciePassThrough.ToByteArray(), late.AsSpan(8, 16).ToArray());
            Assert.NotEqual(nic.RelId, RawGuest.U32(late, 184));
            guest.Expect(VmBusMessageType.GpadlCreated);
            Assert.Contains(host.Channels, c => c.ClassId == HostDeviceClasses.PciePassThrough && c.IsLateOffer);
        }

        [Fact]
        public void Ws2016_sends_no_late_offer()
        {
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));
            guest.RequestOffers();
            Assert.Equal(0u, guest.CreateGpadl(1, 7, guest.Allocate(1)));
            Assert.Equal(1, host.Trace.Counters.Delivered(VmBusMessageType.OfferChannel));
            Assert.Single(host.Channels);
        }

        [Fact]
        public void Gpadl_with_many_pfns_is_created_only_after_its_last_body_message()
        {
            using HyperVHost host = new HyperVHost();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));
            guest.RequestOffers();

            PhysicalRegion buffer = guest.Allocate(100);
            ulong[] pfns = RawGuest.Pfns(buffer);
            int bodies = guest.PostGpadl(nic.RelId, 0x2000, pfns, (uint)buffer.Length);
            Assert.Equal(3, bodies);
            byte[] created = guest.Expect(VmBusMessageType.GpadlCreated);
            Assert.Equal(nic.RelId, RawGuest.U32(created, 8));
            Assert.Equal(0x2000u, RawGuest.U32(created, 12));
            Assert.Equal(0u, RawGuest.U32(created, 16));
            Assert.True(host.VmBus.TryGetGpadl(0x2000, out HostGpadl gpadl));
            Assert.Equal(pfns, gpadl.Pfns);
            Assert.Equal(3, gpadl.BodyMessages);
            Assert.Equal(buffer.Length, gpadl.ByteLength);

            // The reply came after the third body, not before: one GPADL_CREATED in all.
            Assert.Equal(1, host.Trace.Counters.Delivered(VmBusMessageType.GpadlCreated));
            List<VmBusMessageType> sent = host.Trace.Messages(TraceDirection.GuestToHost);
            Assert.Equal(VmBusMessageType.GpadlBody, sent[^1]);
        }

        [Fact]
        public void Gpadl_with_a_non_zero_byte_offset_is_accepted_and_readable_from_that_offset()
        {
            using HyperVHost host = new HyperVHost();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));
            guest.RequestOffers();

            PhysicalRegion buffer = guest.Allocate(2);
            byte* bytes = (byte*)buffer.VirtualAddress;
            bytes[0x123] = 0xAB;
            bytes[0x123 + 4000] = 0xCD;
            guest.PostGpadl(nic.RelId, 9, RawGuest.Pfns(buffer), 4001, 0x123);
            Assert.Equal(0u, RawGuest.U32(guest.Expect(VmBusMessageType.GpadlCreated), 16));
            byte[] read = new byte[4001];
            Assert.True(nic.TryReadGpadl(9, 0, read));
            Assert.Equal(0xAB, read[0]);
            Assert.Equal(0xCD, read[4000]);
            Assert.False(nic.TryReadGpadl(9, 1, read));
        }

        [Fact]
        public void Gpadl_naming_pages_outside_guest_memory_is_refused_with_a_failure_status()
        {
            using HyperVHost host = new HyperVHost();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));
            guest.RequestOffers();
            guest.PostGpadl(nic.RelId, 11, new ulong[] { 0x7000_0000 }, 4096);
            Assert.NotEqual(0u, RawGuest.U32(guest.Expect(VmBusMessageType.GpadlCreated), 16));
            Assert.Empty(host.LiveGpadlIds);
        }

        [Fact]
        public void Gpadl_whose_range_length_disagrees_with_its_pfns_is_refused()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));
            PhysicalRegion buffer = guest.Allocate(2);

            // Two PFNs for a range that needs one.
            guest.PostGpadl(1, 12, RawGuest.Pfns(buffer), 100);
            Assert.NotEqual(0u, RawGuest.U32(guest.Expect(VmBusMessageType.GpadlCreated), 16));
        }

        [Fact]
        public void Gpadl_teardown_answers_torndown_and_unknown_ids_get_no_reply()
        {
            using HyperVHost host = new HyperVHost();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));
            guest.RequestOffers();
            Assert.Equal(0u, guest.CreateGpadl(nic.RelId, 5, guest.Allocate(1)));
            Assert.Contains(5u, host.LiveGpadlIds);

            Assert.Equal(HvStatus.Success, guest.PostWithRelId(VmBusMessageType.GpadlTeardown, nic.RelId, 5));
            Assert.Equal(5u, RawGuest.U32(guest.Expect(VmBusMessageType.GpadlTorndown), 8));
            Assert.Empty(host.LiveGpadlIds);

            Assert.Equal(HvStatus.Success, guest.PostWithRelId(VmBusMessageType.GpadlTeardown, nic.RelId, 5));
            guest.ExpectNothing();
            Assert.Equal(2, host.Trace.Counters.TeardownsReceived);
        }

        [Fact]
        public void A_duplicate_gpadl_id_is_ignored_without_reply()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));
            Assert.Equal(0u, guest.CreateGpadl(1, 5, guest.Allocate(1)));
            guest.PostGpadl(1, 5, RawGuest.Pfns(guest.Allocate(1)), 4096);
            guest.ExpectNothing();
            Assert.Single(host.LiveGpadlIds);
        }

        [Fact]
        public void Open_echoes_the_open_id_and_maps_both_rings_from_the_gpadl()
        {
            using HyperVHost host = new HyperVHost();
            AutoCompleteDevice device = new AutoCompleteDevice();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance, device);
            RawGuest guest = Booted(host);
            GuestRings rings = guest.BringUp(nic, pagesPerRing: 3, openId: 0xDEADBEEF);

            Assert.True(nic.IsOpen);
            Assert.Equal(0xDEADBEEFu, nic.OpenId);
            Assert.Equal(0x100u, nic.RingGpadlId);
            Assert.Equal(3u, nic.DownstreamPageOffset);
            Assert.Equal(2u * 4096, nic.GuestToHostRingSize);
            Assert.Equal(2u * 4096, nic.HostToGuestRingSize);
            Assert.Equal(1, device.Opens);

            // The host advertises pending_send_sz support in the ring it writes.
            Assert.Equal(1u, rings.ReceiveFeatures & 1);
        }

        [Fact]
        public void Open_is_refused_for_unknown_gpadl_bad_offset_unknown_relid_and_an_open_channel()
        {
            using HyperVHost host = new HyperVHost();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));
            guest.RequestOffers();
            PhysicalRegion ringPages = guest.Allocate(4);
            Assert.Equal(0u, guest.CreateGpadl(nic.RelId, 1, ringPages));

            Assert.NotEqual(0u, guest.Open(nic.RelId, 1, 99, 2).Status);
            Assert.NotEqual(0u, guest.Open(nic.RelId, 2, 1, 1).Status);
            Assert.NotEqual(0u, guest.Open(nic.RelId, 3, 1, 3).Status);
            Assert.NotEqual(0u, guest.Open(77, 4, 1, 2).Status);
            Assert.False(nic.IsOpen);
            Assert.Equal(0u, guest.Open(nic.RelId, 5, 1, 2).Status);
            Assert.NotEqual(0u, guest.Open(nic.RelId, 6, 1, 2).Status);
            Assert.Equal(5u, nic.OpenId);
        }

        [Fact]
        public void Open_of_a_channel_not_offered_on_this_connection_is_refused()
        {
            using HyperVHost host = new HyperVHost();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));
            Assert.Equal(0u, guest.CreateGpadl(nic.RelId, 1, guest.Allocate(4)));
            Assert.NotEqual(0u, guest.Open(nic.RelId, 1, 1, 2).Status);
        }

        [Fact]
        public void Close_of_an_open_channel_gets_no_reply_and_close_of_a_closed_channel_is_tolerated()
        {
            using HyperVHost host = new HyperVHost();
            AutoCompleteDevice device = new AutoCompleteDevice();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance, device);
            RawGuest guest = Booted(host);
            guest.BringUp(nic);

            Assert.Equal(HvStatus.Success, guest.PostWithRelId(VmBusMessageType.CloseChannel, nic.RelId));
            guest.ExpectNothing();
            Assert.False(nic.IsOpen);
            Assert.Equal(1, device.Closes);

            Assert.Equal(HvStatus.Success, guest.PostWithRelId(VmBusMessageType.CloseChannel, nic.RelId));
            Assert.Equal(HvStatus.Success, guest.PostWithRelId(VmBusMessageType.CloseChannel, 1234));
            guest.ExpectNothing();
            Assert.Equal(1, device.Closes);
            Assert.True(host.IsConnected);
        }

        [Fact]
        public void Initiate_contact_resets_channels_and_gpadls_without_teardown_messages()
        {
            using HyperVHost host = new HyperVHost();
            AutoCompleteDevice device = new AutoCompleteDevice();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance, device);
            RawGuest guest = Booted(host);
            guest.BringUp(nic);
            Assert.Equal(0u, guest.CreateGpadl(nic.RelId, 0x200, guest.Allocate(2)));
            Assert.Equal(2, host.LiveGpadlIds.Count);

            Assert.True(guest.Connect(VmBusVersion.Win81));
            guest.ExpectNothing();
            Assert.False(nic.IsOpen);
            Assert.False(nic.IsOffered);
            Assert.Empty(host.LiveGpadlIds);
            Assert.Equal(1, device.Closes);
            Assert.Equal(VmBusVersion.Win81, host.NegotiatedVersion);
            Assert.Equal(0, host.Trace.Counters.Delivered(VmBusMessageType.GpadlTorndown));
            Assert.Equal(0, host.Trace.Counters.Delivered(VmBusMessageType.RescindChannelOffer));

            // The same ids are free again and the channel can be brought up anew.
            guest.RequestOffers();
            Assert.Equal(0u, guest.CreateGpadl(nic.RelId, 0x100, guest.Allocate(4)));
            Assert.Equal(0u, guest.Open(nic.RelId, 8, 0x100, 2).Status);
        }

        [Fact]
        public void A_refused_contact_also_resets_the_bus()
        {
            using HyperVHost host = new HyperVHost(HostProfile.WS2012);
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);
            guest.BringUp(nic, VmBusVersion.Win8);
            Assert.False(guest.Connect(VmBusVersion.Win81));
            Assert.False(host.IsConnected);
            Assert.False(nic.IsOpen);
            Assert.Empty(host.LiveGpadlIds);
        }

        [Theory]
        [InlineData(HostProfile.WS2012R2)]
        [InlineData(HostProfile.WS2016)]
        [InlineData(HostProfile.AzureNC6)]
        public void Unload_is_answered_then_the_bus_is_reset(HostProfile profile)
        {
            using HyperVHost host = new HyperVHost(profile);
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);
            guest.SkipUnsolicitedOffers = true;
            guest.BringUp(nic, VmBusVersion.Ws2008);
            Assert.Equal(HvStatus.Success, guest.Post(VmBusMessageType.Unload));
            Assert.Equal(8, guest.Expect(VmBusMessageType.UnloadResponse).Length);
            Assert.False(host.IsConnected);
            Assert.False(nic.IsOpen);
            Assert.Empty(host.LiveGpadlIds);
            Assert.Equal(1, host.VmBus.UnloadCount);
            Assert.True(guest.Connect(VmBusVersion.Ws2008));
        }

        [Theory]
        [InlineData(HostProfile.WS2008R2)]
        [InlineData(HostProfile.WS2012)]
        public void Hosts_before_ws2012r2_ignore_unload(HostProfile profile)
        {
            using HyperVHost host = new HyperVHost(profile);
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Ws2008));
            Assert.Equal(HvStatus.Success, guest.Post(VmBusMessageType.Unload));
            guest.ExpectNothing();
            Assert.True(host.IsConnected);
            Assert.Equal(0, host.VmBus.UnloadCount);
        }

        [Fact]
        public void Rescind_is_sent_and_the_channel_is_not_offered_again_after_relid_released()
        {
            using HyperVHost host = new HyperVHost();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            HostChannel other = host.AddChannel(HostDeviceClasses.NetVsc, Guid.NewGuid());
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));
            Assert.Equal(2, guest.RequestOffers().Count);

            host.RescindChannel(nic);
            Assert.Equal(nic.RelId, RawGuest.U32(guest.Expect(VmBusMessageType.RescindChannelOffer), 8));
            Assert.Equal(HvStatus.Success, guest.PostWithRelId(VmBusMessageType.RelIdReleased, nic.RelId));
            guest.ExpectNothing();
            Assert.DoesNotContain(nic, host.Channels);

            List<byte[]> offers = guest.RequestOffers();
            Assert.Single(offers);
            Assert.Equal(other.RelId, RawGuest.U32(offers[0], 184));
        }

        [Fact]
        public void Hot_added_channel_offer_arrives_unsolicited()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));
            Assert.Empty(guest.RequestOffers());
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            host.OfferChannel(nic);
            Assert.Equal(nic.RelId, RawGuest.U32(guest.Expect(VmBusMessageType.OfferChannel), 184));
        }

        [Fact]
        public void Trace_records_messages_in_order_with_their_key_fields()
        {
            using HyperVHost host = new HyperVHost();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);
            guest.BringUp(nic, VmBusVersion.Win81, openId: 0x77);

            Assert.Equal(
                new[] { VmBusMessageType.InitiateContact, VmBusMessageType.RequestOffers, VmBusMessageType.GpadlHeader, VmBusMessageType.OpenChannel },
                host.Trace.Messages(TraceDirection.GuestToHost));
            Assert.Equal(
                new[] { VmBusMessageType.VersionResponse, VmBusMessageType.OfferChannel, VmBusMessageType.AllOffersDelivered, VmBusMessageType.GpadlCreated, VmBusMessageType.OpenChannelResult },
                host.Trace.Messages(TraceDirection.HostToGuest));
            Assert.Contains(host.Trace.Events, e => e.MessageType == VmBusMessageType.InitiateContact && e.Detail.Contains("version 0x30000"));
            Assert.Contains(host.Trace.Events, e => e.MessageType == VmBusMessageType.OpenChannelResult && e.Detail.Contains("open id 0x77"));
            Assert.Equal(1, host.Trace.Counters.Posted(VmBusMessageType.OpenChannel));
            Assert.Equal(1, host.Trace.Counters.Delivered(VmBusMessageType.OfferChannel));

            // Polling is counted, not listed.
            int events = host.Trace.Events.Count;
            for (int i = 0; i < 1000; i++)
            {
                host.Pause();
                guest.ReadMsr(HvMsr.TimeRefCount);
                guest.WriteMsr(HvMsr.Eom, 0);
            }

            Assert.Equal(events, host.Trace.Events.Count);
        }

        [Fact]
        public void Tearing_down_the_ring_gpadl_of_an_open_channel_closes_it_host_side()
        {
            using HyperVHost host = new HyperVHost();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = Booted(host);
            guest.BringUp(nic, gpadlId: 0x100);
            Assert.Equal(HvStatus.Success, guest.PostWithRelId(VmBusMessageType.GpadlTeardown, nic.RelId, 0x100));
            guest.Expect(VmBusMessageType.GpadlTorndown);
            Assert.False(nic.IsOpen);
            Assert.False(nic.SendInband(new byte[8], 1));
        }

        [Fact]
        public void Short_or_unknown_guest_messages_are_traced_and_ignored()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));
            Assert.Equal(HvStatus.Success, guest.Post(new byte[] { 1, 2, 3 }));
            Assert.Equal(HvStatus.Success, guest.Post(VmBusMessageType.OpenChannel, new byte[4]));
            Assert.Equal(HvStatus.Success, guest.Post(VmBusMessageType.TlConnectRequest, new byte[32]));
            Assert.Equal(HvStatus.Success, guest.Post(VmBusMessageType.VersionResponse));
            guest.ExpectNothing();
            Assert.True(host.Trace.OfKind(TraceKind.Fault).Count >= 4);
            Assert.True(host.IsConnected);
        }
    }
}
