// The real image booted in the emulated Hyper-V machine: its own hypervisor detection, MSR plugs
// (including the #GP fault fixup), hypercall page, SynIC message page and VMBus connection run
// against the host model, and it reaches `@milestone name=done`.
using System;
using Bootstage.HyperV.HostModel;
using Bootstage.HyperV.Machine;

namespace Bootstage.HyperV.Machine.Tests
{
    public class BootTests
    {
        [Fact]
        public void Image_detects_hyper_v_connects_to_vmbus_and_finishes()
        {
            using HyperVMachine machine = new HyperVMachine(Images.Options("console=serial skip-san-boot", HostProfile.WS2016));
            MachineResult result = machine.Run(Images.Deadline);

            Assert.True(result.Exited, result.ToString());
            Assert.Equal(0, result.ExitCode);
            Assert.Contains(" hv=hyperv", result.Milestone("cpu"));
            Assert.Contains("hypervisor=Microsoft Hv", result.Milestone("cpu"));

            // The host saw the image's own connection: the version in the milestone is the one it negotiated.
            Assert.True(machine.Host.IsConnected);
            Assert.Equal((long)machine.Host.NegotiatedVersion, MachineResult.Number(result.Milestone("vmbus"), "version"));
            Assert.Equal(0, MachineResult.Number(result.Milestone("done"), "status"));

            // The hypercall page really was called, and the SynIC page really received the host's messages.
            Assert.True(machine.Counters.Hypercalls > 0, "no hypercall reached the host model");
            Assert.True(machine.Host.SimpEnabled);
            Assert.True(machine.Host.SimpAddress < machine.Ram.Size);
        }

        [Fact]
        public void An_absent_msr_faults_through_the_images_own_fixup_and_time_comes_from_the_reference_counter()
        {
            using HyperVMachine machine = new HyperVMachine(Images.Options("console=serial skip-san-boot"));
            MachineResult result = machine.Run(Images.Deadline);

            Assert.True(result.Exited, result.ToString());

            // 0x6E1 is no MSR of the host model: the machine delivers #GP through the image's IDT, whose
            // fixup table makes the plug return a fault. A machine that skipped the write would say "written".
            Assert.Contains("wrmsr-status=fault", result.Milestone("msr-probe"));
            Assert.True(machine.Counters.GeneralProtectionFaults >= 1);

            // GUEST_OS_ID exists under Hyper-V, so the probe's read succeeds.
            Assert.Contains("rdmsr-status=read", result.Milestone("msr-probe"));
            Assert.Contains("source=hv-reference", result.Milestone("clock"));
            Assert.Contains("calibrated=pit", result.Milestone("clock"));
            Assert.Equal(0, MachineResult.Number(result.Milestone("pci"), "devices"));
        }

        [Fact]
        public void The_images_exit_code_is_the_machines_and_the_cli_returns_it()
        {
            using HyperVMachine machine = new HyperVMachine(Images.Options("console=serial panic-test=throw"));
            MachineResult result = machine.Run(Images.Deadline);

            // Panic.Fail writes 0x7E to isa-debug-exit: the machine stops there with that code.
            Assert.True(result.Exited, result.ToString());
            Assert.Equal(0x7E, result.ExitCode);
            Assert.Contains("PANIC: panic-test: managed throw", result.Serial);

            // The command behind ./build.sh hyperv makes that code its own status.
            Assert.Equal(0x7E, Program.Main(new[] { "--out", Images.OutDirectory, "--", "console=serial", "panic-test=throw" }));
            Assert.Equal(2, Program.Main(new[] { "--profile", "WS2003" }));
        }

        [Fact]
        public void A_cpu_exception_of_the_image_is_reported_with_its_vector_and_place()
        {
            // Unicorn does not deliver exceptions through the guest's IDT; the machine names them instead of hanging.
            using HyperVMachine machine = new HyperVMachine(Images.Options("console=serial panic-test=page-fault"));
            MachineResult result = machine.Run(Images.Deadline);

            Assert.False(result.Exited, result.ToString());
            Assert.StartsWith("CPU exception or interrupt 14 at ", result.StopReason);
            Assert.Contains("cr2=0x4)", result.StopReason);
        }

        [Fact]
        public void Stop_ends_the_run_where_it_is_asked_and_a_passed_deadline_is_named()
        {
            using HyperVMachine machine = new HyperVMachine(Images.Options("console=serial skip-san-boot"));
            machine.OnSerialLine = line =>
            {
                if (line.Contains("@milestone name=cpu", StringComparison.Ordinal))
                {
                    machine.Stop();
                }
            };
            MachineResult stopped = machine.Run(Images.Deadline);
            Assert.Equal("stopped", stopped.StopReason);
            Assert.NotNull(stopped.Milestone("cpu"));
            Assert.Null(stopped.Milestone("clock"));

            using HyperVMachine late = new HyperVMachine(Images.Options("console=serial skip-san-boot"));
            MachineResult result = late.Run(TimeSpan.FromTicks(1));
            Assert.Equal("deadline", result.StopReason);
            Assert.Null(result.ExitCode);
        }
    }
}
