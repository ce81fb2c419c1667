// Debian's Linux boots from an iSCSI LUN through our INT 13h and finds its iSCSI boot parameters
// in our iBFT. The LUN is a FAT disk made here: SYSLINUX, Debian's kernel and an initramfs of
// busybox-static plus iscsi_boot_sysfs.ko, iscsi_ibft.ko and edd.ko from the same kernel package
// (fetched and unpacked by fetch-debian-kernel.sh, not installed). The initramfs's init loads
// the three modules and prints /sys/firmware/ibft and the firmware memory map Linux was given
// (/sys/firmware/memmap: the E820h map the loader read through our INT 15h) and what its setup
// code learnt from our INT 13h AH=48h (/sys/firmware/edd); the test holds them
// against what it configured and against the ranges the image says it keeps. The target asks for
// CHAP, and in the mutual case proves itself too, so the login and the iBFT's CHAP fields are
// exercised both ways.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Bootstage.Iscsi.Peers;

namespace Bootstage.Image.Tests.Linux
{
    public class LinuxSanBootTests
    {
        private const string TargetIqn = "iqn.2026-12.org.bootstage.test:linux";
        private const string InitiatorIqn = "iqn.2026-12.org.bootstage.test:initiator-7";
        private const string Mac = "52:54:00:c0:ff:ee";
        private const string Modules = "/usr/lib/syslinux/modules/bios";

        private const string Init = """
            #!/bin/busybox sh
            /bin/busybox --install -s /bin
            mount -t proc proc /proc
            mount -t sysfs sysfs /sys
            insmod /iscsi_boot_sysfs.ko
            insmod /iscsi_ibft.ko
            insmod /edd.ko
            echo "@linux-init modules=loaded"
            for f in /sys/firmware/ibft/*/*; do
                [ -f "$f" ] && echo "@ibft ${f#/sys/firmware/ibft/}=$(cat "$f")"
            done
            for f in /sys/firmware/edd/int13_dev80/host_bus /sys/firmware/edd/int13_dev80/interface /sys/firmware/edd/int13_dev80/sectors; do
                [ -f "$f" ] && echo "@edd ${f##*/}=$(cat "$f")"
            done
            for d in /sys/firmware/memmap/*; do
                echo "@memmap $(cat $d/start) $(cat $d/end) $(cat $d/type)"
            done
            echo "@linux-init done"
            poweroff -f

            """;

        private static string KernelDirectory()
        {
            string directory = Path.Combine(Qemu.RepositoryRoot, "out", "debian-kernel");
            HostTools.Run(Path.Combine(Qemu.RepositoryRoot, "tests", "Image.Tests", "Linux", "fetch-debian-kernel.sh"), $"\"{directory}\"");
            return directory;
        }

        private static byte[] MakeInitramfs(string kernel)
        {
            Initramfs archive = new Initramfs();
            foreach (string directory in new[] { "bin", "dev", "proc", "sys" })
            {
                archive.AddDirectory(directory);
            }

            // The kernel opens /dev/console for init before anything could mount devtmpfs.
            archive.AddCharacterDevice("dev/console", 5, 1);
            archive.AddFile("bin/busybox", File.ReadAllBytes(Path.Combine(kernel, "busybox")), executable: true);
            archive.AddFile("init", Encoding.ASCII.GetBytes(Init.Replace("\r", string.Empty)), executable: true);
            archive.AddFile("iscsi_boot_sysfs.ko", File.ReadAllBytes(Path.Combine(kernel, "iscsi_boot_sysfs.ko")));
            archive.AddFile("iscsi_ibft.ko", File.ReadAllBytes(Path.Combine(kernel, "iscsi_ibft.ko")));
            archive.AddFile("edd.ko", File.ReadAllBytes(Path.Combine(kernel, "edd.ko")));
            return archive.ToArray();
        }

        private static void MakeDisk(string directory, string disk, string kernel)
        {
            File.WriteAllBytes(disk, new byte[48 << 20]);
            HostTools.Run("mkfs.fat", $"-n LINUXLUN \"{disk}\"");
            string config = Path.Combine(directory, "syslinux.cfg");
            File.WriteAllText(config, "SERIAL 0 115200\nPROMPT 0\nTIMEOUT 1\nDEFAULT linux\nLABEL linux\n  KERNEL vmlinuz\n"
                + "  INITRD initrd.img\n  APPEND console=ttyS0,115200 panic=-1\n");
            string initrd = Path.Combine(directory, "initrd.img");
            File.WriteAllBytes(initrd, MakeInitramfs(kernel));
            HostTools.Run("mcopy", $"-i \"{disk}\" \"{config}\" \"{Path.Combine(kernel, "vmlinuz")}\" \"{initrd}\" ::/");
            HostTools.Run("syslinux", $"--install \"{disk}\"");
        }

        private static Dictionary<string, string> IbftFiles(string serial)
        {
            Dictionary<string, string> files = new Dictionary<string, string>();
            foreach (Match match in Regex.Matches(serial, @"^@ibft ([a-z0-9]+/[a-z0-9-]+)=(.*)$", RegexOptions.Multiline))
            {
                files[match.Groups[1].Value] = match.Groups[2].Value;
            }

            return files;
        }

