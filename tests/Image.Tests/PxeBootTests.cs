// out/bootstage.pxe as a PXE ROM runs it: QEMU's virtio-net option ROM (an iPXE build acting as
// the PXE ROM) fetches it from slirp's TFTP server as the DHCP boot file and calls it at
// 0000:7C00. The prefix must keep the ROM's DHCPACK, shut the PXE stack down (every call
// answering success), and load the image, which then takes its address from that DHCPACK
// instead of asking again and goes on to the SAN step. The command line is written into the
// prefix's command-line area, as a user would for an image served from a PXE server.
using System;
using System.IO;
using System.IO.Hashing;
using System.Text;
using System.Text.RegularExpressions;
using Bootstage.Iscsi.Peers;

namespace Bootstage.Image.Tests
{
    public class PxeBootTests
    {
        private const string Iqn = "iqn.2026-12.org.bootstage.test:pxe";
        private static readonly byte[] Marker = Encoding.ASCII.GetBytes("BOOTSTAGE-PXE-CMDLINE:");

        private static void WithCommandLine(string source, string destination, string commandLine)
        {
            byte[] image = File.ReadAllBytes(source);
            int at = image.AsSpan().IndexOf(Marker);
            Assert.True(at > 0 && at < 8192, "no command-line area in the prefix");
            byte[] text = Encoding.ASCII.GetBytes(commandLine);
            Assert.True(text.Length < 1024);
            text.CopyTo(image, at + Marker.Length);
            File.WriteAllBytes(destination, image);
        }

        [Fact]
        public void A_pxe_rom_loads_the_nbp_which_unloads_the_stack_reuses_its_dhcp_answer_and_reaches_the_lun()
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-pxe-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string disk = Path.Combine(directory, "disk.img");
                TgtdTarget.CreateBackingFile(disk, 4 << 20, 91);
                byte[] block0 = new byte[512];
                using (FileStream stream = File.OpenRead(disk))
                {
                    stream.ReadExactly(block0);
                }

                using TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd"));
                target.AddTarget(1, Iqn);
                target.AddLun(1, 1, disk);
                target.BindAll(1);
                string tftp = Path.Combine(directory, "tftp");
                Directory.CreateDirectory(tftp);
                WithCommandLine(Qemu.OutFile("bootstage.pxe"), Path.Combine(tftp, "bootstage.pxe"),
                    $"console=serial root-path=iscsi:10.0.2.2::{target.Port}:1:{Iqn} skip-san-boot");

                QemuResult result = Qemu.BootPxe(tftp, "bootstage.pxe");

                Assert.Contains("pxe: bootstage prefix", result.Serial);
                Assert.Matches(@"pxe: cached-dhcp-ack status=0000 bytes=0[0-9a-f]{3}", result.Serial);
                Assert.Contains("pxe: unload undi-shutdown=0000 unload-stack=0000 stop-undi=0000", result.Serial);
                Assert.Contains("info: loader: bootstage-pxe", result.Serial);
                Assert.Contains("@milestone name=dhcp ip=10.0.2.15 gw=10.0.2.2 dns=10.0.2.3 mask=255.255.255.0 server=10.0.2.2 source=pxe-cache", result.Serial);
                Match mbr = Regex.Match(result.Serial, @"@milestone name=san-mbr sig=[0-9a-f]+ crc32=([0-9a-f]{8})");
                Assert.True(mbr.Success, result.ToString());
                Assert.Equal(Crc32.HashToUInt32(block0).ToString("x8"), mbr.Groups[1].Value);
                Assert.Equal(1, result.ExitCode);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
