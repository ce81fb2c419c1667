// The enlightened loader actor and the quiesce/reclaim cycle (docs/hyperv.md §11;
// docs/architecture.md): after a takeover SIMP is no longer the guest's and every channel
// and GPADL is gone host-side, without a message to the guest; the guest can reclaim from there.
using System;
using System.Collections.Generic;

namespace Bootstage.HyperV.HostModel.Tests
{
    public unsafe class LoaderTests
    {
        private static readonly Guid s_instance = new Guid("fedcba98-7654-3210-fedc-ba9876543210");

        [Theory]
        [InlineData(LoaderSimpMode.HostPage)]
        [InlineData(LoaderSimpMode.Disabled)]
        public void Takeover_leaves_simp_not_the_guests_and_channels_gone_host_side(LoaderSimpMode mode)
        {
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            AutoCompleteDevice device = new AutoCompleteDevice();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance, device);
            RawGuest guest = new RawGuest(host);
            guest.Boot();
            guest.BringUp(nic, VmBusVersion.Ws2008);
            int delivered = host.Trace.Events.Count;

            Assert.Equal(LoaderOutcome.TookOver, host.EnlightenedLoaderTakeover(mode));

            ulong simp = guest.ReadMsr(HvMsr.Simp);
            Assert.NotEqual(guest.SimpPage.PhysicalAddress | 1, simp);
            Assert.Equal(SimpOwner.Loader, host.SimpOwner);
            Assert.Equal(mode == LoaderSimpMode.HostPage, host.SimpEnabled);
            Assert.Equal(host.LoaderSimpAddress, simp & ~0xFFFUL);
            Assert.Equal(RawGuest.GuestOsIdValue, guest.ReadMsr(HvMsr.GuestOsId));
            Assert.Equal(1UL, guest.ReadMsr(HvMsr.Scontrol));
            Assert.True(host.HypercallEnabled);

            Assert.False(nic.IsOpen);
            Assert.Empty(host.LiveGpadlIds);
            Assert.Equal(1, device.Closes);
            Assert.Equal(BusOwner.Loader, host.VmBus.Owner);
            Assert.Equal(VmBusVersion.Win10, host.NegotiatedVersion);
            Assert.Equal(1, host.LoaderTakeoverCount);

            // Nothing reached the guest's slot.
            Assert.Equal(0u, *(uint*)guest.Slot());
            for (int i = delivered; i < host.Trace.Events.Count; i++)
            {
                Assert.NotEqual(TraceDirection.HostToGuest, host.Trace.Events[i].Direction);
            }
        }

        [Fact]
        public void Guest_reclaims_after_takeover_and_stale_teardowns_and_closes_get_no_reply()
        {
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            AutoCompleteDevice device = new AutoCompleteDevice();
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance, device);
            RawGuest guest = new RawGuest(host);
            guest.Boot();
            guest.BringUp(nic, VmBusVersion.Ws2008);
            host.EnlightenedLoaderTakeover();

            // Reclaim: the guest maps its own SIMP again and reconnects; SCONTROL was never touched.
            guest.WriteMsr(HvMsr.Simp, guest.SimpPage.PhysicalAddress | 1);
            guest.WriteMsr(HvMsr.Siefp, guest.SiefpPage.PhysicalAddress | 1);
            Assert.Equal(SimpOwner.Guest, host.SimpOwner);
            Assert.True(guest.Connect(VmBusVersion.Ws2008));
            Assert.Equal(BusOwner.Guest, host.VmBus.Owner);
            Assert.Single(guest.RequestOffers());

            Assert.Equal(HvStatus.Success, guest.PostWithRelId(VmBusMessageType.CloseChannel, nic.RelId));
            Assert.Equal(HvStatus.Success, guest.PostWithRelId(VmBusMessageType.GpadlTeardown, nic.RelId, 0x100));
            guest.ExpectNothing();

            GuestRings rings = new GuestRings(guest, 2, 2);
            Assert.Equal(0u, guest.CreateGpadl(nic.RelId, 0x100, rings.Region));
            Assert.Equal(0u, guest.Open(nic.RelId, 0x56, 0x100, 2).Status);
            Assert.True(nic.IsOpen);
            Assert.Equal(0, host.Trace.Counters.ScontrolDisables);
        }

        [Fact]
        public void Loader_hangs_if_the_guest_cleared_scontrol()
        {
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = new RawGuest(host);
            guest.Boot();
            guest.BringUp(nic);
            guest.WriteMsr(HvMsr.Scontrol, 0);
            Assert.Equal(1, host.Trace.Counters.ScontrolDisables);
            Assert.Equal(LoaderOutcome.Hung, host.EnlightenedLoaderTakeover());
            Assert.Equal(SimpOwner.Guest, host.SimpOwner);
            Assert.Equal(0, host.LoaderTakeoverCount);
        }

        [Fact]
        public void Quiesced_guest_that_reenables_everything_and_reconnects_finds_old_channels_and_gpadls_gone()
        {
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            HostChannel nic = host.AddChannel(HostDeviceClasses.NetVsc, s_instance);
            RawGuest guest = new RawGuest(host);
            guest.Boot();
            guest.BringUp(nic, VmBusVersion.Ws2008);

            // Quiesce as the design says: everything off except SCONTROL.
            guest.WriteMsr(HvMsr.Simp, 0);
            guest.WriteMsr(HvMsr.Siefp, 0);
            guest.WriteMsr(HvMsr.Hypercall, 0);
            guest.WriteMsr(HvMsr.Sint(2), HvMsr.SintMasked);
            guest.WriteMsr(HvMsr.GuestOsId, 0);
            Assert.False(host.HypercallEnabled);
            Assert.True(nic.IsOpen);

            guest.Boot();
            Assert.True(guest.Connect(VmBusVersion.Ws2008));
            Assert.False(nic.IsOpen);
            Assert.Empty(host.LiveGpadlIds);
            List<byte[]> offers = guest.RequestOffers();
            Assert.Single(offers);
            guest.ExpectNothing();
            Assert.Equal(0, host.Trace.Counters.Delivered(VmBusMessageType.GpadlTorndown));
        }
    }
}
