// Splits a boot script into logical lines the way iPXE's script image does (image/script.c, as
// documented at https://ipxe.org/scripting): lines end at LF, a trailing CR is dropped, a line
// ending in a backslash continues on the next one, and a line whose first word starts with ':'
// carries a label (the rest of that line is still a command). The header is `#!ipxe` (or the
// older `#!gpxe`) followed by whitespace. Lines are copied into the caller's buffer because a
// continuation joins fragments; nothing is allocated.
using System;

namespace Bootstage.Boot.Script
{
    public ref struct ScriptLineReader
    {
        private readonly ReadOnlySpan<byte> _script;
        private readonly Span<byte> _buffer;

        public ScriptLineReader(ReadOnlySpan<byte> script, Span<byte> buffer, int offset = 0, int lineNumber = 0)
        {
            _script = script;
            _buffer = buffer;
            Offset = offset;
            LineNumber = lineNumber;
            StartOffset = offset;
            StartLineNumber = lineNumber;
            Label = default;
            Command = default;
            HasLabel = false;
        }

        /// <summary>Where the next line starts.</summary>
        public int Offset { get; private set; }

        /// <summary>Physical lines consumed so far (the last line read ends here).</summary>
        public int LineNumber { get; private set; }

        /// <summary>Offset of the line last read (where a goto to its label resumes).</summary>
        public int StartOffset { get; private set; }

        /// <summary>1-based number of the first physical line of the line last read.</summary>
        public int StartLineNumber { get; private set; }

        public bool HasLabel { get; private set; }

        public ReadOnlySpan<byte> Label { get; private set; }

        public ReadOnlySpan<byte> Command { get; private set; }

        /// <summary>True when the text starts with the script header iPXE requires.</summary>
        public static bool HasHeader(ReadOnlySpan<byte> script)
        {
            return script.Length >= 7 && (script.StartsWith("#!ipxe"u8) || script.StartsWith("#!gpxe"u8)) && IsSpace(script[6]);
        }

        /// <summary>
        /// Reads the next logical line. Returns Success with <paramref name="found"/> false at the
        /// end of the script, LineTooLong when the joined line does not fit the buffer.
        /// </summary>
        public ScriptStatus Next(out bool found)
        {
            found = false;
            HasLabel = false;
            Label = default;
            Command = default;
            StartOffset = Offset;
            StartLineNumber = LineNumber + 1;
            int length = 0;
            while (Offset < _script.Length)
            {
                ReadOnlySpan<byte> rest = _script.Slice(Offset);
                int end = rest.IndexOf((byte)'\n');
                ReadOnlySpan<byte> fragment = end >= 0 ? rest.Slice(0, end) : rest;
                Offset += end >= 0 ? end + 1 : rest.Length;
                LineNumber++;
                if (length + fragment.Length > _buffer.Length)
                {
                    return ScriptStatus.LineTooLong;
                }

                fragment.CopyTo(_buffer.Slice(length));
                length += fragment.Length;
                if (length > 0 && _buffer[length - 1] == (byte)'\r')
                {
                    length--;
                }

                if (length > 0 && _buffer[length - 1] == (byte)'\\')
                {
                    // Continuation: the next fragment joins this one. At the end of the script
                    // iPXE drops such an unfinished line, and so do we.
                    length--;
                    continue;
                }

                found = true;
                Split(_buffer.Slice(0, length));
                return ScriptStatus.Success;
            }

            return ScriptStatus.Success;
        }

        private void Split(ReadOnlySpan<byte> line)
        {
            int position = 0;
            while (position < line.Length && IsSpace(line[position]))
            {
                position++;
            }

            if (position < line.Length && line[position] == (byte)':')
            {
                int start = ++position;
                while (position < line.Length && !IsSpace(line[position]))
                {
                    position++;
                }

                HasLabel = true;
                Label = line.Slice(start, position - start);
            }

            Command = line.Slice(position);
        }

        /// <summary>C's isspace, which iPXE uses to split words: space, \t, \n, \v, \f, \r.</summary>
        public static bool IsSpace(byte c) => c == (byte)' ' || (c >= 9 && c <= 13);
    }
}
