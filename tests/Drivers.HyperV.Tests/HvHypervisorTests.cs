// The hypervisor interface of our driver against the Hyper-V host model: detection and refusal
// rules, MSR setup, message posting and receiving, quiesce and reclaim.
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.HyperV.HostModel;
using Bootstage.Platform.Testing;
using HvStatus = Bootstage.Drivers.HyperV.Hypervisor.HvStatus;

namespace Bootstage.Drivers.HyperV.Tests
{
    public class HvHypervisorTests
    {
        [Fact]
        public void Initialize_maps_hypercall_page_and_synic_with_our_guest_os_id()
        {
            using Guest guest = new Guest();
            Assert.Equal(HvStatus.Success, guest.Hypervisor.Initialize());
            Assert.Equal(HyperVMsr.BootstageGuestOsId, guest.Host.GuestOsId);
            Assert.True(guest.Host.HypercallEnabled);
            Assert.True(guest.Host.SimpEnabled);
            Assert.True(guest.Host.SiefpEnabled);
            Assert.True(guest.Host.SynIcEnabled);
            Assert.False(guest.Host.Sint2Masked);
            Assert.True(guest.Hypervisor.IsSynicOwned());
        }

        [Fact]
        public void No_hyper_v_interface_means_not_present_and_no_msr_is_touched()
        {
            using SimulatedPlatform bare = new SimulatedPlatform();
            bare.DefineMsr(HyperVMsr.GuestOsId, 0);
            HvHypervisor hypervisor = new HvHypervisor(bare);
            Assert.Equal(HvStatus.NotPresent, hypervisor.Initialize());
            Assert.True(bare.TryGetMsr(HyperVMsr.GuestOsId, out ulong id) && id == 0);
            Assert.Equal(0, bare.LivePageRuns);
        }

        [Fact]
        public void Refuses_to_start_when_gen2_uefi_firmware_owns_the_hypervisor()
        {
            using Guest guest = new Guest(HostProfile.WS2016, new HostOptions { Gen2UefiOwnsHyperV = true });
            Assert.Equal(HvStatus.FirmwareOwnsHypervisor, guest.Hypervisor.Initialize());
            Assert.Equal(HyperVMsr.Gen2UefiGuestOsId, guest.Host.GuestOsId);
            Assert.False(guest.Host.HypercallEnabled);
            Assert.False(guest.Host.SimpEnabled);
        }

        [Fact]
        public void Refuses_a_hypervisor_without_synic_or_post_message_privilege()
        {
            using Guest noSynic = new Guest(HostProfile.WS2016, new HostOptions { FeatureMask = HypervisorInfo.FeatureTimeRefCount | HypervisorInfo.FeatureHypercall });
            Assert.Equal(HvStatus.MissingFeature, noSynic.Hypervisor.Initialize());
            using Guest noPost = new Guest(HostProfile.WS2016, new HostOptions { PrivilegeMask = 1u << 5 });
            Assert.Equal(HvStatus.MissingFeature, noPost.Hypervisor.Initialize());
        }

        [Fact]
        public void Post_message_reports_the_hypervisor_status()
        {
            using Guest guest = new Guest();
            guest.Hypervisor.Initialize();
            byte[] requestOffers = { 3, 0, 0, 0, 0, 0, 0, 0 };
            Assert.Equal(HvStatus.InvalidConnectionId, guest.Hypervisor.PostMessage(7, HvHypervisor.VmBusMessageType, requestOffers));
            Assert.Equal(HvStatus.InvalidParameter, guest.Hypervisor.PostMessage(1, HvHypervisor.VmBusMessageType, new byte[241]));
            Assert.Equal(HvStatus.Success, guest.Hypervisor.PostMessage(1, HvHypervisor.VmBusMessageType, requestOffers));
        }

        [Fact]
        public void Waiting_for_a_message_that_never_comes_times_out_in_virtual_time()
        {
            using Guest guest = new Guest();
            guest.Hypervisor.Initialize();
            ulong start = guest.Host.TimeRefCount;
            Assert.Equal(HvStatus.Timeout, guest.Hypervisor.WaitMessage(new byte[240], 1_000_000, out _, out _));
            Assert.InRange(guest.Host.TimeRefCount - start, 1_000_000UL, 1_100_000UL);
        }

        [Fact]
        public void A_busy_slot_is_redelivered_after_end_of_message()
        {
            using Guest guest = new Guest();
            guest.BringUp();
            guest.Host.Faults.HoldSimpSlot(3);
            guest.Host.PostSynIcMessage(HvHypervisor.VmBusSint, HvHypervisor.VmBusMessageType, new byte[] { 99, 0, 0, 0, 0, 0, 0, 0 });
            guest.Host.PostSynIcMessage(HvHypervisor.VmBusSint, HvHypervisor.VmBusMessageType, new byte[] { 98, 0, 0, 0, 0, 0, 0, 0 });
            byte[] buffer = new byte[240];
            Assert.Equal(HvStatus.Success, guest.Hypervisor.WaitMessage(buffer, 10_000_000, out int length, out uint type));
            Assert.Equal(99, buffer[0]);
            Assert.Equal(HvStatus.Success, guest.Hypervisor.WaitMessage(buffer, 10_000_000, out _, out _));
            Assert.Equal(98, buffer[0]);
            Assert.True(guest.Host.Trace.Counters.Eoms >= 1);
        }

        [Fact]
        public void Quiesce_resets_every_msr_we_set_except_scontrol()
        {
            using Guest guest = new Guest();
            guest.BringUp();
            guest.Hypervisor.Quiesce();
            Assert.Equal(0UL, guest.Host.GuestOsId);
            Assert.False(guest.Host.HypercallEnabled);
            Assert.False(guest.Host.SimpEnabled);
            Assert.False(guest.Host.SiefpEnabled);
            Assert.True(guest.Host.Sint2Masked);
            Assert.True(guest.Host.SynIcEnabled);
            Assert.Equal(0, guest.Host.Trace.Counters.ScontrolDisables);
            Assert.False(guest.Hypervisor.IsSynicOwned());
        }

        [Fact]
        public void Reclaim_does_nothing_while_the_synic_is_still_ours()
        {
            using Guest guest = new Guest();
            guest.BringUp();
            int hypercalls = guest.Host.Trace.Counters.Hypercalls;
            Assert.Equal(HvStatus.Success, guest.Hypervisor.Reclaim(out bool reclaimed));
            Assert.False(reclaimed);
            Assert.Equal(hypercalls, guest.Host.Trace.Counters.Hypercalls);
            Assert.Equal(0UL, guest.Hypervisor.Reclaims);
        }
    }
}
