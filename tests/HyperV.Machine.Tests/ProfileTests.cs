// Host profiles at the edges of what the image supports, booted in the emulated machine:
// WS2008R2 offers no VMBus 3.0, and the image refuses it by name and stops cleanly; Azure NC6 sends
// an unsolicited PCIe pass-through offer after enumeration, which the image must ignore and still
// bring netvsc up and take its lease (docs/hyperv.md §5 items 8 and 10).
using Bootstage.HyperV.HostModel;
using Bootstage.HyperV.Machine;
using Bootstage.Net.Slirp;

namespace Bootstage.HyperV.Machine.Tests
{
    public class ProfileTests
    {
        [Fact]
        public void Ws2008r2_is_refused_by_name_and_the_image_stops_cleanly()
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            using HyperVMachine machine = new HyperVMachine(SanTests.WithNetwork(Images.Options("console=serial skip-san-boot", HostProfile.WS2008R2), slirp));
            MachineResult result = machine.Run(Images.Deadline);

            Assert.True(result.Exited, result.ToString());
            Assert.Contains(" hv=hyperv", result.Milestone("cpu"));
            Assert.Contains("hosts older than Windows Server 2012 R2 are not supported", result.Serial);
            Assert.Contains("status=failed", result.Milestone("vmbus"));
            Assert.Null(result.Milestone("netvsc"));
            Assert.False(machine.Host.IsConnected);
            Assert.Equal(0, MachineResult.Number(result.Milestone("done"), "status"));
        }

        [Fact]
        public void The_late_pcie_offer_of_azure_nc6_is_ignored()
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            using HyperVMachine machine = new HyperVMachine(SanTests.WithNetwork(Images.Options("console=serial skip-san-boot", HostProfile.AzureNC6), slirp));
            MachineResult result = machine.Run(Images.Deadline);

            Assert.True(result.Exited, result.ToString());

            // The host did send the late offer into the image's SIMP page: two offers delivered, one enumerated.
            Assert.Equal(2, machine.Host.Trace.Counters.Delivered(VmBusMessageType.OfferChannel));
            Assert.Equal(1, MachineResult.Number(result.Milestone("vmbus"), "offers"));
            Assert.Equal(1, MachineResult.Number(result.Milestone("netvsc"), "devices"));
            Assert.Equal("10.0.2.15", MachineResult.Field(result.Milestone("dhcp"), "ip"));
            Assert.Equal(0, MachineResult.Number(result.Milestone("done"), "status"));
        }
    }
}
