// Fault knobs of the host model against the real image in the emulated machine: a VMBus message the
// host drops must end in the image's own named timeout, one it duplicates must be absorbed, and
// either way the image reaches `done`: never a hang. The deadline only guards the test against one;
// the tests wait for the image's exit.
using System;
using Bootstage.HyperV.HostModel;
using Bootstage.HyperV.Machine;
using Bootstage.Net.Slirp;

namespace Bootstage.HyperV.Machine.Tests
{
    public class FaultTests
    {
        private static MachineResult Boot(Action<HostFaults> knob, SlirpNetwork slirp) => Boot(knob, slirp, VmBusMessageType.Invalid, out _);

        private static MachineResult Boot(Action<HostFaults> knob, SlirpNetwork slirp, VmBusMessageType counted, out int duplicated)
        {
            using HyperVMachine machine = new HyperVMachine(SanTests.WithNetwork(Images.Options("console=serial skip-san-boot"), slirp));
            knob(machine.Host.Faults);
            MachineResult result = machine.Run(Images.Deadline);
            duplicated = machine.Host.Trace.OfKind(TraceKind.Fault).FindAll(e => e.MessageType == counted && e.Detail == "duplicated").Count;
            return result;
        }

        [Fact]
        public void A_dropped_version_response_is_the_images_named_vmbus_timeout()
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            MachineResult result = Boot(f => f.DropNext(VmBusMessageType.VersionResponse), slirp);

            Assert.True(result.Exited, result.ToString());

            // 0x1001 is HvStatus.Timeout: the image waited its 1 s (real time here) and said so.
            Assert.Equal("failed", MachineResult.Field(result.Milestone("vmbus"), "status"));
            Assert.Equal(0x1001, MachineResult.Number(result.Milestone("vmbus"), "reason"));
            Assert.True(result.Elapsed >= TimeSpan.FromSeconds(1), $"the timeout passed in {result.Elapsed}: TIME_REF_COUNT runs faster than real time");
            Assert.NotNull(result.Milestone("done"));
        }

        [Fact]
        public void A_dropped_open_result_fails_the_nic_by_step_and_the_boot_goes_on()
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            MachineResult result = Boot(f => f.DropNext(VmBusMessageType.OpenChannelResult), slirp);

            Assert.True(result.Exited, result.ToString());
            Assert.Contains(" failed step=open-channel", result.Serial);
            Assert.Null(MachineResult.Field(result.Milestone("dhcp"), "ip"));
            Assert.NotNull(result.Milestone("done"));
        }

        [Theory]
        [InlineData(VmBusMessageType.GpadlCreated)]
        [InlineData(VmBusMessageType.OpenChannelResult)]
        public void A_duplicated_reply_is_absorbed(VmBusMessageType type)
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            MachineResult result = Boot(f => f.DuplicateNext(type), slirp, type, out int duplicated);

            Assert.True(result.Exited, result.ToString());
            Assert.Equal(1, duplicated);
            Assert.Equal(1, MachineResult.Number(result.Milestone("netvsc"), "devices"));
            Assert.Equal("10.0.2.15", MachineResult.Field(result.Milestone("dhcp"), "ip"));
            Assert.Equal(0, MachineResult.Number(result.Milestone("done"), "status"));
        }
    }
}
