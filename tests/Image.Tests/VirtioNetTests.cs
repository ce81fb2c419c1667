// virtio-net in the image under QEMU/TCG with user networking (slirp): the kernel finds the
// transitional virtio-net function, opens the driver and reports MAC and link; with nettest=arp
// it sends a hand-built ARP request for the slirp gateway 10.0.2.2 and reports the reply, which
// proves the transmit and receive paths against a real peer.
using System.Linq;
using System.Text.RegularExpressions;

namespace Bootstage.Image.Tests
{
    public class VirtioNetTests
    {
        private const int CleanExit = 1; // kernel exit code 0 through isa-debug-exit
        private const string VirtioNetWithSlirp = "-netdev user,id=n0 -device virtio-net-pci,netdev=n0";

        // QEMU's default NIC MAC, and slirp's gateway MAC (52:55 then the gateway's IPv4 address 10.0.2.2).
        private const string GuestMac = "52:54:00:12:34:56";
        private const string SlirpGatewayMac = "52:55:0a:00:02:02";

        private static string Milestone(QemuResult result, string name)
        {
            string? line = result.Serial.Split('\n').FirstOrDefault(l => l.StartsWith("@milestone name=" + name + " "));
            Assert.True(line != null, $"milestone {name} missing\n{result}");
            return line!;
        }

        [Fact]
        public void Virtio_net_comes_up_and_the_slirp_gateway_answers_arp()
        {
            QemuResult result = Qemu.BootKernel("console=serial nettest=arp", extraArguments: VirtioNetWithSlirp);
            Assert.Matches(@"info: pci 00:0[0-9a-f]\.0 1af4:1000 class=0200", result.Serial);
            Assert.StartsWith($"@milestone name=virtio-net mac={GuestMac} link=up", Milestone(result, "virtio-net"));
            Assert.Matches(@"info: virtio-net-[0-9a-f]{4} .* accepted=0x00010020 ", result.Serial);
            Assert.StartsWith($"@milestone name=arp-test result=reply mac={SlirpGatewayMac}", Milestone(result, "arp-test"));
            Assert.Contains(" bad-used=0", Milestone(result, "arp-test"));
            Assert.StartsWith("@milestone name=done status=0", Milestone(result, "done"));
            Assert.Equal(CleanExit, result.ExitCode);
        }

        [Fact]
        public void Nettest_without_a_virtio_nic_reports_no_device_and_a_failing_status()
        {
            QemuResult result = Qemu.BootKernel("console=serial nettest=arp");
            Assert.DoesNotContain("@milestone name=virtio-net", result.Serial);
            Assert.StartsWith("@milestone name=arp-test result=no-device", Milestone(result, "arp-test"));
            Assert.Equal(3, result.ExitCode); // kernel exit code 1
        }

        [Fact]
        public void The_mac_comes_from_the_device_configuration()
        {
            QemuResult result = Qemu.BootKernel("console=serial nettest=arp",
                extraArguments: "-netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=02:12:34:ab:cd:ef");
            Assert.StartsWith("@milestone name=virtio-net mac=02:12:34:ab:cd:ef link=up", Milestone(result, "virtio-net"));
            Assert.StartsWith($"@milestone name=arp-test result=reply mac={SlirpGatewayMac}", Milestone(result, "arp-test"));
            Assert.Equal(CleanExit, result.ExitCode);
        }
    }
}
