// An unmodified OS loader boots from the LUN through our INT 13h: a FAT disk made here with
// mkfs.fat, mcopy and `syslinux --install` (Debian's syslinux 6), served by tgtd. SYSLINUX's boot
// sector and ldlinux load through our service, its banner appears on COM1, it reads its config
// and poweroff.c32 (with libcom32/libutil) from the LUN, and the module powers QEMU off through
// APM, which our INT 15h passes on to the BIOS. `bios-trace` lists every call the loader made.
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Bootstage.Iscsi.Peers;

namespace Bootstage.Image.Tests
{
    public class SyslinuxSanBootTests
    {
        private const string Iqn = "iqn.2026-12.org.bootstage.test:syslinux";
        private const string Modules = "/usr/lib/syslinux/modules/bios";

        private static void MakeDisk(string directory, string disk)
        {
            File.WriteAllBytes(disk, new byte[32 << 20]);
            HostTools.Run("mkfs.fat", $"-n BOOTSTAGE \"{disk}\"");
            string config = Path.Combine(directory, "syslinux.cfg");
            File.WriteAllText(config, "SERIAL 0 115200\nPROMPT 0\nTIMEOUT 1\nDEFAULT off\nLABEL off\n  COM32 poweroff.c32\n");
            HostTools.Run("mcopy", $"-i \"{disk}\" \"{config}\" {Modules}/poweroff.c32 {Modules}/libcom32.c32 {Modules}/libutil.c32 ::/");
            HostTools.Run("syslinux", $"--install \"{disk}\"");
        }

        [Fact]
        public void Syslinux_boots_from_the_lun_through_our_int13_and_runs_a_module_from_it()
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-syslinux-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string disk = Path.Combine(directory, "disk.img");
                MakeDisk(directory, disk);
                using TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd"));
                target.AddTarget(1, Iqn);
                target.AddLun(1, 1, disk);
                target.BindAll(1);
                QemuResult result = Qemu.BootKernel($"console=serial root-path=iscsi:10.0.2.2::{target.Port}:1:{Iqn} bios-trace",
                    extraArguments: "-netdev user,id=n0 -device virtio-net-pci,netdev=n0");

                Assert.Contains("@milestone name=san-boot drive=0x80", result.Serial);
                Assert.Matches(@"SYSLINUX 6\.\d+", result.Serial);
                string[] calls = result.Serial.Split('\n').Where(line => line.StartsWith("info: bios int ")).ToArray();

                // The loader asked for EDD, read with AH=42h (far more than its own boot sector),
                // took the memory map from us, and poweroff.c32 set the APM power state to off.
                Assert.Contains(calls, line => line.Contains("int 0x13 eax=0x000041"));
                Assert.True(calls.Count(line => Regex.IsMatch(line, @"int 0x13 eax=0x000042")) >= 10, result.ToString());
                Assert.Contains(calls, line => line.Contains("int 0x15 eax=0x0000e820"));
                Assert.Contains(calls, line => line.Contains("int 0x15 eax=0x00005307"));
                Assert.Equal(0, result.ExitCode);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        [Fact]
        public void Isolinux_boots_from_a_cd_rom_lun_through_its_el_torito_image()
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-isolinux-" + Guid.NewGuid().ToString("N"));
            string staging = Path.Combine(directory, "iso", "isolinux");
            Directory.CreateDirectory(staging);
            try
            {
                File.Copy("/usr/lib/ISOLINUX/isolinux.bin", Path.Combine(staging, "isolinux.bin"));
                foreach (string module in new[] { "ldlinux.c32", "poweroff.c32", "libcom32.c32", "libutil.c32" })
                {
                    File.Copy(Path.Combine(Modules, module), Path.Combine(staging, module));
                }

                File.WriteAllText(Path.Combine(staging, "isolinux.cfg"), "SERIAL 0 115200\nPROMPT 0\nTIMEOUT 1\nDEFAULT off\nLABEL off\n  COM32 poweroff.c32\n");
                string iso = Path.Combine(directory, "cd.iso");
                HostTools.Run("xorriso", $"-as mkisofs -quiet -o \"{iso}\" -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \"{Path.Combine(directory, "iso")}\"");
                using TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd"));
                target.AddTarget(1, Iqn);
                target.AddLun(1, 1, iso, cdrom: true);
                target.BindAll(1);
                QemuResult result = Qemu.BootKernel($"console=serial root-path=iscsi:10.0.2.2::{target.Port}:1:{Iqn} bios-trace",
                    extraArguments: "-netdev user,id=n0 -device virtio-net-pci,netdev=n0");

                Assert.Contains("block-size=2048", result.Serial);
                Assert.Contains("@milestone name=san-boot drive=0xe0", result.Serial);
                Assert.Matches(@"ISOLINUX 6\.\d+", result.Serial);
                string[] calls = result.Serial.Split('\n').Where(line => line.StartsWith("info: bios int ")).ToArray();
                Assert.Contains(calls, line => line.Contains("int 0x13 eax=0x000042") && line.Contains("edx=0x000000e0"));
                Assert.Contains(calls, line => line.Contains("int 0x15 eax=0x00005307"));
                Assert.Equal(0, result.ExitCode);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
