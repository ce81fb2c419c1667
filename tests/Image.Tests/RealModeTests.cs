// The real-mode thunk in the image (Kernel/Native/realmode.asm): from long mode down to real
// mode, a BIOS call (SeaBIOS's INT 15h E820h, one call per entry), and back, with the PIC given
// to the BIOS and taken back. The BIOS map must match the one the Multiboot loader passed, and
// the kernel must carry on afterwards as if nothing happened: the PIT calibration (which needs
// our PIC layout) and the virtio-net bring-up and DHCP (which need paging, the GDT and the IDT).

namespace Bootstage.Image.Tests
{
    public class RealModeTests
    {
        private static string Milestone(QemuResult result, string name) => BootTests.Milestone(result, name);

        private static long Field(string line, string key) => BootTests.Field(line, key);

        [Fact]
        public void The_bios_memory_map_read_through_the_thunk_matches_the_loaders_and_the_boot_carries_on()
        {
            QemuResult result = Qemu.BootKernel("console=serial realmode-test", extraArguments: "-netdev user,id=n0 -device virtio-net-pci,netdev=n0");
            string e820 = Milestone(result, "e820");
            Assert.True(Field(e820, "entries") >= 3, e820);
            Assert.Equal(Field(Milestone(result, "memory"), "usable-kib"), Field(e820, "usable-kib"));
            Assert.Contains("calibrated=pit", Milestone(result, "clock"));
            Assert.Contains("ip=10.0.2.15", Milestone(result, "dhcp"));
            Assert.Equal(0, Field(Milestone(result, "done"), "status"));
            Assert.Equal(1, result.ExitCode);
        }
    }
}
