// The backends' side of starting a VM that can be checked without one: QEMU's arguments, the
// Hyper-V script's arguments, and the backends that cannot run here saying so by name.
using System;
using System.Collections.Generic;
using System.Linq;
using Bootstage.VmTest.Backends;
using Bootstage.VmTest.Matrix;
using static Bootstage.VmTest.Tests.Specs;

namespace Bootstage.VmTest.Tests
{
    public class BackendTests
    {
        private static string Joined(IReadOnlyList<string> arguments) => string.Join(" | ", arguments);

        [Fact]
        public void Qemu_boots_a_multiboot_image_with_its_command_line_as_the_image_tests_do()
        {
            VmSpec spec = Vm("san", M("dhcp", 9)) with
            {
                CommandLine = "console=serial skip-san-boot",
                RootPath = "iscsi:10.0.2.2::3260:1:iqn.x:y",
                MemoryMiB = 512,
                ExtraArguments = new[] { "-smbios", "type=1,uuid=x" },
            };

            Assert.Equal(
                "-machine | pc | -accel | tcg | -cpu | qemu64 | -m | 512 | -display | none | -serial | stdio | -monitor | none | -no-reboot"
                + " | -device | isa-debug-exit,iobase=0xf4,iosize=0x04 | -kernel | /images/bootstage.bin"
                + " | -append | console=serial skip-san-boot root-path=iscsi:10.0.2.2::3260:1:iqn.x:y"
                + " | -netdev | user,id=n0 | -device | virtio-net-pci,netdev=n0 | -smbios | type=1,uuid=x",
                Joined(QemuBackend.Arguments(spec)));
        }

        [Fact]
        public void Qemu_boots_an_iso_from_the_cd_and_takes_other_nics()
        {
            VmSpec iso = Vm("iso", M("dhcp", 9)) with { Image = "/images/bootstage.iso", Nic = "e1000" };
            string arguments = Joined(QemuBackend.Arguments(iso));
            Assert.Contains("| -cdrom | /images/bootstage.iso | -boot | d |", arguments);
            Assert.DoesNotContain("-kernel", arguments);
            Assert.DoesNotContain("-append", arguments);
            Assert.EndsWith("-netdev | user,id=n0 | -device | e1000,netdev=n0", arguments);

            Assert.EndsWith("-nic | none", Joined(QemuBackend.Arguments(Vm("off", M("cpu", 9)) with { Nic = "none" })));
        }

        [Fact]
        public void Qemu_serves_a_script_over_slirp_tftp_and_names_it_on_the_command_line()
        {
            VmSpec spec = Vm("script", M("dhcp", 9)) with { Script = "/srv/scripts/boot.ipxe" };

            Assert.Contains("-netdev | user,id=n0,tftp=/srv/scripts |", Joined(QemuBackend.Arguments(spec)));
            Assert.Equal("console=serial script=tftp://10.0.2.2/boot.ipxe", QemuBackend.CommandLine(spec));
            BackendException comma = Assert.Throws<BackendException>(() => QemuBackend.Arguments(spec with { Script = "/srv/a,b/boot.ipxe" }));
            Assert.Contains("contains a comma", comma.Message);
        }

        [LinuxFact]
        public void Qemu_is_available_where_qemu_system_x86_64_is_on_the_path()
        {
            // The image tests (and the end-to-end test here) need it on this machine.
            Assert.Null(new QemuBackend().Unavailable);
        }

        [Fact]
        public void HyperV_says_it_needs_windows_by_name_when_not_on_windows()
        {
            HyperVBackend backend = new HyperVBackend(onWindows: false);

            Assert.StartsWith("Hyper-V backend needs Windows", backend.Unavailable);
            BackendException error = Assert.Throws<BackendException>(() => backend.Start(Vm("hv", M("cpu", 9))));
            Assert.StartsWith("Hyper-V backend needs Windows", error.Message);
            if (!OperatingSystem.IsWindows())
            {
                Assert.StartsWith(HyperVBackend.NeedsWindows, new BackendFactory().Get("hyperv").Unavailable);
            }
        }

