// End to end through the hyperv-emulated backend: the built bootstage-vmtest runs out/bootstage.bin
// in the emulated Hyper-V machine (tests/HyperV.Machine, built with this project and named through
// BOOTSTAGE_HYPERV_MACHINE) and follows it over VMBus and netvsc to a DHCP lease and a clean end.
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Bootstage.VmTest.Backends;

namespace Bootstage.VmTest.Tests
{
    public class EmulatedMachineMatrixTests
    {
        private static readonly TimeSpan ToolDeadline = TimeSpan.FromMinutes(10);

        [LinuxFact]
        public void The_tool_follows_the_image_in_the_emulated_hyperv_machine_over_vmbus_to_dhcp()
        {
            using ScratchFolder folder = new ScratchFolder();
            string image = Repository.OutFile("bootstage.bin");
            File.WriteAllText(folder.File("emulated.json"), $$"""
                { "vms": [ { "id": "ws2016", "backend": "hyperv-emulated", "image": "{{image}}", "extraArgs": ["--profile", "WS2016"],
                    "milestones": [
                      { "name": "vmbus", "match": "^version=0x[0-9a-f]+ offers=1$", "deadline": 240 },
                      { "name": "netvsc", "match": "^devices=1$", "deadline": 240 },
                      { "name": "dhcp", "match": "^ip=10\\.0\\.2\\.15 ", "deadline": 300 },
                      { "name": "done", "match": "^status=0 ", "deadline": 300 } ] } ] }
                """);

            ProcessStartInfo start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.Environment[EmulatedHyperVBackend.MachineVariable] = Path.Combine(AppContext.BaseDirectory, "HyperV.Machine.dll");
            foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "bootstage-vmtest.dll"), folder.File("emulated.json"), "--junit", folder.File("j.xml") })
            {
                start.ArgumentList.Add(argument);
            }

            using Process tool = Process.Start(start)!;
            System.Threading.Tasks.Task<string> output = tool.StandardOutput.ReadToEndAsync();
            System.Threading.Tasks.Task<string> error = tool.StandardError.ReadToEndAsync();
            if (!tool.WaitForExit(ToolDeadline))
            {
                tool.Kill(entireProcessTree: true);
            }

            tool.WaitForExit();
            string log = output.Result + error.Result;
            XElement testcase = XDocument.Load(folder.File("j.xml")).Root!.Element("testsuite")!.Elements("testcase").Single();
            Assert.True(testcase.Element("failure") == null, log);
            Assert.Equal("bootstage-vmtest.hyperv-emulated", testcase.Attribute("classname")!.Value);
            Assert.Contains("@milestone name=vmbus version=", testcase.Element("system-out")!.Value);
            Assert.Equal(0, tool.ExitCode);
        }
    }
}
