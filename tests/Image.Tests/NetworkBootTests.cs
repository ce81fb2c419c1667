// The image on a network: DHCP over virtio-net from QEMU's slirp, or a static address.
using System.Linq;

namespace Bootstage.Image.Tests
{
    public class NetworkBootTests
    {
        private const string VirtioWithSlirp = "-netdev user,id=n0 -device virtio-net-pci,netdev=n0";

        private static string Milestone(QemuResult result, string name)
        {
            string? line = result.Serial.Split('\n').FirstOrDefault(l => l.StartsWith("@milestone name=" + name + " "));
            Assert.True(line != null, $"milestone {name} missing\n{result}");
            return line!;
        }

        [Fact]
        public void The_image_gets_a_dhcp_lease_from_slirp_over_virtio_net()
        {
            QemuResult result = Qemu.BootKernel("console=serial", extraArguments: VirtioWithSlirp);
            Assert.Equal("@milestone name=dhcp ip=10.0.2.15 gw=10.0.2.2 dns=10.0.2.3 mask=255.255.255.0 server=10.0.2.2 source=dhcp", Milestone(result, "dhcp"));
            Assert.Equal(1, result.ExitCode);
        }

        [Fact]
        public void A_static_address_from_the_command_line_skips_dhcp()
        {
            QemuResult result = Qemu.BootKernel("console=serial ip=10.0.2.77 gateway=10.0.2.2 dns=10.0.2.3", extraArguments: VirtioWithSlirp);
            Assert.Equal("@milestone name=static-ip ip=10.0.2.77 gw=10.0.2.2 dns=10.0.2.3 mask=255.255.255.0", Milestone(result, "static-ip"));
            Assert.DoesNotContain("@milestone name=dhcp", result.Serial);
            Assert.Equal(1, result.ExitCode);
        }

        [Fact]
        public void A_malformed_static_address_is_reported()
        {
            QemuResult result = Qemu.BootKernel("console=serial ip=10.0.2", extraArguments: VirtioWithSlirp);
            Assert.Contains("@milestone name=static-ip status=invalid", result.Serial);
        }
    }
}