        private static ulong Hex(string text) => ulong.Parse(text.StartsWith("0x") ? text.Substring(2) : text, NumberStyles.HexNumber);

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void Debian_linux_boots_from_the_lun_and_finds_its_chap_settings_in_the_ibft(bool mutual)
        {
            string kernel = KernelDirectory();
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-linux-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string disk = Path.Combine(directory, "disk.img");
                MakeDisk(directory, disk, kernel);
                using TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd"));
                target.AddTarget(1, TargetIqn);
                target.AddLun(1, 1, disk);
                target.BindAll(1);
                target.AddAccount("linuxuser", "linuxsecret12");
                target.BindAccount(1, "linuxuser");
                string reverse = string.Empty;
                if (mutual)
                {
                    target.AddAccount("targetuser", "targetsecret1");
                    target.BindAccount(1, "targetuser", outgoing: true);
                    reverse = " reverse-username=targetuser reverse-password=targetsecret1";
                }

                QemuResult result = Qemu.BootKernel(
                    $"console=serial root-path=iscsi:10.0.2.2::{target.Port}:1:{TargetIqn} initiator-iqn={InitiatorIqn} "
                    + "username=linuxuser password=linuxsecret12" + reverse,
                    timeoutSeconds: 400,
                    extraArguments: $"-m 512 -netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac={Mac}");

                Assert.False(result.TimedOut, result.ToString());
                Assert.Contains(mutual ? " (mutual CHAP)" : " (CHAP)", result.Serial);
                Assert.Contains("@milestone name=san-boot drive=0x80", result.Serial);
                Assert.Contains("@linux-init done", result.Serial);

                Dictionary<string, string> ibft = IbftFiles(result.Serial);
                Assert.True(ibft.Count > 0, result.ToString());
                Assert.Equal(InitiatorIqn, ibft["initiator/initiator-name"]);
                Assert.Equal(TargetIqn, ibft["target0/target-name"]);
                Assert.Equal("10.0.2.2", ibft["target0/ip-addr"]);
                Assert.Equal(target.Port.ToString(CultureInfo.InvariantCulture), ibft["target0/port"]);

                // Linux prints the LUN's eight bytes one "%x" each: LUN 1 (SAM peripheral) is 00 01 00...
                Assert.Equal("01000000", ibft["target0/lun"]);
                Assert.Equal("linuxuser", ibft["target0/chap-name"]);
                Assert.Equal(mutual ? "2" : "1", ibft["target0/chap-type"]);
                if (mutual)
                {
                    Assert.Equal("targetuser", ibft["target0/rev-chap-name"]);
                }
                else
                {
                    Assert.False(ibft.ContainsKey("target0/rev-chap-name"), result.ToString());
                }

                Assert.Equal(Mac, ibft["ethernet0/mac"]);
                Assert.Equal("10.0.2.15", ibft["ethernet0/ip-addr"]);
                Assert.Equal("10.0.2.2", ibft["ethernet0/gateway"]);
                Assert.Equal("255.255.255.0", ibft["ethernet0/subnet-mask"]);

                // Origin 3 (DHCP) and the server slirp's DHCP answered from.
                Assert.Equal("3", ibft["ethernet0/origin"]);
                Assert.Equal("10.0.2.2", ibft["ethernet0/dhcp"]);

                // Linux's setup code asked our INT 13h for EDD (AH=48h) before it started: the disk
                // is SCSI behind the PCI NIC 00:03.0, and as big as the LUN.
                // (Linux reads the LUN's SAM bytes 00 01 as a little-endian number: 256, as with iPXE.)
                Assert.Matches(@"@edd host_bus=PCI\s+00:03\.0\s+channel: 255", result.Serial);
                Assert.Matches(@"@edd interface=SCSI\s+id: 0\s+lun: 256", result.Serial);
                Assert.Contains($"@edd sectors={(48 << 20) / 512}", result.Serial);

                // Everything the image keeps resident must be outside every range Linux calls RAM.
                Match kept = Regex.Match(result.Serial, @"@milestone name=san-boot drive=0x80 .* image=(0x[0-9a-f]+)-(0x[0-9a-f]+) pages=(0x[0-9a-f]+)-(0x[0-9a-f]+)");
                Assert.True(kept.Success, result.ToString());
                (ulong Start, ulong End)[] resident =
                {
                    (Hex(kept.Groups[1].Value), Hex(kept.Groups[2].Value)),
                    (Hex(kept.Groups[3].Value), Hex(kept.Groups[4].Value)),
                };
                List<(ulong Start, ulong End)> ram = Regex.Matches(result.Serial, @"^@memmap (0x[0-9a-f]+) (0x[0-9a-f]+) System RAM$", RegexOptions.Multiline)
                    .Select(m => (Hex(m.Groups[1].Value), Hex(m.Groups[2].Value))).ToList();
                Assert.True(ram.Count > 0, result.ToString());
                foreach ((ulong start, ulong end) in resident)
                {
                    Assert.DoesNotContain(ram, r => r.Start <= end && start <= r.End);
                }

                // And Linux had most of the rest: at least 192 MiB of the 512 MiB machine.
                Assert.True(ram.Sum(r => (double)(r.End - r.Start + 1)) > 192 << 20, result.ToString());
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
