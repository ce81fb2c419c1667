// The matrix parser: a valid matrix becomes VmSpecs (defaults applied, paths resolved against the
// matrix's folder), and each kind of mistake is refused with a message naming the VM and field.
using System;
using System.IO;
using System.Linq;
using Bootstage.VmTest.Matrix;

namespace Bootstage.VmTest.Tests
{
    public class MatrixParserTests : IDisposable
    {
        private readonly ScratchFolder _folder = new ScratchFolder();

        public void Dispose() => _folder.Dispose();

        [Fact]
        public void A_full_matrix_is_read_with_defaults_and_relative_paths()
        {
            TestMatrix matrix = _folder.Parse(@"{
                // matrices are edited by hand: comments and trailing commas are fine
                ""defaults"": { ""image"": ""bootstage.bin"", ""cmdline"": ""console=serial skip-san-boot"", },
                ""vms"": [
                  { ""id"": ""san"", ""rootPath"": ""iscsi:10.0.2.2::3260:1:iqn.x:y"", ""memoryMiB"": 512,
                    ""extraArgs"": [""-smbios"", ""type=1,uuid=6a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9""],
                    ""milestones"": [ { ""name"": ""dhcp"", ""deadline"": 30 }, { ""name"": ""san-mbr"", ""match"": ""sig=aa55"", ""deadline"": 60.5 } ] },
                  { ""id"": ""bad-secret"", ""expect"": ""fail"", ""script"": ""boot.ipxe"",
                    ""milestones"": [ { ""name"": ""dhcp"", ""deadline"": 30 } ],
                    ""failure"": { ""name"": ""san"", ""match"": ""authentication failed"", ""deadline"": 60 } },
                  { ""id"": ""iso"", ""image"": ""bootstage.iso"", ""cmdline"": null, ""milestones"": [ { ""name"": ""done"", ""deadline"": 90 } ] },
                ]
            }");

            Assert.Equal(new[] { "san", "bad-secret", "iso" }, matrix.Vms.Select(v => v.Id));
            VmSpec san = matrix.Vms[0];
            Assert.Equal("qemu", san.Backend);
            Assert.Equal("virtio-net", san.Nic);
            Assert.Equal(_folder.File("bootstage.bin"), san.Image);
            Assert.Equal("console=serial skip-san-boot root-path=iscsi:10.0.2.2::3260:1:iqn.x:y", san.FullCommandLine);
            Assert.Equal(512, san.MemoryMiB);
            Assert.Equal(new[] { "-smbios", "type=1,uuid=6a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9" }, san.ExtraArguments);
            Assert.Equal(TimeSpan.FromSeconds(60.5), san.Milestones[1].Deadline);
            Assert.Matches(san.Milestones[1].Match!, "sig=aa55 crc32=1234");
            Assert.Equal(Expectation.Pass, san.Expect);

            VmSpec bad = matrix.Vms[1];
            Assert.Equal(Expectation.Fail, bad.Expect);
            Assert.Equal("san", bad.Failure!.Name);
            Assert.Equal(_folder.File("boot.ipxe"), bad.Script);

            Assert.True(matrix.Vms[2].ImageIsIso);
            Assert.Equal(MatrixParser.DefaultCommandLine, matrix.Vms[2].CommandLine);
        }

        [Fact]
        public void Load_resolves_paths_against_the_matrix_file_and_names_a_missing_file()
        {
            string path = _folder.File("nightly.json");
            File.WriteAllText(path, @"{ ""vms"": [ { ""id"": ""a"", ""image"": ""bootstage.bin"", ""milestones"": [ { ""name"": ""dhcp"", ""deadline"": 5 } ] } ] }");
            string elsewhere = Directory.GetCurrentDirectory();
            Assert.Equal(_folder.File("bootstage.bin"), MatrixParser.Load(path).Vms[0].Image);
            Assert.Equal(Path.GetFullPath(path), MatrixParser.Load(path).Path);
            Assert.Equal(elsewhere, Directory.GetCurrentDirectory());

            MatrixException missing = Assert.Throws<MatrixException>(() => MatrixParser.Load(_folder.File("nope.json")));
            Assert.Contains("nope.json: the matrix file does not exist", missing.Message);
        }

