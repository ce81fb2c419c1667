// Writes the run as a JSON summary for dashboards and trend scripts: totals, and per VM its
// verdict, why it failed, and every milestone with its time since VM start (so a nightly job can
// plot how long DHCP or the iSCSI login took from one night to the next). Field names are part of
// the documented format (docs/vmtest.md).
using System;
using System.IO;
using System.Text.Json;
using Bootstage.VmTest.Following;
using Bootstage.VmTest.Running;

namespace Bootstage.VmTest.Reports
{
    public static class JsonSummaryWriter
    {
        public static void Write(RunReport report, string path)
        {
            using FileStream stream = File.Create(path);
            Write(report, stream);
        }

        public static void Write(RunReport report, Stream stream)
        {
            using Utf8JsonWriter json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteString("matrix", report.MatrixPath);
            json.WriteString("started", report.Started);
            json.WriteNumber("durationSeconds", Seconds(report.Duration));
            json.WriteNumber("total", report.Results.Count);
            json.WriteNumber("passed", report.Results.Count - report.Failed);
            json.WriteNumber("failed", report.Failed);
            json.WriteStartArray("vms");
            foreach (VmResult result in report.Results)
            {
                json.WriteStartObject();
                json.WriteString("id", result.Id);
                json.WriteString("backend", result.Backend);
                json.WriteString("result", result.Passed ? "passed" : "failed");
                json.WriteBoolean("expectedFailure", result.ExpectedFailure);
                if (result.FailureMessage != null)
                {
                    json.WriteString("failure", result.FailureMessage);
                }
                else
                {
                    json.WriteNull("failure");
                }

                json.WriteNumber("durationSeconds", Seconds(result.Duration));
                if (result.ExitCode.HasValue)
                {
                    json.WriteNumber("exitCode", result.ExitCode.Value);
                }
                else
                {
                    json.WriteNull("exitCode");
                }

                json.WriteStartArray("milestones");
                foreach (MilestoneTiming timing in result.Timings)
                {
                    json.WriteStartObject();
                    json.WriteString("name", timing.Name);
                    json.WriteNumber("seconds", Seconds(timing.At));
                    json.WriteBoolean("expected", timing.Expected);
                    json.WriteString("line", timing.Line);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteStartArray("lastLines");
                foreach (string line in result.LastLines)
                {
                    json.WriteStringValue(line);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        private static double Seconds(TimeSpan time) => Math.Round(time.TotalSeconds, 3);
    }
}
