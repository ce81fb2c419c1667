// Quiesce before the OS loader and reclaim afterwards (docs/hyperv.md §11): an enlightened loader (WS2016
// winload) takes the SynIC and re-initiates contact; our next entry finds SIMP not ours, maps it
// again, reconnects, re-enumerates, sends no teardown for the old channel and GPADLs, and each
// driver re-opens its device while keeping its upper-layer state.
using System;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.HyperV.HostModel;
using HostMessage = Bootstage.HyperV.HostModel.VmBusMessageType;
using HvStatus = Bootstage.Drivers.HyperV.Hypervisor.HvStatus;

namespace Bootstage.Drivers.HyperV.Tests
{
    public class ReclaimTests
    {
        [Fact]
        public void Reserved_msr_bits_survive_initialize_quiesce_and_reclaim()
        {
            using Guest guest = new Guest(HostProfile.WS2016);
            guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid(), new EchoDevice());
            guest.BringUp();
            guest.Hypervisor.Quiesce();
            Assert.Equal(LoaderOutcome.TookOver, guest.Host.EnlightenedLoaderTakeover(LoaderSimpMode.Disabled));
            Assert.Equal(HvStatus.Success, guest.Hypervisor.Reclaim(out bool reclaimed));
            Assert.True(reclaimed);
            Assert.Equal(HvMsr.HypercallPreset, guest.Host.HypercallMsr & HvMsr.HypercallReserved);
            Assert.Equal(HvMsr.SimpPreset, guest.Host.SimpMsr & HvMsr.OverlayReserved);
            Assert.Equal(HvMsr.SiefpPreset, guest.Host.SiefpMsr & HvMsr.OverlayReserved);
            Assert.Equal(HvMsr.SintPreset, guest.Host.GetSint(2) & HvMsr.SintReserved);
            Assert.Equal(0, guest.Host.Trace.Counters.ReservedBitFaults);
        }

