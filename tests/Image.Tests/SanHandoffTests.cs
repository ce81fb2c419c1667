// The SAN boot handoff in the image: with a root path (and no skip-san-boot), the LUN's block 0
// runs at 0000:7C00 in real mode with DL = 80h, and every INT 13h call it makes comes back up to
// our service and the SAN device. The boot sector (BootSectors/int13check.asm, assembled here with nasm) checks AH=41h,
// AH=08h, a CHS read of block 0 and a megabyte of AH=42h reads, and prints what it found; the
// test compares the sum of those blocks with the LUN's backing file.
using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO;
using System.Text.RegularExpressions;
using Bootstage.Boot.Tests.Ibft;
using Bootstage.Iscsi.Peers;

namespace Bootstage.Image.Tests
{
    public class SanHandoffTests
    {
        private const string Iqn = "iqn.2026-12.org.bootstage.test:handoff";

        [Theory]
        [InlineData("", "80")]
        [InlineData(" san-drive=0x81", "81")]
        public void A_boot_sector_from_the_lun_reads_its_disk_through_our_int13(string option, string drive)
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-handoff-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string file = Path.Combine(directory, "disk.img");
                TgtdTarget.CreateBackingFile(file, 8 << 20, 77);
                TgtdTarget.WriteAt(file, 0, HostTools.Assemble("int13check.asm"));
                byte[] disk = File.ReadAllBytes(file);
                uint sum = 0;
                for (int offset = 512; offset < 512 + 2048 * 512; offset += 4)
                {
                    sum += BinaryPrimitives.ReadUInt32LittleEndian(disk.AsSpan(offset));
                }

                using TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd"));
                target.AddTarget(1, Iqn);
                target.AddLun(1, 1, file);
                target.BindAll(1);
                QemuResult result = Qemu.BootKernel($"console=serial root-path=iscsi:10.0.2.2::{target.Port}:1:{Iqn}{option}",
                    extraArguments: "-netdev user,id=n0 -device virtio-net-pci,netdev=n0");

                Assert.Contains("@milestone name=san-boot drive=0x" + drive, result.Serial);
                Match ok = Regex.Match(result.Serial, @"@bootsector ok drive=([0-9a-f]{2}) heads=([0-9a-f]{2}) spt=([0-9a-f]{2}) sum=([0-9a-f]{8})");
                Assert.True(ok.Success, result.ToString());
                Assert.Equal(drive, ok.Groups[1].Value);
                Assert.Equal("fe", ok.Groups[2].Value);
                Assert.Equal("3f", ok.Groups[3].Value);
                Assert.Equal(sum.ToString("x8"), ok.Groups[4].Value);
                Assert.Equal(1, result.ExitCode);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        [Fact]
        public void The_ibft_an_os_finds_after_the_handoff_names_nic_target_and_chap_as_configured()
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-ibft-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string file = Path.Combine(directory, "disk.img");
                TgtdTarget.CreateBackingFile(file, 4 << 20, 78);
                TgtdTarget.WriteAt(file, 0, HostTools.Assemble("ibftdump.asm"));
                using TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd"));
                target.AddTarget(1, Iqn);
                target.AddLun(1, 1, file);
                target.BindAll(1);
                target.AddAccount("ibftuser", "ibftsecret123");
                target.BindAccount(1, "ibftuser");
                QemuResult result = Qemu.BootKernel(
                    $"console=serial root-path=iscsi:10.0.2.2::{target.Port}:1:{Iqn} initiator-iqn=iqn.2026-12.org.bootstage:ibft username=ibftuser password=ibftsecret123",
                    extraArguments: "-netdev user,id=n0 -device virtio-net-pci,netdev=n0");

                Assert.Matches(@"@milestone name=ibft at=0x[0-9a-f]+ length=\d+", result.Serial);
                Match dump = Regex.Match(result.Serial, @"@ibft-bytes ((?:[0-9a-f]{2} )+)");
                Assert.True(dump.Success, result.ToString());
                byte[] table = Convert.FromHexString(dump.Groups[1].Value.Replace(" ", string.Empty));
                IbftReader ibft = new IbftReader(table);

                Assert.Equal("iBFT", ibft.Signature);
                Assert.Equal((uint)table.Length, ibft.Length);
                byte sum = 0;
                foreach (byte b in table)
                {
                    sum += b;
                }