        [Fact]
        public void HyperV_on_windows_is_ready_when_its_script_was_copied_beside_the_tool()
        {
            Assert.Null(new HyperVBackend(onWindows: true).Unavailable);
            Assert.True(System.IO.File.Exists(HyperVBackend.ScriptPath), HyperVBackend.ScriptPath);
        }

        [Fact]
        public void HyperV_runs_the_recipe_script_with_the_vms_settings()
        {
            VmSpec iso = Vm("iso", M("dhcp", 30), M("san-mbr", 90)) with { Backend = "hyperv", Image = @"C:\images\bootstage.iso", Nic = "synthetic", Switch = "Lab", MemoryMiB = 512 };

            Assert.Equal(
                @"-NoProfile | -NonInteractive | -ExecutionPolicy | Bypass | -File | C:\vmtest\Start-BootstageVm.ps1 | -Name | bootstage-vmtest-iso"
                + @" | -SwitchName | Lab | -MemoryMiB | 512 | -TimeoutSeconds | 150 | -IsoPath | C:\images\bootstage.iso",
                Joined(HyperVBackend.Arguments(iso, @"C:\vmtest\Start-BootstageVm.ps1")));

            VmSpec pxe = Failing("pxe", M("san", 100), M("dhcp", 30)) with { Backend = "hyperv", Image = string.Empty, Nic = "legacy-pxe" };
            string arguments = Joined(HyperVBackend.Arguments(pxe, "s.ps1"));
            Assert.Contains("-SwitchName | Default Switch |", arguments);
            Assert.Contains("-TimeoutSeconds | 160 | -Pxe", arguments);
            Assert.DoesNotContain("-IsoPath", arguments);
        }

        [Fact]
        public void The_emulated_hyperv_machine_gets_the_images_out_folder_its_options_and_the_command_line_word_by_word()
        {
            VmSpec spec = Vm("emu", M("vmbus", 30), M("san-mbr", 100)) with
            {
                Backend = "hyperv-emulated",
                Image = "/repo/out/bootstage.bin",
                Nic = "synthetic",
                CommandLine = "console=serial  skip-san-boot",
                RootPath = "iscsi:10.0.2.2::3260:1:iqn.x:y",
                ExtraArguments = new[] { "--profile", "WS2019" },
            };

            Assert.Equal(
                "/m/HyperV.Machine.dll | --out | /repo/out | --timeout | 160 | --profile | WS2019 | -- | console=serial | skip-san-boot | root-path=iscsi:10.0.2.2::3260:1:iqn.x:y",
                Joined(EmulatedHyperVBackend.Arguments(spec, "/m/HyperV.Machine.dll")));
            BackendException renamed = Assert.Throws<BackendException>(() => EmulatedHyperVBackend.Arguments(spec with { Image = "/repo/out/other.bin" }, "/m/HyperV.Machine.dll"));
            Assert.Contains("loads bootstage.bin and native/bootstage.elf from an out/ folder", renamed.Message);
        }

        [Fact]
        public void The_emulated_hyperv_machine_says_by_name_when_it_has_not_been_built()
        {
            IVmBackend backend = new EmulatedHyperVBackend("/nonexistent/HyperV.Machine.dll");

            Assert.StartsWith("emulated Hyper-V machine backend (hyperv-emulated) is not available: build it with `dotnet build tests/HyperV.Machine -c Release`", backend.Unavailable);
            Assert.Throws<BackendException>(() => backend.Start(Vm("emu", M("cpu", 9))));
            Assert.Contains("BOOTSTAGE_HYPERV_MACHINE", new EmulatedHyperVBackend(null).Unavailable);
        }

        [Fact]
        public void The_factory_knows_the_backends_a_matrix_may_name()
        {
            BackendFactory factory = new BackendFactory();
            Assert.Equal(new[] { "qemu", "hyperv", "hyperv-emulated" }, new[] { "qemu", "hyperv", "hyperv-emulated" }.Select(n => factory.Get(n).Name));
            Assert.Throws<ArgumentException>(() => factory.Get("vmware"));
        }
    }
}
