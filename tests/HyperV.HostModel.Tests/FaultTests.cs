// Each fault knob of the host model (docs/hyperv.md §12): drop, duplicate and
// delay of host messages, a busy SIMP slot, a message injected before a reply, and a host reset
// triggered by a guest message. Ring-level injections are covered in RingTests.
using System;
using System.Buffers.Binary;

namespace Bootstage.HyperV.HostModel.Tests
{
    public unsafe class FaultTests
    {
        private static (HyperVHost Host, RawGuest Guest, HostChannel Channel) Setup()
        {
            HyperVHost host = new HyperVHost();
            HostChannel channel = host.AddChannel(HostDeviceClasses.NetVsc, Guid.NewGuid());
            RawGuest guest = new RawGuest(host);
            guest.Boot();
            return (host, guest, channel);
        }

        [Fact]
        public void Dropped_message_never_arrives_and_the_next_one_does()
        {
            (HyperVHost host, RawGuest guest, HostChannel _) = Setup();
            using (host)
            {
                host.Faults.DropNext(VmBusMessageType.VersionResponse);
                Assert.Equal(HvStatus.Success, guest.PostInitiateContact(VmBusVersion.Win10));
                guest.ExpectNothing();
                Assert.True(host.IsConnected);
                Assert.True(guest.Connect(VmBusVersion.Win10));
                Assert.Contains(host.Trace.Events, e => e.Kind == TraceKind.Fault && e.Detail == "dropped");
            }
        }

        [Fact]
        public void Duplicated_message_arrives_twice()
        {
            (HyperVHost host, RawGuest guest, HostChannel _) = Setup();
            using (host)
            {
                Assert.True(guest.Connect(VmBusVersion.Win10));
                host.Faults.DuplicateNext(VmBusMessageType.AllOffersDelivered);
                guest.RequestOffers();
                guest.Expect(VmBusMessageType.AllOffersDelivered);
                guest.ExpectNothing();
            }
        }

        [Fact]
        public void Delayed_message_arrives_after_the_given_number_of_other_deliveries()
        {
            (HyperVHost host, RawGuest guest, HostChannel channel) = Setup();
            using (host)
            {
                host.Faults.DelayNext(VmBusMessageType.VersionResponse, 2);
                Assert.Equal(HvStatus.Success, guest.PostInitiateContact(VmBusVersion.Win10));
                guest.ExpectNothing();
                Assert.Equal(1, host.Faults.DelayedCount);

                Assert.Equal(HvStatus.Success, guest.Post(VmBusMessageType.RequestOffers));
                guest.Expect(VmBusMessageType.OfferChannel);
                guest.Expect(VmBusMessageType.AllOffersDelivered);
                guest.Expect(VmBusMessageType.VersionResponse);
                Assert.Equal(0, host.Faults.DelayedCount);
            }
        }

        [Fact]
        public void Delayed_message_can_be_released_by_the_test()
        {
            (HyperVHost host, RawGuest guest, HostChannel _) = Setup();
            using (host)
            {
                host.Faults.DelayNext(VmBusMessageType.VersionResponse, 100);
                guest.PostInitiateContact(VmBusVersion.Win10);
                guest.ExpectNothing();
                host.ReleaseDelayedMessages();
                guest.Expect(VmBusMessageType.VersionResponse);
            }
        }

        [Fact]
        public void Held_simp_slot_delivers_only_on_the_last_of_n_eoms()
        {
            (HyperVHost host, RawGuest guest, HostChannel _) = Setup();
            using (host)
            {
                host.Faults.HoldSimpSlot(3);
                guest.PostInitiateContact(VmBusVersion.Win10);
                for (int i = 0; i < 50; i++)
                {
                    host.Pause();
                }

                Assert.Equal(0u, *(uint*)guest.Slot());
                guest.WriteMsr(HvMsr.Eom, 0);
                guest.WriteMsr(HvMsr.Eom, 0);
                Assert.Equal(0u, *(uint*)guest.Slot());
                guest.WriteMsr(HvMsr.Eom, 0);
                guest.Expect(VmBusMessageType.VersionResponse);
                Assert.Equal(0, host.Faults.HeldEoms);
            }
        }

        [Fact]
        public void Unsolicited_offer_is_injected_right_before_gpadl_created()
        {
            (HyperVHost host, RawGuest guest, HostChannel channel) = Setup();
            using (host)
            {
                Assert.True(guest.Connect(VmBusVersion.Win10));
                guest.RequestOffers();
                byte[] offer = new byte[196];
                BinaryPrimitives.WriteUInt32LittleEndian(offer, (uint)VmBusMessageType.OfferChannel);
                HostDeviceClasses.PciePassThrough.TryWriteBytes(offer.AsSpan(8));
                BinaryPrimitives.WriteUInt32LittleEndian(offer.AsSpan(184), 42);
                host.Faults.InjectBefore(VmBusMessageType.GpadlCreated, offer);

                guest.PostGpadl(channel.RelId, 3, RawGuest.Pfns(guest.Allocate(1)), 4096);
                Assert.Equal(42u, RawGuest.U32(guest.Expect(VmBusMessageType.OfferChannel), 184));
                guest.Expect(VmBusMessageType.GpadlCreated);
            }
        }

        [Fact]
        public void Host_reset_from_elsewhere_on_open_makes_the_open_fail_for_lack_of_its_gpadl()
        {
            (HyperVHost host, RawGuest guest, HostChannel channel) = Setup();
            using (host)
            {
                Assert.True(guest.Connect(VmBusVersion.Win10));
                guest.RequestOffers();
                Assert.Equal(0u, guest.CreateGpadl(channel.RelId, 1, guest.Allocate(4)));
                host.Faults.ResetHostOn(VmBusMessageType.OpenChannel, HostResetKind.ContactFromElsewhere);
                Assert.NotEqual(0u, guest.Open(channel.RelId, 1, 1, 2).Status);
                Assert.True(host.IsConnected);
                Assert.Equal(BusOwner.Other, host.VmBus.Owner);
                Assert.Empty(host.LiveGpadlIds);
            }
        }

        [Fact]
        public void Host_unload_on_a_guest_message_leaves_the_bus_disconnected_until_contact()
        {
            (HyperVHost host, RawGuest guest, HostChannel channel) = Setup();
            using (host)
            {
                Assert.True(guest.Connect(VmBusVersion.Win10));
                host.Faults.ResetHostOn(VmBusMessageType.RequestOffers, HostResetKind.Unload);
                Assert.Equal(HvStatus.Success, guest.Post(VmBusMessageType.RequestOffers));
                guest.ExpectNothing();
                Assert.False(host.IsConnected);
                Assert.True(guest.Connect(VmBusVersion.Win10));
                Assert.Single(guest.RequestOffers());
            }
        }

        [Fact]
        public void Injected_synic_message_on_another_sint_lands_in_that_slot()
        {
            (HyperVHost host, RawGuest guest, HostChannel _) = Setup();
            using (host)
            {
                guest.WriteMsr(HvMsr.Sint(0), 0x31);
                host.PostSynIcMessage(0, 0x80000010, new byte[16]);
                Assert.Equal(0x80000010u, *(uint*)guest.Slot(0));
                Assert.Equal(0u, *(uint*)guest.Slot());
            }
        }
    }
}
