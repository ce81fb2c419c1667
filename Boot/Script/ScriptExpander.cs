// `${name}` expansion in one word of a boot script, as iPXE's expand_settings does it: the
// innermost expansion goes first (the last `${` before the first `}`), its value is spliced in and
// the word is scanned again, so `${a${b}}` and values that themselves hold `${...}` work; a
// setting nobody has expands to nothing. Differences (docs/scripts.md): an unterminated `${` is an
// error where iPXE leaves it as text, `${name:type}` is refused, and the number of expansions in
// one word is bounded so a value that expands to itself cannot spin for ever.
using System;

namespace Bootstage.Boot.Script
{
    public static class ScriptExpander
    {
        public const int MaxExpansions = 64;

        /// <summary>
        /// Expands <paramref name="word"/> into <paramref name="output"/>; <paramref name="scratch"/>
        /// (as large as the output) and <paramref name="value"/> are working space.
        /// </summary>
        public static ScriptStatus Expand(ReadOnlySpan<byte> word, ScriptSettings settings, Span<byte> output, Span<byte> scratch, Span<byte> value, out int length)
        {
            length = 0;
            if (word.Length > output.Length)
            {
                return ScriptStatus.ExpansionTooLong;
            }

            word.CopyTo(output);
            length = word.Length;
            for (int round = 0; ; round++)
            {
                int start = -1;
                int end = -1;
                for (int i = 0; i < length; i++)
                {
                    if (output[i] == (byte)'$' && i + 1 < length && output[i + 1] == (byte)'{')
                    {
                        start = i;
                    }

                    if (start >= 0 && output[i] == (byte)'}')
                    {
                        end = i;
                        break;
                    }
                }

                if (end < 0)
                {
                    return start >= 0 ? ScriptStatus.UnterminatedExpansion : ScriptStatus.Success;
                }

                if (round >= MaxExpansions)
                {
                    return ScriptStatus.ExpansionTooLong;
                }

                ReadOnlySpan<byte> name = output.Slice(start + 2, end - start - 2);
                if (name.IndexOf((byte)':') >= 0)
                {
                    return ScriptStatus.UnsupportedSettingType;
                }

                int valueLength = name.Length == 0 ? -1 : settings.Fetch(name, value);
                if (valueLength < 0)
                {
                    valueLength = 0;
                }
                else if (valueLength > value.Length)
                {
                    return ScriptStatus.ExpansionTooLong;
                }

                int tailLength = length - end - 1;
                int total = start + valueLength + tailLength;
                if (total > output.Length || total > scratch.Length)
                {
                    return ScriptStatus.ExpansionTooLong;
                }

                output.Slice(0, start).CopyTo(scratch);
                value.Slice(0, valueLength).CopyTo(scratch.Slice(start));
                output.Slice(end + 1, tailLength).CopyTo(scratch.Slice(start + valueLength));
                scratch.Slice(0, total).CopyTo(output);
                length = total;
            }
        }
    }
}
