// One `@milestone name=<n> key=value ...` line from a VM's serial console. The image prints them
// for machines to read; anything else on the console (info: lines, a loader's banner) is text for
// people and only kept as context for failure reports.
using System;

namespace Bootstage.VmTest.Following
{
    public sealed record MilestoneLine(string Name, string Text)
    {
        private const string Marker = "@milestone ";

        /// <summary>True when the milestone reports a failure (status=failed), whatever its name.</summary>
        public bool IsFailure => Text.Contains(" status=failed", StringComparison.Ordinal);

        /// <summary>The text after the name, the part a matrix's "match" pattern is tried on.</summary>
        public string Details
        {
            get
            {
                int nameEnd = Text.IndexOf("name=" + Name, StringComparison.Ordinal) + 5 + Name.Length;
                return Text.Substring(nameEnd).TrimStart();
            }
        }

        /// <summary>Finds the marker anywhere in the line: a serial console can glue a previous
        /// program's unterminated output in front of it.</summary>
        public static MilestoneLine? TryParse(string line)
        {
            int start = line.IndexOf(Marker, StringComparison.Ordinal);
            if (start < 0)
            {
                return null;
            }

            string text = line.Substring(start).TrimEnd('\r', '\n', ' ');
            const string namePrefix = Marker + "name=";
            if (!text.StartsWith(namePrefix, StringComparison.Ordinal))
            {
                return null;
            }

            int nameStart = namePrefix.Length;
            int nameEnd = text.IndexOf(' ', nameStart);
            string name = nameEnd < 0 ? text.Substring(nameStart) : text.Substring(nameStart, nameEnd - nameStart);
            return name.Length == 0 ? null : new MilestoneLine(name, text);
        }
    }
}
