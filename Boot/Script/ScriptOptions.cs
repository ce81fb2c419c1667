// Command options in boot scripts, parsed as iPXE's getopt_long does (core/getopt.c; the option
// names are those of iPXE's command reference at https://ipxe.org/cmd): options come before the
// operands and the first word not starting with '-' ends them, `--` ends them explicitly,
// `--name=value` and `--name value` both give a value, short options combine (`-nk`) and take a
// value inline (`-d0x81`) or from the next word. Only the options our commands support exist here.
using System;

namespace Bootstage.Boot.Script
{
    [Flags]
    public enum ScriptOption
    {
        None = 0,
        Drive = 1,
        NoDescribe = 2,
        Keep = 4,
        NoNewline = 8,
    }

    public struct ScriptParsedOptions
    {
        public ScriptOption Present;
        public int Drive;
        public int FirstOperand;

        public bool Has(ScriptOption option) => (Present & option) != 0;
    }

    public static class ScriptOptions
    {
        /// <summary>Parses the options of <paramref name="arguments"/> that <paramref name="allowed"/> names.</summary>
        public static ScriptStatus Parse(ScriptArguments arguments, ScriptOption allowed, out ScriptParsedOptions parsed)
        {
            parsed = default;
            parsed.Drive = ScriptSanRequest.DefaultDrive;
            int index = 1;
            while (index < arguments.Count)
            {
                ReadOnlySpan<byte> word = arguments[index];
                if (word.Length == 0 || word[0] != (byte)'-')
                {
                    break;
                }

                if (word.Length >= 2 && word[1] == (byte)'-')
                {
                    if (word.Length == 2)
                    {
                        index++;
                        break;
                    }

                    ScriptStatus status = ParseLong(arguments, word.Slice(2), allowed, ref index, ref parsed);
                    if (status != ScriptStatus.Success)
                    {
                        return status;
                    }

                    continue;
                }

                if (word.Length == 1)
                {
                    return ScriptStatus.UnknownOption;
                }

                index++;
                for (int position = 1; position < word.Length; position++)
                {
                    ScriptOption option = FindShort(word[position], allowed);
                    if (option == ScriptOption.None)
                    {
                        return ScriptStatus.UnknownOption;
                    }

                    if (!TakesValue(option))
                    {
                        parsed.Present |= option;
                        continue;
                    }

                    ReadOnlySpan<byte> value;
                    if (position + 1 < word.Length)
                    {
                        value = word.Slice(position + 1);
                    }
                    else if (index < arguments.Count)
                    {
                        value = arguments[index++];
                    }
                    else
                    {
                        return ScriptStatus.OptionNeedsArgument;
                    }

                    ScriptStatus status = Apply(option, value, ref parsed);
                    if (status != ScriptStatus.Success)
                    {
                        return status;
                    }

                    break;
                }
            }

            parsed.FirstOperand = index;
            return ScriptStatus.Success;
        }

        private static ScriptStatus ParseLong(ScriptArguments arguments, ReadOnlySpan<byte> text, ScriptOption allowed, ref int index, ref ScriptParsedOptions parsed)
        {
            for (int bit = 1; bit <= (int)ScriptOption.NoNewline; bit <<= 1)
            {
                ScriptOption option = (ScriptOption)bit;
                if ((allowed & option) == 0)
                {
                    continue;
                }

                ReadOnlySpan<byte> name = LongName(option);
                if (!text.StartsWith(name) || (text.Length > name.Length && text[name.Length] != (byte)'='))
                {
                    continue;
                }

                bool inline = text.Length > name.Length;
                index++;
                if (!TakesValue(option))
                {
                    if (inline)
                    {
                        return ScriptStatus.OptionTakesNoArgument;
                    }

                    parsed.Present |= option;
                    return ScriptStatus.Success;
                }

                ReadOnlySpan<byte> value;
                if (inline)
                {
                    value = text.Slice(name.Length + 1);
                }
                else if (index < arguments.Count)
                {
                    value = arguments[index++];
                }
                else
                {
                    return ScriptStatus.OptionNeedsArgument;
                }

                return Apply(option, value, ref parsed);
            }

            return ScriptStatus.UnknownOption;
        }

        private static ScriptStatus Apply(ScriptOption option, ReadOnlySpan<byte> value, ref ScriptParsedOptions parsed)
        {
            // Only --drive takes a value today, and a BIOS drive number is one byte.
            if (!ScriptNumber.TryParse(value, out uint drive) || drive > 0xFF)
            {
                return ScriptStatus.InvalidNumber;
            }

            parsed.Drive = (int)drive;
            parsed.Present |= option;
            return ScriptStatus.Success;
        }

        private static bool TakesValue(ScriptOption option) => option == ScriptOption.Drive;

        private static ReadOnlySpan<byte> LongName(ScriptOption option)
        {
            switch (option)
            {
                case ScriptOption.Drive: return "drive"u8;
                case ScriptOption.NoDescribe: return "no-describe"u8;
                case ScriptOption.Keep: return "keep"u8;
                default: return "n"u8;
            }
        }

        private static ScriptOption FindShort(byte letter, ScriptOption allowed)
        {
            ScriptOption option;
            switch (letter)
            {
                case (byte)'d': option = ScriptOption.Drive; break;
                case (byte)'k': option = ScriptOption.Keep; break;
                case (byte)'n': option = (allowed & ScriptOption.NoNewline) != 0 ? ScriptOption.NoNewline : ScriptOption.NoDescribe; break;
                default: return ScriptOption.None;
            }

            return (allowed & option) != 0 ? option : ScriptOption.None;
        }
    }
}
