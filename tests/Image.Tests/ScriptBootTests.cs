// `script=<url>`: an iPXE-syntax script fetched over slirp's own TFTP server drives the boot.
// Its settings expand from the NIC and the lease, `set` supplies the CHAP credentials, and
// `sanboot` goes through the same SAN boot as a command-line root path: with skip-san-boot set the
// script carries on after reading the disk, without it the LUN's boot sector runs and reads its
// disk through our INT 13h. A script error names its line and stops the image.
using System;
using System.IO;
using System.IO.Hashing;
using System.Text.RegularExpressions;
using Bootstage.Iscsi.Peers;

namespace Bootstage.Image.Tests
{
    public class ScriptBootTests
    {
        private const string Iqn = "iqn.2026-12.org.bootstage.test:script";

        private const string Ipxe = "/usr/lib/ipxe/ipxe.lkrn";

        private static QemuResult Boot(string script, Func<TgtdTarget, string> body, out byte[] block0, bool onIpxe = false)
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-script-" + Guid.NewGuid().ToString("N"));
            string tftp = Path.Combine(directory, "tftp");
            Directory.CreateDirectory(tftp);
            try
            {
                string disk = Path.Combine(directory, "disk.img");
                TgtdTarget.CreateBackingFile(disk, 8 << 20, 93);
                TgtdTarget.WriteAt(disk, 0, HostTools.Assemble("int13check.asm"));
                block0 = new byte[512];
                using (FileStream stream = File.OpenRead(disk))
                {
                    stream.ReadExactly(block0);
                }

                using TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd"));
                target.AddTarget(1, Iqn);
                target.AddLun(1, 1, disk);
                target.BindAll(1);
                target.AddAccount("scriptuser", "scriptsecret1");
                target.BindAccount(1, "scriptuser");
                File.WriteAllText(Path.Combine(tftp, script), body(target));
                string network = $"-netdev user,id=n0,tftp=\"{tftp}\" -device virtio-net-pci,netdev=n0";
                return onIpxe
                    ? Qemu.BootOtherKernel(Ipxe, $"dhcp && chain tftp://10.0.2.2/{script}", extraArguments: network)
                    : Qemu.BootKernel($"console=serial script=tftp://10.0.2.2/{script}", extraArguments: network);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        private static string SanScript(TgtdTarget target, bool skip) =>
            "#!ipxe\n"
            + "echo script on ${net0/mac} at ${ip}\n"
            + "set username scriptuser\n"
            + "set password scriptsecret1\n"
            + (skip ? "set skip-san-boot 1\n" : string.Empty)
            + $"sanboot iscsi:10.0.2.2::{target.Port}:1:{Iqn} || goto failed\n"
            + "echo after sanboot\n"
            + "exit\n"
            + ":failed\n"
            + "echo sanboot failed\n"
            + "exit 1\n";

        [Fact]
        public void A_script_sets_the_credentials_and_its_sanboot_reads_the_lun_then_carries_on()
        {
            QemuResult result = Boot("skip.ipxe", target => SanScript(target, skip: true), out byte[] block0);

            Assert.Matches(@"@milestone name=script fetched bytes=\d+", result.Serial);
            Assert.Contains("script on 52:54:00:12:34:56 at 10.0.2.15", result.Serial);
            Assert.Contains(" (CHAP)", result.Serial);
            Match mbr = Regex.Match(result.Serial, @"@milestone name=san-mbr sig=aa55 crc32=([0-9a-f]{8})");
            Assert.True(mbr.Success, result.ToString());
            Assert.Equal(Crc32.HashToUInt32(block0).ToString("x8"), mbr.Groups[1].Value);
            Assert.Contains("after sanboot", result.Serial);
            Assert.DoesNotContain("sanboot failed", result.Serial);
            Assert.Contains("@milestone name=script status=done", result.Serial);
            Assert.Equal(1, result.ExitCode);
        }

        [Fact]
        public void A_scripts_sanboot_hands_over_to_the_luns_boot_sector()
        {
            QemuResult result = Boot("boot.ipxe", target => SanScript(target, skip: false), out _);

            Assert.Contains("@milestone name=san-boot drive=0x80", result.Serial);
            Assert.Matches(@"@bootsector ok drive=80", result.Serial);
            Assert.DoesNotContain("after sanboot", result.Serial);
            Assert.Equal(1, result.ExitCode);
        }

        [Fact]
        public void A_script_error_names_its_line_and_stops_the_image()
        {
            QemuResult result = Boot("bad.ipxe", _ => "#!ipxe\necho first\nfrobnicate now\necho never\n", out _);

            Assert.Contains("first", result.Serial);
            Assert.Matches(@"@milestone name=script status=failed line=3 reason=.*frobnicate", result.Serial);
            Assert.DoesNotContain("never", result.Serial);
            Assert.Equal(3, result.ExitCode);
        }

        // One script file, unchanged, on Debian's iPXE and on ours: both must get the LUN's boot
        // sector running with the CHAP credentials the script set, and it must read the same disk.
        [Fact]
        public void The_same_script_boots_the_same_lun_on_ipxe_and_on_ours()
        {
            Assert.True(File.Exists(Ipxe), Ipxe + " is missing: ./build.sh deps installs Debian's ipxe");
            QemuResult ours = Boot("same.ipxe", target => SanScript(target, skip: false), out _);
            QemuResult theirs = Boot("same.ipxe", target => SanScript(target, skip: false), out _, onIpxe: true);

            Match oursRead = Regex.Match(ours.Serial, @"@bootsector ok drive=80 heads=[0-9a-f]+ spt=[0-9a-f]+ sum=[0-9a-f]{8}");
            Match theirsRead = Regex.Match(theirs.Serial, @"@bootsector ok drive=80 heads=[0-9a-f]+ spt=[0-9a-f]+ sum=[0-9a-f]{8}");
            Assert.True(oursRead.Success, ours.ToString());
            Assert.True(theirsRead.Success, theirs.ToString());
            Assert.Equal(theirsRead.Value, oursRead.Value);
        }
    }
}
