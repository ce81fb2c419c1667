// The instruction profile of the machine: every instruction the image executes is counted by
// address and attributed to its function through the image's symbols.
using System.Linq;
using Bootstage.HyperV.Machine;

namespace Bootstage.HyperV.Machine.Tests
{
    public class InstructionProfileTests
    {
        [Fact]
        public void Instructions_are_counted_per_function_of_the_image()
        {
            MachineOptions options = Images.Options("console=serial skip-san-boot");
            using HyperVMachine machine = new HyperVMachine(new MachineOptions
            {
                ImagePath = options.ImagePath,
                ElfPath = options.ElfPath,
                CommandLine = options.CommandLine,
                ProfileInstructions = true,
            });
            MachineResult result = machine.Run(Images.Deadline);
            Assert.True(result.Exited, result.ToString());

            InstructionProfile profile = machine.Profile!;
            var all = profile.Top(machine.Symbols, int.MaxValue);
            Assert.Equal(profile.TotalInstructions, all.Sum(f => f.Instructions));

            // Every RDMSR the machine intercepted began in plug_rdmsr, whose first instruction is counted
            // each time: a profile that missed the plugs or misplaced the relocation would count fewer.
            long rdmsr = all.Single(f => f.Function == "plug_rdmsr").Instructions;
            Assert.True(rdmsr >= machine.Counters.MsrReads, $"plug_rdmsr counted {rdmsr}, {machine.Counters.MsrReads} reads");
            Assert.Contains(all, f => f.Function == "KernelEntry" || f.Function.EndsWith("Entry__KernelEntry", System.StringComparison.Ordinal));
            Assert.True(all[0].Instructions >= all[^1].Instructions);
        }
    }
}