        [Theory]
        [InlineData("{ \"vms\": [ }", "m.json: not valid JSON at line 1")]
        [InlineData("[]", "must be a JSON object with a \"vms\" array")]
        [InlineData("{ \"vms\": [] }", "\"vms\" must be a non-empty array")]
        [InlineData("{ \"vm\": [] }", "unknown top-level field \"vm\"")]
        [InlineData("{ \"defaults\": { \"id\": \"x\" }, \"vms\": [ {} ] }", "defaults: \"id\" belongs to each VM")]
        [InlineData("{ \"vms\": [ { \"image\": \"bootstage.bin\" } ] }", "vms[0]: \"id\" is required")]
        [InlineData("{ \"vms\": [ { \"id\": \"a b\" } ] }", "id \"a b\" may only use letters")]
        [InlineData("{ \"vms\": [ { \"id\": 7 } ] }", "vms[0]: \"id\" must be a string, not the number 7")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"rootpath\": \"x\" } ] }", "vms[0]: unknown field \"rootpath\"; did you mean \"rootPath\"?")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"colour\": \"x\" } ] }", "unknown field \"colour\" (known: id, backend")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"backend\": \"vmware\" } ] }", "vms[0] (id \"a\"): unknown backend \"vmware\" (known: qemu, hyperv, hyperv-emulated)")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"nic\": \"synthetic\" } ] }", "the qemu backend has no NIC \"synthetic\" (known: virtio-net, e1000, rtl8139, none)")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\" } ] }", "(id \"a\"): \"image\" is required")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"missing.bin\" } ] }", "missing.bin does not exist (build the images with ./build.sh image)")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"script\": \"missing.ipxe\" } ] }", "missing.ipxe does not exist")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\" } ] }", "\"milestones\" must list at least one milestone")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"milestones\": {} } ] }", "\"milestones\" must be an array")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"milestones\": [ \"dhcp\" ] } ] }", "milestones[0]: a milestone is an object")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"milestones\": [ { \"deadline\": 3 } ] } ] }", "milestones[0]: \"name\" is required")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"milestones\": [ { \"name\": \"dhcp\" } ] } ] }", "milestones[0] (dhcp): \"deadline\" is required (seconds since VM start)")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": \"30\" } ] } ] }", "(dhcp): \"deadline\" must be a number of seconds")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 0 } ] } ] }", "(dhcp): \"deadline\" must be a number of seconds in (0, 86400]")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"milestones\": [ { \"name\": \"san mbr\", \"deadline\": 3 } ] } ] }", "milestone name \"san mbr\" cannot contain spaces")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3, \"match\": \"(\" } ] } ] }", "(dhcp): \"match\" is not a valid regular expression")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3, \"timeout\": 3 } ] } ] }", "milestones[0]: unknown field \"timeout\"")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 30 }, { \"name\": \"san-mbr\", \"deadline\": 10 } ] } ] }",
            "milestones[1] (san-mbr): deadline 10 s is earlier than dhcp's 30 s; deadlines count from VM start")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"expect\": \"maybe\", \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3 } ] } ] }", "\"expect\" is \"pass\" or \"fail\", not \"maybe\"")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"expect\": \"fail\", \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3 } ] } ] }", "\"expect\": \"fail\" needs a \"failure\" milestone")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"failure\": { \"name\": \"san\", \"deadline\": 3 }, \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3 } ] } ] }", "\"failure\" only makes sense with \"expect\": \"fail\"")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"expect\": \"fail\", \"failure\": { \"name\": \"san\", \"deadline\": 3 }, \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 30 } ] } ] }", "the failure's deadline 3 s is earlier than the last milestone's (30 s)")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.iso\", \"rootPath\": \"iscsi:h::::t\", \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3 } ] } ] }", "cmdline, rootPath and script need the Multiboot image")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"cmdline\": \"root-path=x\", \"rootPath\": \"y\", \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3 } ] } ] }", "give the root path once")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"nic\": \"none\", \"script\": \"boot.ipxe\", \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3 } ] } ] }", "a script is fetched over the network (TFTP), so it needs a NIC")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"backend\": \"hyperv\", \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3 } ] } ] }", "a Hyper-V Generation 1 VM boots the ISO")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.iso\", \"backend\": \"hyperv-emulated\", \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3 } ] } ] }", "the emulated Hyper-V machine loads the Multiboot image")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"switch\": \"LAN\", \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3 } ] } ] }", "\"switch\" is a Hyper-V setting")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.iso\", \"backend\": \"hyperv\", \"extraArgs\": [\"-x\"], \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3 } ] } ] }", "\"extraArgs\" are QEMU's or the emulated machine's arguments; the hyperv backend takes none")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"backend\": \"hyperv-emulated\", \"script\": \"boot.ipxe\", \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3 } ] } ] }", "a script is served by QEMU's TFTP server; the hyperv-emulated backend cannot serve one")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"extraArgs\": [1], \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3 } ] } ] }", "\"extraArgs\" must be an array of strings")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"memoryMiB\": 16, \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3 } ] } ] }", "memoryMiB 16 is outside 64..65536")]
        [InlineData("{ \"vms\": [ { \"id\": \"a\", \"image\": \"bootstage.bin\", \"memoryMiB\": 1.5, \"milestones\": [ { \"name\": \"dhcp\", \"deadline\": 3 } ] } ] }", "\"memoryMiB\" must be a whole number, not the number 1.5")]
        public void A_mistake_is_refused_with_a_message_that_names_it(string json, string expected)
        {
            MatrixException error = Assert.Throws<MatrixException>(() => _folder.Parse(json));
            Assert.Contains(expected, error.Message);
            Assert.StartsWith("m.json: ", error.Message);
        }

        [Fact]
        public void Two_vms_with_one_id_are_refused()
        {
            MatrixException error = Assert.Throws<MatrixException>(() => _folder.Parse(@"{ ""defaults"": { ""image"": ""bootstage.bin"", ""milestones"": [ { ""name"": ""cpu"", ""deadline"": 9 } ] },
                ""vms"": [ { ""id"": ""twin"" }, { ""id"": ""twin"" } ] }"));
            Assert.Equal("m.json: vms[1]: the id \"twin\" is used twice; ids name the test cases and must be unique", error.Message);
        }

        [Fact]
        public void A_hyperv_vm_boots_the_iso_or_pxe_and_an_expected_failure_needs_no_milestones_before_it()
        {
            TestMatrix matrix = _folder.Parse(@"{ ""vms"": [
                { ""id"": ""iso"", ""backend"": ""hyperv"", ""image"": ""bootstage.iso"", ""switch"": ""Lab"", ""milestones"": [ { ""name"": ""dhcp"", ""deadline"": 60 } ] },
                { ""id"": ""pxe"", ""backend"": ""hyperv"", ""nic"": ""legacy-pxe"", ""expect"": ""fail"", ""failure"": { ""name"": ""san"", ""deadline"": 90 } } ] }");

            Assert.Equal("synthetic", matrix.Vms[0].Nic);
            Assert.Equal("Lab", matrix.Vms[0].Switch);
            Assert.Equal(string.Empty, matrix.Vms[1].Image);
            Assert.Empty(matrix.Vms[1].Milestones);
        }
    }
}
