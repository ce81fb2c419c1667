// The reporters: JUnit XML (one testcase per VM, the failure naming the missed milestone with the
// last console lines), the JSON summary and the HTML summary, all from one made-up run.
using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Xml.Linq;
using Bootstage.VmTest.Following;
using Bootstage.VmTest.Reports;
using Bootstage.VmTest.Running;

namespace Bootstage.VmTest.Tests
{
    public class ReportTests
    {
        private static readonly RunReport Run = new RunReport("/nightly/matrix.json", new DateTimeOffset(2026, 12, 3, 2, 0, 0, TimeSpan.Zero), TimeSpan.FromSeconds(42.5), new[]
        {
            new VmResult
            {
                Id = "san-mbr", Backend = "qemu", Passed = true, ExpectedFailure = false, Duration = TimeSpan.FromSeconds(3.25), ExitCode = 137,
                Timings = new[]
                {
                    new MilestoneTiming("cpu", TimeSpan.FromSeconds(0.5), "@milestone name=cpu vendor=AuthenticAMD", false),
                    new MilestoneTiming("san-mbr", TimeSpan.FromSeconds(3.25), "@milestone name=san-mbr sig=aa55 crc32=<x>", true),
                },
                LastLines = new[] { "@milestone name=san-mbr sig=aa55" }, Serial = "@milestone name=san-mbr sig=aa55\n",
            },
            new VmResult
            {
                Id = "wrong-secret", Backend = "qemu", Passed = true, ExpectedFailure = true, Duration = TimeSpan.FromSeconds(4),
                Timings = new[] { new MilestoneTiming("san", TimeSpan.FromSeconds(4), "@milestone name=san status=failed reason=authentication failed", true) },
                LastLines = Array.Empty<string>(), Serial = string.Empty,
            },
            new VmResult
            {
                Id = "slow", Backend = "hyperv", Passed = false, ExpectedFailure = false, Duration = TimeSpan.FromSeconds(60),
                FailureMessage = "missed milestone dhcp: deadline 60.0 s passed (last reached: cpu at 1.0 s)",
                Timings = new[] { new MilestoneTiming("cpu", TimeSpan.FromSeconds(1), "@milestone name=cpu", true) },
                LastLines = new[] { "@milestone name=cpu", "info: virtio-net \u001b[1mlink down\u0000" }, Serial = "@milestone name=cpu\ninfo: \u001b[1m\n",
            },
        });

        [Fact]
        public void JUnit_has_one_testcase_per_vm_and_a_failure_naming_the_missed_milestone()
        {
            using MemoryStream stream = new MemoryStream();
            JUnitWriter.Write(Run, stream);
            stream.Position = 0;
            XDocument xml = XDocument.Load(stream);

            XElement suites = xml.Root!;
            Assert.Equal("testsuites", suites.Name.LocalName);
            Assert.Equal("3", suites.Attribute("tests")!.Value);
            Assert.Equal("1", suites.Attribute("failures")!.Value);
            XElement suite = suites.Element("testsuite")!;
            Assert.Equal("matrix", suite.Attribute("name")!.Value);
            Assert.Equal("42.500", suite.Attribute("time")!.Value);
            Assert.Equal("2026-12-03T02:00:00", suite.Attribute("timestamp")!.Value);

            XElement[] cases = suite.Elements("testcase").ToArray();
            Assert.Equal(new[] { "san-mbr", "wrong-secret", "slow" }, cases.Select(c => c.Attribute("name")!.Value));
            Assert.Equal(new[] { "bootstage-vmtest.qemu", "bootstage-vmtest.qemu", "bootstage-vmtest.hyperv" }, cases.Select(c => c.Attribute("classname")!.Value));
            Assert.Equal("3.250", cases[0].Attribute("time")!.Value);
            Assert.Null(cases[0].Element("failure"));
            Assert.Null(cases[1].Element("failure"));

            XElement failure = cases[2].Element("failure")!;
            Assert.Equal("missed milestone dhcp: deadline 60.0 s passed (last reached: cpu at 1.0 s)", failure.Attribute("message")!.Value);
            Assert.Contains("last serial lines:\n@milestone name=cpu\ninfo: virtio-net \uFFFD[1mlink down\uFFFD", failure.Value);

            string output = cases[0].Element("system-out")!.Value;
            Assert.Contains("   3.250 san-mbr (expected)", output);
            Assert.Contains("   0.500 cpu\n", output);
            Assert.EndsWith("console:\n@milestone name=san-mbr sig=aa55\n", output);
        }

        [Fact]
        public void XmlSafe_keeps_text_and_surrogate_pairs_and_replaces_what_xml_forbids()
        {
            Assert.Equal("plain \t text\n", JUnitWriter.XmlSafe("plain \t text\n"));
            Assert.Equal("\uFFFD[0m \U0001F600 \uFFFD", JUnitWriter.XmlSafe("\u001b[0m \U0001F600 \uD800"));
        }

        [Fact]
        public void The_json_summary_has_totals_and_per_milestone_timings()
        {
            using MemoryStream stream = new MemoryStream();
            JsonSummaryWriter.Write(Run, stream);
            using JsonDocument json = JsonDocument.Parse(stream.ToArray());
            JsonElement root = json.RootElement;

            Assert.Equal("/nightly/matrix.json", root.GetProperty("matrix").GetString());
            Assert.Equal(3, root.GetProperty("total").GetInt32());
            Assert.Equal(2, root.GetProperty("passed").GetInt32());
            Assert.Equal(1, root.GetProperty("failed").GetInt32());
            Assert.Equal(42.5, root.GetProperty("durationSeconds").GetDouble());

            JsonElement[] vms = root.GetProperty("vms").EnumerateArray().ToArray();
            Assert.Equal("passed", vms[0].GetProperty("result").GetString());
            Assert.Equal(137, vms[0].GetProperty("exitCode").GetInt32());
            Assert.Equal(JsonValueKind.Null, vms[0].GetProperty("failure").ValueKind);
            JsonElement mbr = vms[0].GetProperty("milestones")[1];
            Assert.Equal("san-mbr", mbr.GetProperty("name").GetString());
            Assert.Equal(3.25, mbr.GetProperty("seconds").GetDouble());
            Assert.True(mbr.GetProperty("expected").GetBoolean());

            Assert.True(vms[1].GetProperty("expectedFailure").GetBoolean());
            Assert.Equal("failed", vms[2].GetProperty("result").GetString());
            Assert.StartsWith("missed milestone dhcp", vms[2].GetProperty("failure").GetString());
            Assert.Equal(JsonValueKind.Null, vms[2].GetProperty("exitCode").ValueKind);
            Assert.Equal(2, vms[2].GetProperty("lastLines").GetArrayLength());
        }

        [Fact]
        public void The_html_summary_lists_the_vms_their_milestone_timings_and_encodes_console_text()
        {
            string html = HtmlSummaryWriter.Render(Run);

            Assert.StartsWith("<!DOCTYPE html>", html);
            Assert.Contains("2 passed, 1 failed", html);
            Assert.Contains("<a href=\"#vm-san-mbr\">san-mbr</a>", html);
            Assert.Contains("passed (failed as expected)", html);
            Assert.Contains("<td>san-mbr</td><td>3.250</td>", html);
            Assert.Contains("missed milestone dhcp: deadline 60.0 s passed", html);
            Assert.Contains("crc32=&lt;x&gt;", html);
            Assert.DoesNotContain("crc32=<x>", html);
            Assert.Contains("<span class=\"bar\" style=\"width:300px\">", html);
        }
    }
}
