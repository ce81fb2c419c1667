// Writes the run as JUnit XML, the format every CI server reads: one testsuite for the matrix, one
// testcase per VM (classname bootstage-vmtest.<backend>, name = the VM's id). A failed VM gets a
// <failure> whose message names the milestone it missed and whose body is the console's last
// lines; every VM's whole console goes to <system-out>. A VM that failed where the matrix said it
// would is a passing testcase. Consoles carry control characters (escape codes from firmware)
// that XML 1.0 cannot hold; they are replaced rather than letting the report become unreadable.
using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;
using Bootstage.VmTest.Running;

namespace Bootstage.VmTest.Reports
{
    public static class JUnitWriter
    {
        public static void Write(RunReport report, string path)
        {
            using FileStream stream = File.Create(path);
            Write(report, stream);
        }

        public static void Write(RunReport report, Stream stream)
        {
            XmlWriterSettings settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
            using XmlWriter xml = XmlWriter.Create(stream, settings);
            string tests = report.Results.Count.ToString(CultureInfo.InvariantCulture);
            string failures = report.Failed.ToString(CultureInfo.InvariantCulture);
            string time = Seconds(report.Duration);

            xml.WriteStartDocument();
            xml.WriteStartElement("testsuites");
            xml.WriteAttributeString("name", "bootstage-vmtest");
            xml.WriteAttributeString("tests", tests);
            xml.WriteAttributeString("failures", failures);
            xml.WriteAttributeString("errors", "0");
            xml.WriteAttributeString("time", time);

            xml.WriteStartElement("testsuite");
            xml.WriteAttributeString("name", Path.GetFileNameWithoutExtension(report.MatrixPath));
            xml.WriteAttributeString("tests", tests);
            xml.WriteAttributeString("failures", failures);
            xml.WriteAttributeString("errors", "0");
            xml.WriteAttributeString("skipped", "0");
            xml.WriteAttributeString("time", time);
            xml.WriteAttributeString("timestamp", report.Started.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));

            foreach (VmResult result in report.Results)
            {
                xml.WriteStartElement("testcase");
                xml.WriteAttributeString("classname", "bootstage-vmtest." + result.Backend);
                xml.WriteAttributeString("name", result.Id);
                xml.WriteAttributeString("time", Seconds(result.Duration));
                if (!result.Passed)
                {
                    xml.WriteStartElement("failure");
                    xml.WriteAttributeString("message", XmlSafe(result.FailureMessage ?? "failed"));
                    xml.WriteAttributeString("type", "VmBootFailure");
                    xml.WriteString(XmlSafe("last serial lines:\n" + string.Join("\n", result.LastLines)));
                    xml.WriteEndElement();
                }

                xml.WriteElementString("system-out", XmlSafe(Timings(result) + result.Serial));
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        /// <summary>Replaces characters XML 1.0 forbids (most C0 controls, lone surrogates) with U+FFFD.</summary>
        public static string XmlSafe(string text)
        {
            if (text.All(XmlConvert.IsXmlChar))
            {
                return text;
            }

            StringBuilder safe = new StringBuilder(text.Length);
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    safe.Append(c).Append(text[++i]);
                }
                else
                {
                    safe.Append(XmlConvert.IsXmlChar(c) ? c : '\uFFFD');
                }
            }

            return safe.ToString();
        }

        private static string Timings(VmResult result)
        {
            StringBuilder text = new StringBuilder("milestones (seconds since VM start):\n");
            foreach (Following.MilestoneTiming timing in result.Timings)
            {
                text.Append($"  {Seconds(timing.At),8} {timing.Name}{(timing.Expected ? " (expected)" : string.Empty)}\n");
            }

            return text.Append("console:\n").ToString();
        }

        private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
    }
}
