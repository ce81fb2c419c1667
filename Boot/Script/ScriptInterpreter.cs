// Runs a boot script in iPXE's language (https://ipxe.org/scripting, https://ipxe.org/cmd) over
// an IScriptHost. Each line is split into words at whitespace; a word starting with '#' ends the
// line (comments, the `#!ipxe` header); `||`, `&&` and `;` separate commands: the next command
// runs only if the previous one failed, succeeded, or always. Words are expanded (`${name}`) just
// before their command runs, so a word stays one argument whatever its value. A line's status is
// that of the last command that ran; a line that ends failed ends the script with that status,
// naming the line and the command. `goto` resumes at a `:label` line (that line's own command
// runs too), `exit` ends the script. docs/scripts.md lists the commands and what differs from iPXE.
// Buffers are allocated once per interpreter; running a script allocates nothing.
using System;

namespace Bootstage.Boot.Script
{
    public sealed partial class ScriptInterpreter
    {
        public const int MaxLineLength = 1024;
        public const int MaxWords = 64;
        public const int MaxExpandedLength = 4096;
        public const int MaxWordLength = 1024;
        public const int MaxCommandName = 32;

        private readonly IScriptHost _host;
        private readonly ScriptSettings _settings;
        private readonly byte[] _line = new byte[MaxLineLength];
        private readonly byte[] _scanLine = new byte[MaxLineLength];
        private readonly byte[] _arena = new byte[MaxExpandedLength];
        private readonly byte[] _scratch = new byte[MaxWordLength];
        private readonly byte[] _value = new byte[MaxWordLength];
        private readonly byte[] _text = new byte[MaxWordLength + 1];
        private readonly int[] _wordStarts = new int[MaxWords];
        private readonly int[] _wordLengths = new int[MaxWords];
        private readonly int[] _argumentStarts = new int[MaxWords];
        private readonly int[] _argumentLengths = new int[MaxWords];
        private readonly byte[] _command = new byte[MaxCommandName];
        private readonly byte[] _errorCommand = new byte[MaxCommandName];
        private int _commandLength;
        private int _errorCommandLength;

        // Set by goto and exit: the rest of the line is skipped, then the script jumps or ends.
        private bool _stopLine;
        private bool _exitRequested;
        private bool _jumpRequested;
        private int _jumpOffset;
        private int _jumpLineNumber;

        public ScriptInterpreter(IScriptHost host)
        {
            _host = host;
            _settings = new ScriptSettings(host);
        }

        public ScriptSettings Settings => _settings;

        /// <summary>1-based line of the error the last run ended with (0: none, or before any line).</summary>
        public int ErrorLine { get; private set; }

        /// <summary>The command (its name after expansion) whose failure ended the last run; empty if none.</summary>
        public ReadOnlySpan<byte> ErrorCommand => new ReadOnlySpan<byte>(_errorCommand, 0, _errorCommandLength);

        /// <summary>The status the last run ended with.</summary>
        public ScriptStatus Status { get; private set; }

        /// <summary>The number given to `exit` (0 when the script ended otherwise).</summary>
        public uint ExitCode { get; private set; }

        /// <summary>Lines whose commands were run in the last run (labels and comments count).</summary>
        public int LinesRun { get; private set; }

        /// <summary>Runs the script to its end, an `exit`, or the first failure no `||` catches.</summary>
        public ScriptStatus Run(ReadOnlySpan<byte> script)
        {
            ErrorLine = 0;
            _errorCommandLength = 0;
            ExitCode = 0;
            LinesRun = 0;
            _exitRequested = false;
            _jumpRequested = false;
            if (!ScriptLineReader.HasHeader(script))
            {
                return Finish(ScriptStatus.NotAScript, 0);
            }

            ScriptLineReader reader = new ScriptLineReader(script, _line);
            while (true)
            {
                ScriptStatus status = reader.Next(out bool found);
                if (status != ScriptStatus.Success)
                {
                    _commandLength = 0;
                    return Finish(status, reader.StartLineNumber);
                }

                if (!found)
                {
                    return Finish(ScriptStatus.Success, 0);
                }

                LinesRun++;
                status = ExecuteLine(script, reader.Command);
                if (_exitRequested)
                {
                    return Finish(status, status == ScriptStatus.Success ? 0 : reader.StartLineNumber);
                }

                if (status != ScriptStatus.Success)
                {
                    return Finish(status, reader.StartLineNumber);
                }

                if (_jumpRequested)
                {
                    _jumpRequested = false;
                    reader = new ScriptLineReader(script, _line, _jumpOffset, _jumpLineNumber);
                }
            }
        }