                Assert.Equal(0, sum);
                Assert.Equal("iqn.2026-12.org.bootstage:ibft", ibft.InitiatorName.Text);
                Assert.Equal("10.0.2.15", IbftReader.MappedIpv4(ibft.NicIp));
                Assert.Equal(24, ibft.NicPrefix);
                Assert.Equal("10.0.2.2", IbftReader.MappedIpv4(ibft.NicGateway));
                Assert.Equal("10.0.2.2", IbftReader.MappedIpv4(ibft.NicDhcp));
                Assert.Equal(new byte[] { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }, ibft.NicMac.ToArray());

                // QEMU's pc machine puts the first -device virtio-net-pci at 00:03.0: bus << 8 | device << 3 | function.
                Assert.Contains("virtio-net-c000 pci 00:03.0", result.Serial);
                Assert.Equal(3 << 3, ibft.NicPciBdf);
                Assert.Equal("10.0.2.2", IbftReader.MappedIpv4(ibft.TargetIp));
                Assert.Equal(target.Port, ibft.TargetPort);
                Assert.Equal(new byte[] { 0, 1, 0, 0, 0, 0, 0, 0 }, ibft.TargetLun.ToArray());
                Assert.Equal(Iqn, ibft.TargetName.Text);
                Assert.Equal(1, ibft.TargetChapType);
                Assert.Equal("ibftuser", ibft.ChapName.Text);
                Assert.Equal("ibftsecret123", ibft.ChapSecret.Text);
                Assert.True(ibft.ReverseChapName.Absent);
                Assert.Equal(1, result.ExitCode);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        [Fact]
        public void A_sanhook_lun_answers_as_drive_81h_beside_the_boot_drive()
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-sanhook-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string boot = Path.Combine(directory, "boot.img");
                TgtdTarget.CreateBackingFile(boot, 4 << 20, 81);
                TgtdTarget.WriteAt(boot, 0, HostTools.Assemble("seconddrive.asm"));
                string data = Path.Combine(directory, "data.img");
                TgtdTarget.CreateBackingFile(data, 2 << 20, 82);
                byte[] first = new byte[16];
                using (FileStream stream = File.OpenRead(data))
                {
                    stream.ReadExactly(first);
                }

                using TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd"));
                target.AddTarget(1, Iqn);
                target.AddLun(1, 1, boot);
                target.AddTarget(2, Iqn + "-data");
                target.AddLun(2, 1, data);
                target.BindAll(1);
                target.BindAll(2);
                QemuResult result = Qemu.BootKernel(
                    $"console=serial root-path=iscsi:10.0.2.2::{target.Port}:1:{Iqn} sanhook=iscsi:10.0.2.2::{target.Port}:1:{Iqn}-data",
                    extraArguments: "-netdev user,id=n0 -device virtio-net-pci,netdev=n0");

                Assert.Contains($"@milestone name=san-hook drive=0x81 blocks={(2 << 20) / 512} block-size=512", result.Serial);
                Assert.Contains("@milestone name=san-boot drive=0x80", result.Serial);
                Assert.Contains("@drive81 bytes=" + Convert.ToHexString(first).ToLowerInvariant() + " disks=02", result.Serial);
                Assert.Equal(1, result.ExitCode);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        [Fact]
        public void A_loader_writing_into_the_hidden_image_stops_the_next_int13_call_with_a_named_panic()
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-tear-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string file = Path.Combine(directory, "disk.img");
                TgtdTarget.CreateBackingFile(file, 4 << 20, 80);

                // Where the image lives: it moves to the top of memory, the same place on every
                // boot of the same machine, and says so in its memory milestone.
                QemuResult probe = Qemu.BootKernel("console=serial", extraArguments: "-nic none");
                Match image = Regex.Match(probe.Serial, @"@milestone name=memory .* image=0x([0-9a-f]+)-");
                Assert.True(image.Success, probe.ToString());
                uint start = Convert.ToUInt32(image.Groups[1].Value, 16);
                byte[] sector = HostTools.Assemble("tearimage.asm");
                const int destination = 0x1C0 + 3 * 8;
                BinaryPrimitives.WriteUInt16LittleEndian(sector.AsSpan(destination + 2), (ushort)start);
                sector[destination + 4] = (byte)(start >> 16);
                sector[destination + 7] = (byte)(start >> 24);
                TgtdTarget.WriteAt(file, 0, sector);
                using TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd"));
                target.AddTarget(1, Iqn);
                target.AddLun(1, 1, file);
                target.BindAll(1);
                QemuResult result = Qemu.BootKernel($"console=serial root-path=iscsi:10.0.2.2::{target.Port}:1:{Iqn}",
                    extraArguments: "-netdev user,id=n0 -device virtio-net-pci,netdev=n0");

