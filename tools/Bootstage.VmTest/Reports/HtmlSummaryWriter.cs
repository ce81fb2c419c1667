// Writes the run as one self-contained HTML page (no scripts, no external files, so a CI server
// can archive it as an artifact): a table of the VMs with their verdicts, then per VM its
// milestones with their times since VM start and a bar scaled to the slowest VM, and for a failed
// VM the reason and the console's last lines. Everything from the console is HTML-encoded.
using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using Bootstage.VmTest.Following;
using Bootstage.VmTest.Running;

namespace Bootstage.VmTest.Reports
{
    public static class HtmlSummaryWriter
    {
        private const string Style =
            "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:1em}"
            + "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}"
            + ".passed{color:#060}.failed{color:#a00;font-weight:bold}.other{color:#888}"
            + ".bar{background:#69c;height:0.8em;display:inline-block}pre{background:#f4f4f4;padding:0.5em;overflow-x:auto}";

        public static void Write(RunReport report, string path) => File.WriteAllText(path, Render(report), new UTF8Encoding(false));

        public static string Render(RunReport report)
        {
            StringBuilder html = new StringBuilder();
            html.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>bootstage-vmtest: ")
                .Append(Encode(Path.GetFileName(report.MatrixPath))).Append("</title><style>").Append(Style).Append("</style></head><body>\n");
            html.Append("<h1>VM boot tests</h1>\n<p>")
                .Append(Encode(report.MatrixPath)).Append(", started ")
                .Append(report.Started.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture))
                .Append(", ").Append(Seconds(report.Duration)).Append(": ")
                .Append(report.Results.Count - report.Failed).Append(" passed, ").Append(report.Failed).Append(" failed</p>\n");

            html.Append("<table><tr><th>VM</th><th>backend</th><th>result</th><th>time</th><th>milestones</th></tr>\n");
            foreach (VmResult result in report.Results)
            {
                html.Append("<tr><td><a href=\"#vm-").Append(Encode(result.Id)).Append("\">").Append(Encode(result.Id)).Append("</a></td><td>")
                    .Append(Encode(result.Backend)).Append("</td><td>").Append(Verdict(result)).Append("</td><td>")
                    .Append(Seconds(result.Duration)).Append("</td><td>").Append(result.Timings.Count(t => t.Expected)).Append(" expected, ")
                    .Append(result.Timings.Count).Append(" seen</td></tr>\n");
            }

            html.Append("</table>\n");
            double longest = report.Results.SelectMany(r => r.Timings).Select(t => t.At.TotalSeconds).DefaultIfEmpty(0).Max();
            foreach (VmResult result in report.Results)
            {
                AppendVm(html, result, longest);
            }

            return html.Append("</body></html>\n").ToString();
        }

        private static void AppendVm(StringBuilder html, VmResult result, double longest)
        {
            html.Append("<h2 id=\"vm-").Append(Encode(result.Id)).Append("\">").Append(Encode(result.Id)).Append(" ").Append(Verdict(result)).Append("</h2>\n");
            if (!result.Passed)
            {
                html.Append("<p class=\"failed\">").Append(Encode(result.FailureMessage ?? "failed")).Append("</p>\n");
            }

            if (result.Timings.Count > 0)
            {
                html.Append("<table><tr><th>milestone</th><th>seconds</th><th></th><th>line</th></tr>\n");
                foreach (MilestoneTiming timing in result.Timings)
                {
                    int width = longest <= 0 ? 0 : (int)Math.Round(300 * timing.At.TotalSeconds / longest);
                    html.Append("<tr class=\"").Append(timing.Expected ? "expected" : "other").Append("\"><td>").Append(Encode(timing.Name))
                        .Append("</td><td>").Append(timing.At.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture))
                        .Append("</td><td><span class=\"bar\" style=\"width:").Append(width).Append("px\"></span></td><td><code>")
                        .Append(Encode(timing.Line)).Append("</code></td></tr>\n");
                }

                html.Append("</table>\n");
            }

            if (!result.Passed && result.LastLines.Count > 0)
            {
                html.Append("<p>Last serial lines:</p><pre>").Append(Encode(string.Join("\n", result.LastLines))).Append("</pre>\n");
            }
        }

        private static string Verdict(VmResult result)
        {
            if (!result.Passed)
            {
                return "<span class=\"failed\">failed</span>";
            }

            return result.ExpectedFailure ? "<span class=\"passed\">passed (failed as expected)</span>" : "<span class=\"passed\">passed</span>";
        }

        private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

        private static string Encode(string text) => WebUtility.HtmlEncode(text);
    }
}
