// Helpers shared by the tests: a scratch folder with stand-in image files for matrix parsing,
// VmSpecs built in code, and the repository's out/ folder found the way the image tests find it
// (tests/Image.Tests/Qemu.cs: walk up from the test assembly to Cosmos.sln).
using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Bootstage.VmTest.Matrix;

namespace Bootstage.VmTest.Tests
{
    public sealed class ScratchFolder : IDisposable
    {
        public ScratchFolder()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bootstage-vmtest-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
            System.IO.File.WriteAllText(System.IO.Path.Combine(Path, "bootstage.bin"), "stand-in");
            System.IO.File.WriteAllText(System.IO.Path.Combine(Path, "bootstage.iso"), "stand-in");
            System.IO.File.WriteAllText(System.IO.Path.Combine(Path, "boot.ipxe"), "#!ipxe\n");
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public TestMatrix Parse(string json) => MatrixParser.Parse(json, Path, "m.json");

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    public static class Specs
    {
        public static MilestoneSpec M(string name, double deadline, string? match = null) =>
            new MilestoneSpec(name, match == null ? null : new Regex(match), TimeSpan.FromSeconds(deadline));

        public static VmSpec Vm(string id, params MilestoneSpec[] milestones) => new VmSpec
        {
            Id = id,
            Backend = "qemu",
            Image = "/images/bootstage.bin",
            Nic = "virtio-net",
            CommandLine = MatrixParser.DefaultCommandLine,
            Milestones = milestones,
        };

        public static VmSpec Failing(string id, MilestoneSpec failure, params MilestoneSpec[] milestones) =>
            Vm(id, milestones) with { Expect = Expectation.Fail, Failure = failure };
    }

    public static class Repository
    {
        public static string Root
        {
            get
            {
                string? directory = AppContext.BaseDirectory;
                while (directory != null && !System.IO.File.Exists(System.IO.Path.Combine(directory, "Cosmos.sln")))
                {
                    directory = System.IO.Path.GetDirectoryName(directory);
                }

                return directory ?? throw new InvalidOperationException("Cosmos.sln not found above " + AppContext.BaseDirectory);
            }
        }

        public static string OutFile(string name)
        {
            string path = System.IO.Path.Combine(Root, "out", name);
            if (!System.IO.File.Exists(path))
            {
                throw new InvalidOperationException($"{path} is missing: build the images with ./build.sh image");
            }

            return path;
        }
    }

    /// <summary>Serial text as the image printed it (QEMU/TCG, virtio-net, slirp), for replaying.</summary>
    public static class Recorded
    {
        public const string DhcpBoot = @"Bootstage 0.1.0 - C# network boot stage (NativeAOT, x86-64)
info: command line: /work/main/out/bootstage.bin console=serial
info: loader: qemu
@milestone name=memory usable-kib=261631 free-kib=195200 heap-kib=65152 ranges=2
@milestone name=cpu vendor=AuthenticAMD hypervisor=TCGTCGTCGTCG hv=none hv-max-leaf=0x40000001 hv-features=0x0
@milestone name=msr-probe rdmsr=0x40000000 rdmsr-status=read rdmsr-value=0x0 wrmsr=0x6e1 wrmsr-status=fault
@milestone name=clock source=tsc calibrated=pit tsc-mhz=2104
info: pci 00:00.0 8086:1237 class=060000
info: pci 00:01.0 8086:7000 class=060100
info: pci 00:01.1 8086:7010 class=010180
info: pci 00:01.3 8086:7113 class=068000
info: pci 00:02.0 1234:1111 class=030000
info: pci 00:03.0 1af4:1000 class=020000
@milestone name=pci devices=6
@milestone name=hyperv status=absent reason=0x1002
info: virtio-net-c000 pci 00:03.0 io=0xc000 command=0x0107 features=0x79bf8064 accepted=0x00010020 rx-queue=256 tx-queue=256 rx-buffers=64 tx-slots=32
@milestone name=virtio-net mac=52:54:00:12:34:56 link=up
@milestone name=dhcp ip=10.0.2.15 gw=10.0.2.2 dns=10.0.2.3 mask=255.255.255.0 server=10.0.2.2 source=dhcp
info: nothing left to boot: no root path, or the SAN boot stopped where the command line asked
@milestone name=done status=0 heap-live-kib=23";

        public const string WrongSecret = @"Bootstage 0.1.0 - C# network boot stage (NativeAOT, x86-64)
info: command line: /work/main/out/bootstage.bin console=serial root-path=iscsi:10.0.2.2::3291:1:iqn.2026-12.org.bootstage.vmtest:chap username=u password=*** skip-san-boot
info: loader: qemu
@milestone name=memory usable-kib=261631 free-kib=195192 heap-kib=65152 ranges=3 image=0xff30000-0xffd0fff
@milestone name=cpu vendor=AuthenticAMD hypervisor=TCGTCGTCGTCG hv=none hv-max-leaf=0x40000001 hv-features=0x0
@milestone name=msr-probe rdmsr=0x40000000 rdmsr-status=read rdmsr-value=0x0 wrmsr=0x6e1 wrmsr-status=fault
@milestone name=clock source=tsc calibrated=pit tsc-mhz=2588
info: pci 00:00.0 8086:1237 class=060000
info: pci 00:01.0 8086:7000 class=060100
info: pci 00:01.1 8086:7010 class=010180
info: pci 00:01.3 8086:7113 class=068000
info: pci 00:02.0 1234:1111 class=030000
info: pci 00:03.0 1af4:1000 class=020000
@milestone name=pci devices=6
@milestone name=hyperv status=absent reason=0x1002
info: virtio-net-c000 pci 00:03.0 io=0xc000 command=0x0107 features=0x79bf8064 accepted=0x00010020 rx-queue=256 tx-queue=256 rx-buffers=64 tx-slots=32
@milestone name=virtio-net mac=52:54:00:12:34:56 link=up
@milestone name=dhcp ip=10.0.2.15 gw=10.0.2.2 dns=10.0.2.3 mask=255.255.255.0 server=10.0.2.2 source=dhcp
info: san: iscsi:10.0.2.2::3291:1:iqn.2026-12.org.bootstage.vmtest:chap as iqn.2026-11.org.bootstage:52-54-00-12-34-56 (CHAP)
@milestone name=san status=failed reason=authentication failed
info: nothing left to boot: no root path, or the SAN boot stopped where the command line asked
@milestone name=done status=1 heap-live-kib=1392";

        /// <summary>The lines, each one second after the previous (the first at 1 s).</summary>
        public static (string Line, TimeSpan At)[] OneASecond(string text) =>
            text.Split('\n').Select((line, i) => (line.TrimEnd('\r'), TimeSpan.FromSeconds(i + 1))).ToArray();
    }
}