                Assert.Contains("@milestone name=san-boot drive=0x80", result.Serial);
                Assert.Contains("@moved", result.Serial);
                Assert.Contains("!!! PANIC: resident image torn: something wrote into memory the E820h map hides, at 0x" + start.ToString("X16"), result.Serial);
                Assert.DoesNotContain("@survived", result.Serial);
                Assert.Equal(253, result.ExitCode);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        [Theory]
        [InlineData("no-signature")]
        [InlineData("wrong-secret")]
        public void A_san_boot_that_cannot_happen_is_named_and_the_bios_boots_the_next_device(string failure)
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-int18-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string file = Path.Combine(directory, "disk.img");
                TgtdTarget.CreateBackingFile(file, 4 << 20, 79);
                byte[] block0 = HostTools.Assemble("int13check.asm");
                if (failure == "no-signature")
                {
                    block0[510] = 0;
                    block0[511] = 0;
                }

                TgtdTarget.WriteAt(file, 0, block0);
                string local = Path.Combine(directory, "local.img");
                byte[] next = new byte[1 << 20];
                HostTools.Assemble("nextdevice.asm").CopyTo(next, 0);
                File.WriteAllBytes(local, next);
                using TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd"));
                target.AddTarget(1, Iqn);
                target.AddLun(1, 1, file);
                target.BindAll(1);
                target.AddAccount("nextuser", "nextsecret123");
                target.BindAccount(1, "nextuser");
                string secret = failure == "wrong-secret" ? "notthesecret1" : "nextsecret123";
                QemuResult result = Qemu.BootKernel(
                    $"console=serial root-path=iscsi:10.0.2.2::{target.Port}:1:{Iqn} username=nextuser password={secret}",
                    extraArguments: $"-netdev user,id=n0 -device virtio-net-pci,netdev=n0 -drive file=\"{local}\",format=raw,if=ide");

                Assert.Contains(failure == "wrong-secret" ? "reason=authentication failed" : "reason=block 0 is not a boot sector", result.Serial);
                Assert.Contains("@milestone name=san-boot status=failed next=int18", result.Serial);
                Assert.Contains("@next-boot-device", result.Serial);
                Assert.DoesNotContain("@bootsector", result.Serial);
                Assert.Equal(5, result.ExitCode);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        [Theory]
        [InlineData(0, false)]
        [InlineData(1, true)]
        [InlineData(2, false)]
        public void A_loader_that_gives_up_returns_to_us_and_keep_san_decides_who_answers_as_80h_next(byte how, bool keepSan)
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-giveup-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string file = Path.Combine(directory, "disk.img");
                TgtdTarget.CreateBackingFile(file, 4 << 20, 83);
                byte[] block0 = HostTools.Assemble("giveup.asm");
                block0[0x1F0] = how;
                TgtdTarget.WriteAt(file, 0, block0);
                // The next device is a local CD (SeaBIOS reads it without INT 13h 80h, unlike a
                // hard disk's MBR), so its boot sector shows who answers as 80h afterwards.
                string staging = Path.Combine(directory, "cd");
                Directory.CreateDirectory(staging);
                byte[] nextImage = new byte[2048];
                HostTools.Assemble("nextdevice.asm").CopyTo(nextImage, 0);
                File.WriteAllBytes(Path.Combine(staging, "next.bin"), nextImage);
                string local = Path.Combine(directory, "local.iso");
                HostTools.Run("xorriso", $"-as mkisofs -quiet -o \"{local}\" -b next.bin -no-emul-boot -boot-load-size 4 \"{staging}\"");
                using TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd"));
                target.AddTarget(1, Iqn);
                target.AddLun(1, 1, file);
                target.BindAll(1);
                QemuResult result = Qemu.BootKernel(
                    $"console=serial root-path=iscsi:10.0.2.2::{target.Port}:1:{Iqn}" + (keepSan ? " keep-san" : string.Empty),
                    extraArguments: $"-netdev user,id=n0 -device virtio-net-pci,netdev=n0 -cdrom \"{local}\"");

                Assert.Contains("@bootsector giving-up", result.Serial);
                Assert.Contains("@milestone name=san-boot status=returned drive=0x80 keep-san=" + (keepSan ? "yes" : "no"), result.Serial);
                Assert.Contains("@milestone name=san-boot status=failed next=int18", result.Serial);
                Assert.DoesNotContain("@giveup-returned", result.Serial);

                // With keep-san the LUN still answers as 80h to the next device; without, there is no 80h.
                string expected = keepSan ? Convert.ToHexString(block0, 0, 4).ToLowerInvariant() : "failed";
                Assert.Contains("@next-boot-device disk80=" + expected, result.Serial);
                Assert.Equal(5, result.ExitCode);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
