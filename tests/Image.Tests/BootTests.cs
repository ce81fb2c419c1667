// The bare-metal image in QEMU/TCG: what it prints on COM1 and how it leaves the machine.
using System.Linq;
using System.Text.RegularExpressions;
using Bootstage.SelfTests;

namespace Bootstage.Image.Tests
{
    public class BootTests
    {
        private const int CleanExit = 1; // kernel exit code 0 through isa-debug-exit

        internal static string Milestone(QemuResult result, string name)
        {
            string? line = result.Serial.Split('\n').FirstOrDefault(l => l.StartsWith("@milestone name=" + name + " ") || l == "@milestone name=" + name);
            Assert.True(line != null, $"milestone {name} missing\n{result}");
            return line!;
        }

        internal static long Field(string line, string key)
        {
            Match match = Regex.Match(line, @"(?:^| )" + Regex.Escape(key) + @"=(\d+)");
            Assert.True(match.Success, $"{key} missing in: {line}");
            return long.Parse(match.Groups[1].Value);
        }

        [Fact]
        public void Multiboot_image_boots_and_reports_every_milestone()
        {
            QemuResult result = Qemu.BootKernel("loglevel=info");
            Assert.Equal(CleanExit, result.ExitCode);
            Assert.Contains("Bootstage 0.1.0 - C# network boot stage", result.Serial);

            // -m 256: the firmware map lists just under 256 MiB as usable; the heap is carved from it.
            string memory = Milestone(result, "memory");
            long usableKiB = Field(memory, "usable-kib");
            Assert.InRange(usableKiB, 250 * 1024, 256 * 1024);
            Assert.InRange(Field(memory, "heap-kib"), 4 * 1024, 64 * 1024 + 64);
            Assert.True(Field(memory, "free-kib") < usableKiB);

            string cpu = Milestone(result, "cpu");
            Assert.Contains(" hv=none", cpu);
            Assert.Contains(" hypervisor=TCGTCGTCGTCG", cpu);

            Assert.Contains("rdmsr=0x40000000 rdmsr-status=", Milestone(result, "msr-probe"));
            Assert.Contains("wrmsr-status=fault", Milestone(result, "msr-probe"));
            Assert.Contains("calibrated=pit", Milestone(result, "clock"));

            Assert.Matches(@"info: pci 00:00\.0 8086:1237 class=0600", result.Serial);
            Assert.Matches(@"info: pci 00:01\.0 8086:7000 class=0601", result.Serial);
            Assert.True(Field(Milestone(result, "pci"), "devices") >= 2);

            // No Hyper-V under QEMU: the probe says so and the boot carries on.
            Assert.Contains("status=absent", Milestone(result, "hyperv"));

            Assert.Equal(0, Field(Milestone(result, "done"), "status"));
        }

        [Fact]
        public void Shared_core_library_tests_pass_inside_the_image()
        {
            QemuResult result = Qemu.BootKernel("selftest console=serial");
            Match summary = Regex.Match(result.Serial, @"selftest: (\d+) passed, (\d+) failed");
            Assert.True(summary.Success, result.ToString());
            Assert.Equal("0", summary.Groups[2].Value);
            int passed = int.Parse(summary.Groups[1].Value);
            Assert.True(passed > CoreLibSelfTests.Count, $"{passed} passed: kernel tests missing\n{result}");
            Assert.Equal(passed, Regex.Matches(result.Serial, @"^selftest \S+ ok$", RegexOptions.Multiline).Count);
            for (int i = 0; i < CoreLibSelfTests.Count; i++)
            {
                CoreLibSelfTests.Run(i, out string name);
                Assert.Contains("selftest " + name + " ok", result.Serial);
            }

            Assert.Contains("selftest Faulting_msr_access_returns_fault_status_instead_of_crashing ok", result.Serial);
            Assert.Equal(CleanExit, result.ExitCode);
        }

        [Fact]
        public void Iso_boots_through_isolinux_and_mboot()
        {
            QemuResult result = Qemu.BootIso();
            Assert.Equal(CleanExit, result.ExitCode);
            Assert.Contains("info: loader: ISOLINUX", result.Serial);
            Assert.Matches(@"info: command line: /bootstage\.bin", result.Serial);
            Assert.Contains(" hv=none", Milestone(result, "cpu"));
            Assert.Equal(0, Field(Milestone(result, "done"), "status"));
        }

        [Fact]
        public void A_cpu_exception_is_reported_with_vector_and_faulting_address()
        {
            QemuResult result = Qemu.BootKernel("panic-test=page-fault console=serial");
            Assert.Equal(255, result.ExitCode);
            Assert.Matches(@"!!! CPU EXCEPTION vector=0x0E error=0x[0-9A-F]+ rip=0x[0-9A-F]+ image\+0x[0-9A-F]{8} cr2=0x0000000000000004", result.Serial);
            Assert.DoesNotContain("@milestone name=done", result.Serial);
        }

        [Fact]
        public void A_managed_throw_panics_with_its_message()
        {
            QemuResult result = Qemu.BootKernel("panic-test=throw console=serial");
            Assert.Equal(253, result.ExitCode);
            Assert.Contains("!!! PANIC: panic-test: managed throw", result.Serial);
        }

        [Fact]
        public void Debug_level_lists_the_memory_map_and_error_level_keeps_only_milestones()
        {
            QemuResult debug = Qemu.BootKernel("loglevel=debug console=serial");
            Assert.Matches(@"debug: e820 000100000-00ffdffff type=1", debug.Serial);
            QemuResult quiet = Qemu.BootKernel("loglevel=error console=serial");
            Assert.DoesNotContain("info: pci", quiet.Serial);
            Assert.Contains("@milestone name=pci", quiet.Serial);
            Assert.Equal(CleanExit, quiet.ExitCode);
        }
    }
}
