// The real image's whole Hyper-V network path in the emulated machine, per host profile: VMBus,
// netvsc with its MAC and instance UUID, a DHCP lease from libslirp through the host model's netvsc
// backend, CHAP login to a tgtd the test starts on the loopback (10.0.2.2 under slirp), and the
// LUN's first block reported as `san-mbr` with the CRC-32 of the backing file's first 512 bytes.
// `skip-san-boot`: the machine has no BIOS to hand the boot sector to.
using System;
using System.IO;
using System.IO.Hashing;
using Bootstage.HyperV.HostModel;
using Bootstage.HyperV.Machine;
using Bootstage.Iscsi.Peers;
using Bootstage.Net.Slirp;

namespace Bootstage.HyperV.Machine.Tests
{
    public class SanTests
    {
        private const string Iqn = "iqn.2026-12.org.bootstage.test:hyperv-machine";

        internal sealed class Lun : IDisposable
        {
            public Lun(int seed)
            {
                Directory = Path.Combine(Path.GetTempPath(), "bootstage-hvm-" + Guid.NewGuid().ToString("N"));
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
                Target.AddAccount("hvuser", "hypervsecret12");
                Target.BindAccount(1, "hvuser");
            }

            public string Directory { get; }

            public string File { get; }

            public byte[] Mbr { get; }

            public TgtdTarget Target { get; }

            public string CommandLine(string extra) => $"console=serial root-path=iscsi:10.0.2.2::{Target.Port}:1:{Iqn} username=hvuser password=hypervsecret12 {extra}".TrimEnd();

            public void Dispose()
            {
                Target.Dispose();
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }

        internal static MachineOptions WithNetwork(MachineOptions options, IFramePort network) => new MachineOptions
        {
            ImagePath = options.ImagePath,
            ElfPath = options.ElfPath,
            CommandLine = options.CommandLine,
            Profile = options.Profile,
            Network = network,
        };

        [Theory]
        [InlineData(HostProfile.WS2012R2)]
        [InlineData(HostProfile.WS2016)]
        [InlineData(HostProfile.WS2019)]
        [InlineData(HostProfile.WS2022)]
        public void The_image_takes_a_lease_over_netvsc_logs_in_to_tgtd_and_reports_the_mbr(HostProfile profile)
        {
            using Lun lun = new Lun(21);
            using SlirpNetwork slirp = new SlirpNetwork();
            using HyperVMachine machine = new HyperVMachine(WithNetwork(Images.Options(lun.CommandLine("skip-san-boot"), profile), slirp));
            MachineResult result = machine.Run(Images.Deadline);

            Assert.True(result.Exited, result.ToString());
            Assert.Contains(" hv=hyperv", result.Milestone("cpu"));
            Assert.Equal((long)machine.Host.NegotiatedVersion, MachineResult.Number(result.Milestone("vmbus"), "version"));
            Assert.Equal(1, MachineResult.Number(result.Milestone("netvsc"), "devices"));

            // The NIC the image brought up is the host's: its instance UUID names it, its MAC is the backend's.
            string instance = machine.NicChannel!.InstanceId.ToString();
            Assert.Contains($"netvsc-{instance} up mac=00:15:5d:00:12:34 link=up", result.Serial);
            Assert.Equal($"netvsc-{instance}", MachineResult.Field(result.Milestone("bootnic"), "device"));
            Assert.Equal("10.0.2.15", MachineResult.Field(result.Milestone("dhcp"), "ip"));
            Assert.Equal("dhcp", MachineResult.Field(result.Milestone("dhcp"), "source"));

            Assert.Equal("aa55", MachineResult.Field(result.Milestone("san-mbr"), "sig"));
            Assert.Equal(Crc32.HashToUInt32(lun.Mbr).ToString("x8"), MachineResult.Field(result.Milestone("san-mbr"), "crc32"));
            Assert.Equal(0, MachineResult.Number(result.Milestone("done"), "status"));
            Assert.True(machine.Backend!.Counters.FramesDelivered > 0);
        }
    }
}
