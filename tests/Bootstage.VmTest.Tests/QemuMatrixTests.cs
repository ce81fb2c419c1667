// End to end: the built bootstage-vmtest runs a matrix of three QEMU guests of out/bootstage.bin
// against a tgtd this test starts on loopback (10.0.2.2 to the guests): a SAN boot without
// authentication that must reach san-mbr with the LUN's own MBR checksum, one with CHAP, and one
// with a wrong CHAP secret that the matrix expects to fail at the san milestone. The test parses
// the JUnit XML the tool wrote: three testcases, no failure. The tool runs as its own process, as a
// nightly job would run it; the test waits for it to exit, with a deadline only as a hang guard.
using System;
using System.Diagnostics;
using System.IO;
using System.IO.Hashing;
using System.Linq;
using System.Text.Json;
using System.Xml.Linq;
using Bootstage.Iscsi.Peers;

namespace Bootstage.VmTest.Tests
{
    public sealed class QemuMatrixTests : IDisposable
    {
        private const string OpenIqn = "iqn.2026-12.org.bootstage.vmtest:open";
        private const string ChapIqn = "iqn.2026-12.org.bootstage.vmtest:chap";
        private const string User = "vmtestuser";
        private const string Secret = "vmtestsecret12";

        /// <summary>Hang guard for the whole tool run (three TCG guests, two at a time, on a shared machine).</summary>
        private static readonly TimeSpan ToolDeadline = TimeSpan.FromMinutes(15);

        private readonly ScratchFolder _folder = new ScratchFolder();
        private readonly TgtdTarget _target;
        private readonly uint _mbrCrc;

        public QemuMatrixTests()
        {
            string disk = _folder.File("disk.img");
            TgtdTarget.CreateBackingFile(disk, 4 << 20, seed: 77);
            byte[] mbr = new byte[512];
            new Random(77).NextBytes(mbr);
            mbr[510] = 0x55;
            mbr[511] = 0xAA;
            TgtdTarget.WriteAt(disk, 0, mbr);
            _mbrCrc = Crc32.HashToUInt32(mbr);

            // One tgtd, two targets over the same file: one open to anyone, one behind CHAP.
            _target = TgtdTarget.Start(_folder.File("tgtd"));
            _target.AddTarget(1, OpenIqn);
            _target.AddLun(1, 1, disk);
            _target.BindAll(1);
            _target.AddTarget(2, ChapIqn);
            _target.AddLun(2, 1, disk);
            _target.BindAll(2);
            _target.AddAccount(User, Secret);
            _target.BindAccount(2, User);
        }

        public void Dispose()
        {
            _target.Dispose();
            _folder.Dispose();
        }

        [LinuxFact]
        public void The_tool_boots_three_vms_against_tgtd_and_writes_junit_with_the_wrong_secret_expected_to_fail()
        {
            string image = Repository.OutFile("bootstage.bin");
            string matrix = _folder.File("nightly.json");
            File.WriteAllText(matrix, Matrix(image));
            string junit = _folder.File("junit.xml");
            string summary = _folder.File("summary.json");
            string html = _folder.File("summary.html");

            (int exitCode, string output) = RunTool(matrix, "--parallel", "2", "--junit", junit, "--summary", summary, "--html", html);

            Assert.True(File.Exists(junit), output);
            XElement suite = XDocument.Load(junit).Root!.Element("testsuite")!;
            XElement[] cases = suite.Elements("testcase").ToArray();
            Assert.Equal(new[] { "san-mbr", "chap", "wrong-secret" }, cases.Select(c => c.Attribute("name")!.Value));
            Assert.True(cases.All(c => c.Element("failure") == null), output);
            Assert.Equal("3", suite.Attribute("tests")!.Value);
            Assert.Equal("0", suite.Attribute("failures")!.Value);
            Assert.Equal(0, exitCode);

            Assert.Contains($"@milestone name=san-mbr sig=aa55 crc32={_mbrCrc:x8}", cases[1].Element("system-out")!.Value);
            Assert.Contains("@milestone name=san status=failed reason=authentication failed", cases[2].Element("system-out")!.Value);
            Assert.Contains("[wrong-secret] PASS (failed as expected)", output);
            Assert.Contains("3 VM(s): 3 passed, 0 failed", output);

            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(summary));
            JsonElement sanMbr = json.RootElement.GetProperty("vms")[0].GetProperty("milestones").EnumerateArray()
                .Single(m => m.GetProperty("name").GetString() == "san-mbr");
            Assert.True(sanMbr.GetProperty("expected").GetBoolean());
            Assert.InRange(sanMbr.GetProperty("seconds").GetDouble(), 0.001, ToolDeadline.TotalSeconds);
            Assert.Contains("3 passed, 0 failed", File.ReadAllText(html));
        }

        private string Matrix(string image)
        {
            // Deadlines here are hang guards: TCG on a shared two-core machine is slow and uneven.
            string root = $"iscsi:10.0.2.2::{_target.Port}:1:";
            return $$"""
                {
                  "defaults": { "image": "{{image}}", "nic": "virtio-net" },
                  "vms": [
                    { "id": "san-mbr", "cmdline": "console=serial skip-san-boot", "rootPath": "{{root}}{{OpenIqn}}",
                      "milestones": [
                        { "name": "dhcp", "match": "^ip=10\\.0\\.2\\.15 ", "deadline": 240 },
                        { "name": "san-open", "deadline": 300 },
                        { "name": "san-mbr", "match": "^sig=aa55 crc32={{_mbrCrc:x8}}$", "deadline": 300 } ] },
                    { "id": "chap", "cmdline": "console=serial skip-san-boot username={{User}} password={{Secret}}", "rootPath": "{{root}}{{ChapIqn}}",
                      "milestones": [ { "name": "dhcp", "deadline": 240 }, { "name": "san-mbr", "match": "^sig=aa55 ", "deadline": 300 } ] },
                    { "id": "wrong-secret", "cmdline": "console=serial skip-san-boot username={{User}} password=not-the-secret", "rootPath": "{{root}}{{ChapIqn}}",
                      "milestones": [ { "name": "dhcp", "deadline": 240 } ],
                      "expect": "fail",
                      "failure": { "name": "san", "match": "status=failed reason=authentication failed", "deadline": 300 } }
                  ]
                }
                """;
        }

        private static (int ExitCode, string Output) RunTool(params string[] arguments)
        {
            ProcessStartInfo start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "bootstage-vmtest.dll"));
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using Process tool = Process.Start(start)!;
            System.Threading.Tasks.Task<string> output = tool.StandardOutput.ReadToEndAsync();
            System.Threading.Tasks.Task<string> error = tool.StandardError.ReadToEndAsync();
            if (!tool.WaitForExit(ToolDeadline))
            {
                tool.Kill(entireProcessTree: true);
                tool.WaitForExit();
            }

            return (tool.ExitCode, output.Result + error.Result);
        }
    }
}