        [Fact]
        public void A_synic_still_ours_is_not_reclaimed_whatever_its_reserved_bits_hold()
        {
            using Guest guest = new Guest(HostProfile.WS2016);
            guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid(), new EchoDevice());
            guest.BringUp();
            Assert.True(guest.Hypervisor.IsSynicOwned());
            Assert.Equal(HvStatus.Success, guest.Hypervisor.Reclaim(out bool reclaimed));
            Assert.False(reclaimed);
            Assert.Equal(0UL, guest.Hypervisor.Reclaims);
        }

        [Fact]
        public void Reclaims_when_someone_left_our_page_in_SIMP_but_disabled_it()
        {
            using Guest guest = new Guest(HostProfile.WS2016);
            guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid(), new EchoDevice());
            guest.BringUp();
            Assert.Equal(Bootstage.Platform.PlatformStatus.Success, guest.Host.ReadMsr(HyperVMsr.Simp, out ulong simp));
            Assert.Equal(Bootstage.Platform.PlatformStatus.Success, guest.Host.WriteMsr(HyperVMsr.Simp, simp & ~HyperVMsr.Enable));
            Assert.False(guest.Hypervisor.IsSynicOwned());
            Assert.Equal(HvStatus.Success, guest.Hypervisor.Reclaim(out bool reclaimed));
            Assert.True(reclaimed);
            Assert.True(guest.Host.SimpEnabled);
        }

        [Theory]
        [InlineData(LoaderSimpMode.HostPage)]
        [InlineData(LoaderSimpMode.Disabled)]
        public void Reclaims_connection_after_enlightened_loader_takes_SIMP(LoaderSimpMode mode)
        {
            using Guest guest = new Guest(HostProfile.WS2016);
            Guid instance = Guid.NewGuid();
            HostChannel host = guest.Host.AddChannel(Guest.NetworkClass, instance, new EchoDevice());
            guest.BringUp();
            RecordingDriver driver = new RecordingDriver(VmBusClass.Network);
            guest.Bus.Register(driver);
            Assert.Equal(1, guest.Bus.ProbeAll());
            VmBusDevice device = guest.Bus.Device(0);
            uint oldGpadl = host.RingGpadlId;

            guest.Hypervisor.Quiesce();
            Assert.Equal(LoaderOutcome.TookOver, guest.Host.EnlightenedLoaderTakeover(mode));
            Assert.False(host.IsOpen);

            int teardownsBefore = guest.Host.Trace.Counters.TeardownsReceived;
            Assert.Equal(HvStatus.Success, guest.Hypervisor.Reclaim(out bool reclaimed));
            Assert.True(reclaimed);
            Assert.Equal(HvStatus.Success, guest.Bus.Reset());

            Assert.True(guest.Hypervisor.IsSynicOwned());
            Assert.Equal(HyperVMsr.BootstageGuestOsId, guest.Host.GuestOsId);
            Assert.Equal(1, driver.Resets);
            Assert.Equal(1, driver.Probes);
            Assert.Same(device, guest.Bus.Device(0));
            Assert.Equal("upper-layer state", device.DriverState);
            Assert.True(device.Channel.IsOpen);
            Assert.True(host.IsOpen);
            Assert.NotEqual(oldGpadl, host.RingGpadlId);
            Assert.Equal(teardownsBefore, guest.Host.Trace.Counters.TeardownsReceived);

            // The re-opened channel carries traffic.
            Assert.Equal(HvStatus.Success, device.Channel.SendInband(new byte[] { 5, 6 }, 3, false));
            bool received = false;
            for (int spin = 0; spin < 100 && !received; spin++)
            {
                received = device.Channel.TryReceive(out VmBusPacket packet) && packet.TransactionId == 3;
                guest.Host.Pause();
            }

            Assert.True(received);
        }

        [Fact]
        public void After_our_own_quiesce_the_synic_is_enabled_again_without_reconnecting()
        {
            using Guest guest = new Guest(HostProfile.WS2016);
            HostChannel host = guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid(), new EchoDevice());
            guest.BringUp();
            RecordingDriver driver = new RecordingDriver(VmBusClass.Network);
            guest.Bus.Register(driver);
            guest.Bus.ProbeAll();
            VmBusDevice device = guest.Bus.Device(0);
            uint gpadl = host.RingGpadlId;
            for (int round = 0; round < 3; round++)
            {
                guest.Hypervisor.Quiesce();
                Assert.False(guest.Host.SimpEnabled);
                Assert.Equal(HvStatus.Success, guest.Hypervisor.Reclaim(out bool reclaimed));
                Assert.False(reclaimed);
                Assert.True(guest.Hypervisor.IsSynicOwned());

                // The same channel carries traffic: nothing was reconnected.
                Assert.Equal(HvStatus.Success, device.Channel.SendInband(new byte[] { 1, 2 }, (ulong)(10 + round), false));
                bool echoed = false;
                for (int spin = 0; spin < 100 && !echoed; spin++)
                {
                    echoed = device.Channel.TryReceive(out VmBusPacket packet) && packet.TransactionId == (ulong)(10 + round);
                    guest.Host.Pause();
                }

                Assert.True(echoed);
            }

            Assert.Equal(3UL, guest.Hypervisor.Resumes);
            Assert.Equal(0UL, guest.Hypervisor.Reclaims);
            Assert.Equal(0, driver.Resets);
            Assert.Equal(gpadl, host.RingGpadlId);
            Assert.Equal(1, guest.Host.Trace.Counters.Posted(HostMessage.RequestOffers));
        }

        [Fact]
        public void A_device_whose_offer_is_gone_after_reclaim_is_removed()
        {
            using Guest guest = new Guest(HostProfile.WS2016);
            HostChannel host = guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid(), new EchoDevice());
            guest.BringUp();
            RecordingDriver driver = new RecordingDriver(VmBusClass.Network);
            guest.Bus.Register(driver);
            guest.Bus.ProbeAll();
            guest.Hypervisor.Quiesce();
            guest.Host.EnlightenedLoaderTakeover();
            guest.Host.RescindChannel(host);
            guest.Hypervisor.Reclaim(out _);
            guest.Bus.Reset();
            Assert.Equal(1, driver.Removes);
            Assert.False(guest.Bus.Device(0).Present);
        }
    }
}