        /// <summary>Writes "line N: command: description" for the console; returns the length written.</summary>
        public int FormatError(Span<byte> destination)
        {
            int length = 0;
            if (ErrorLine > 0)
            {
                length = Append(destination, length, "line "u8);
                Span<byte> digits = stackalloc byte[10];
                int count = 0;
                uint value = (uint)ErrorLine;
                do
                {
                    digits[count++] = (byte)('0' + value % 10);
                    value /= 10;
                }
                while (value != 0);

                while (count > 0 && length < destination.Length)
                {
                    destination[length++] = digits[--count];
                }

                length = Append(destination, length, ": "u8);
            }

            if (_errorCommandLength > 0)
            {
                length = Append(destination, length, ErrorCommand);
                length = Append(destination, length, ": "u8);
            }

            return Append(destination, length, ScriptStatusText.Describe(Status));
        }

        private static int Append(Span<byte> destination, int length, ReadOnlySpan<byte> text)
        {
            int count = text.Length < destination.Length - length ? text.Length : destination.Length - length;
            text.Slice(0, count).CopyTo(destination.Slice(length));
            return length + count;
        }

        private ScriptStatus Finish(ScriptStatus status, int line)
        {
            Status = status;
            ErrorLine = status == ScriptStatus.Success ? 0 : line;
            _errorCommandLength = status == ScriptStatus.Success ? 0 : _commandLength;
            new ReadOnlySpan<byte>(_command, 0, _errorCommandLength).CopyTo(_errorCommand);
            return status;
        }

        // One logical line: words, then the commands between separators, each run or skipped by
        // the separator before it and the status of the last command that ran.
        private ScriptStatus ExecuteLine(ReadOnlySpan<byte> script, ReadOnlySpan<byte> line)
        {
            _commandLength = 0;
            _stopLine = false;
            int words = SplitWords(line);
            if (words < 0)
            {
                return ScriptStatus.TooManyArguments;
            }

            ScriptStatus status = ScriptStatus.Success;
            bool run = true;
            int first = 0;
            while (true)
            {
                int end = first;
                int separator = 0; // 0: end of line, 1: ||, 2: &&, 3: ;
                while (end < words)
                {
                    ReadOnlySpan<byte> word = Word(line, end);
                    if (word[0] == (byte)'#')
                    {
                        break;
                    }

                    separator = word.SequenceEqual("||"u8) ? 1 : word.SequenceEqual("&&"u8) ? 2 : word.SequenceEqual(";"u8) ? 3 : 0;
                    if (separator != 0)
                    {
                        break;
                    }

                    end++;
                }

                if (run)
                {
                    status = ExecuteCommand(script, line, first, end - first);
                }

                if (_stopLine || separator == 0)
                {
                    return status;
                }

                run = separator == 3 || (separator == 1 ? status != ScriptStatus.Success : status == ScriptStatus.Success);
                first = end + 1;
            }
        }

        // Whitespace-separated words of the line, as offsets; -1 when there are too many.
        private int SplitWords(ReadOnlySpan<byte> line)
        {
            int count = 0;
            int position = 0;
            while (true)
            {
                while (position < line.Length && ScriptLineReader.IsSpace(line[position]))
                {
                    position++;
                }

                if (position >= line.Length)
                {
                    return count;
                }

                if (count == MaxWords)
                {
                    return -1;
                }

                int start = position;
                while (position < line.Length && !ScriptLineReader.IsSpace(line[position]))
                {
                    position++;
                }

                _wordStarts[count] = start;
                _wordLengths[count] = position - start;
                count++;
            }
        }

        private ReadOnlySpan<byte> Word(ReadOnlySpan<byte> line, int index) => line.Slice(_wordStarts[index], _wordLengths[index]);

        private ScriptStatus ExecuteCommand(ReadOnlySpan<byte> script, ReadOnlySpan<byte> line, int first, int count)
        {
            if (count == 0)
            {
                return ScriptStatus.Success; // an empty command does nothing, successfully
            }

            RememberCommand(Word(line, first));
            int used = 0;
            for (int i = 0; i < count; i++)
            {
                Span<byte> output = new Span<byte>(_arena, used, _arena.Length - used);
                ScriptStatus status = ScriptExpander.Expand(Word(line, first + i), _settings, output, _scratch, _value, out int length);
                if (status != ScriptStatus.Success)
                {
                    return status;
                }

                _argumentStarts[i] = used;
                _argumentLengths[i] = length;
                used += length;
            }

            ScriptArguments arguments = new ScriptArguments(_arena, _argumentStarts, _argumentLengths, count);
            RememberCommand(arguments[0]);
            return Dispatch(script, arguments);
        }

        private void RememberCommand(ReadOnlySpan<byte> name)
        {
            _commandLength = name.Length < MaxCommandName ? name.Length : MaxCommandName;
            name.Slice(0, _commandLength).CopyTo(_command);
        }
    }
}
