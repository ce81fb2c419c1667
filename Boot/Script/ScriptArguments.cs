// The words of one command after `${...}` expansion: offsets into the interpreter's arena, so a
// command sees spans and nothing is allocated per line. Word 0 is the command's name.
using System;

namespace Bootstage.Boot.Script
{
    public readonly ref struct ScriptArguments
    {
        private readonly ReadOnlySpan<byte> _arena;
        private readonly int[] _starts;
        private readonly int[] _lengths;

        public ScriptArguments(ReadOnlySpan<byte> arena, int[] starts, int[] lengths, int count)
        {
            _arena = arena;
            _starts = starts;
            _lengths = lengths;
            Count = count;
        }

        public int Count { get; }

        public ReadOnlySpan<byte> this[int index] => _arena.Slice(_starts[index], _lengths[index]);

        /// <summary>Words from <paramref name="first"/> on, joined by single spaces (iPXE's concat_args).</summary>
        public ScriptStatus Join(int first, Span<byte> destination, out int length)
        {
            length = 0;
            for (int i = first; i < Count; i++)
            {
                ReadOnlySpan<byte> word = this[i];
                int needed = (i > first ? 1 : 0) + word.Length;
                if (length + needed > destination.Length)
                {
                    return ScriptStatus.ValueTooLong;
                }

                if (i > first)
                {
                    destination[length++] = (byte)' ';
                }

                word.CopyTo(destination.Slice(length));
                length += word.Length;
            }

            return ScriptStatus.Success;
        }
    }
}
