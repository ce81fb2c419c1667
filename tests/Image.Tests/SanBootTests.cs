// The SAN step of the image against tgtd on the host's loopback (10.0.2.2 under slirp): log in
// (CHAP from `username=`/`password=`), open the disk, read its first block and report
// `@milestone name=san-mbr sig=<hex> crc32=<hex>`, which must match the LUN's backing file; with
// `san-logout` the session is gone from tgtd afterwards. A wrong secret is a named failure.
using System;
using System.IO;
using System.IO.Hashing;
using System.Text.RegularExpressions;
using Bootstage.Iscsi.Peers;

namespace Bootstage.Image.Tests
{
    public class SanBootTests
    {
        private const string Iqn = "iqn.2026-11.org.bootstage.test:san-boot";

        private sealed class Lun : IDisposable
        {
            public Lun(int seed)
            {
                Directory = Path.Combine(Path.GetTempPath(), "bootstage-san-" + Guid.NewGuid().ToString("N"));
                System.IO.Directory.CreateDirectory(Directory);
                File = Path.Combine(Directory, "disk.img");
                TgtdTarget.CreateBackingFile(File, 8 << 20, seed);
                byte[] mbr = new byte[512];
                new Random(seed).NextBytes(mbr);
                mbr[510] = 0x55;
                mbr[511] = 0xAA;
                TgtdTarget.WriteAt(File, 0, mbr);
                Mbr = mbr;
                Target = TgtdTarget.Start(Path.Combine(Directory, "tgtd"));
                Target.AddTarget(1, Iqn);
                Target.AddLun(1, 1, File);
                Target.BindAll(1);
                Target.AddAccount("bootuser", "bootsecret12");
                Target.BindAccount(1, "bootuser");
            }

            public string Directory { get; }

            public string File { get; }

            public byte[] Mbr { get; }

            public TgtdTarget Target { get; }

            public string RootPath => $"iscsi:10.0.2.2::{Target.Port}:1:{Iqn}";

            public void Dispose()
            {
                Target.Dispose();
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }

        [Fact]
        public void The_image_logs_in_with_chap_and_reports_the_mbr_of_the_lun()
        {
            using Lun lun = new Lun(seed: 41);
            QemuResult result = Qemu.BootKernel($"console=serial root-path={lun.RootPath} username=bootuser password=bootsecret12 san-logout",
                extraArguments: "-netdev user,id=n0 -device virtio-net-pci,netdev=n0");

            Match open = Regex.Match(result.Serial, @"@milestone name=san-open blocks=(\d+) block-size=(\d+)");
            Assert.True(open.Success, result.ToString());
            Assert.Equal(((8 << 20) / 512).ToString(), open.Groups[1].Value);
            Assert.Equal("512", open.Groups[2].Value);

            Match mbr = Regex.Match(result.Serial, @"@milestone name=san-mbr sig=([0-9a-f]+) crc32=([0-9a-f]+)");
            Assert.True(mbr.Success, result.ToString());
            Assert.Equal("aa55", mbr.Groups[1].Value);
            Assert.Equal(Crc32.HashToUInt32(lun.Mbr).ToString("x8"), mbr.Groups[2].Value);
            Assert.Contains("@milestone name=san-logout status=success", result.Serial);
            Assert.DoesNotContain("bootsecret12", result.Serial);
            Assert.Contains("password=***", result.Serial);
            Assert.DoesNotContain("Initiator:", lun.Target.ShowTargets());
            Assert.Equal(1, result.ExitCode);
        }

        [Fact]
        public void Without_a_configured_name_the_image_logs_in_as_its_smbios_uuid()
        {
            using Lun lun = new Lun(seed: 44);
            QemuResult result = Qemu.BootKernel($"console=serial root-path={lun.RootPath} username=bootuser password=bootsecret12 skip-san-boot",
                extraArguments: "-smbios type=1,uuid=6a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9 -netdev user,id=n0 -device virtio-net-pci,netdev=n0");

            Assert.Contains(" as iqn.2026-11.org.bootstage:6a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9 (CHAP)", result.Serial);
            Assert.Contains("@milestone name=san-mbr sig=aa55", result.Serial);
            Assert.Equal(1, result.ExitCode);
        }

        [Fact]
        public void The_image_reads_the_whole_lun_byte_exact()
        {
            using Lun lun = new Lun(seed: 45);
            QemuResult result = Qemu.BootKernel($"console=serial root-path={lun.RootPath} username=bootuser password=bootsecret12 santest=read:8",
                extraArguments: "-netdev user,id=n0 -device virtio-net-pci,netdev=n0");

            Match read = Regex.Match(result.Serial, @"@milestone name=san-read bytes=(\d+) ms=\d+ crc32=([0-9a-f]+)");
            Assert.True(read.Success, result.ToString());
            Assert.Equal((8 << 20).ToString(), read.Groups[1].Value);
            Assert.Equal(Crc32.HashToUInt32(File.ReadAllBytes(lun.File)).ToString("x8"), read.Groups[2].Value);
            Assert.Equal(1, result.ExitCode);
        }

        [Fact]
        public void The_image_names_a_wrong_chap_secret_and_fails()
        {
            using Lun lun = new Lun(seed: 42);
            QemuResult result = Qemu.BootKernel($"console=serial root-path={lun.RootPath} username=bootuser password=notthesecret skip-san-boot",
                extraArguments: "-netdev user,id=n0 -device virtio-net-pci,netdev=n0");

            Assert.Contains("@milestone name=san status=failed reason=authentication failed", result.Serial);
            Assert.DoesNotContain("name=san-mbr", result.Serial);
            Assert.Equal(3, result.ExitCode);
        }

        [Fact]
        public void The_image_names_the_sense_of_a_lun_the_target_does_not_have()
        {
            using Lun lun = new Lun(seed: 43);
            QemuResult result = Qemu.BootKernel($"console=serial root-path={lun.RootPath.Replace(":1:", ":5:")} username=bootuser password=bootsecret12 skip-san-boot",
                extraArguments: "-netdev user,id=n0 -device virtio-net-pci,netdev=n0");

            Assert.Contains("@milestone name=san status=failed reason=SCSI check condition sense=logical unit not supported", result.Serial);
            Assert.Equal(3, result.ExitCode);
        }

        [Fact]
        public void A_root_path_without_a_network_is_a_named_failure()
        {
            QemuResult result = Qemu.BootKernel("console=serial root-path=iscsi:10.0.2.2:::1:iqn.x:y skip-san-boot", extraArguments: "-nic none");

            Assert.Contains("@milestone name=san status=failed reason=no network configuration", result.Serial);
            Assert.Equal(3, result.ExitCode);
        }

        [Fact]
        public void The_image_rejects_a_malformed_root_path_with_a_clear_reason()
        {
            QemuResult result = Qemu.BootKernel("console=serial root-path=iscsi:10.0.2.2::99999:1:iqn.x:y skip-san-boot",
                extraArguments: "-netdev user,id=n0 -device virtio-net-pci,netdev=n0");

            Assert.Matches(@"@milestone name=san status=failed reason=\S.*port", result.Serial);
            Assert.Equal(3, result.ExitCode);
        }
    }
}
