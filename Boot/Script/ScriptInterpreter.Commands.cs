// The commands of ScriptInterpreter, each with iPXE's arguments and options (iPXE command
// reference, https://ipxe.org/cmd): echo, set, clear, isset, iseq, goto, exit, sleep, dhcp,
// ifopen, sanhook, sanboot, sanunhook. The network, drive and console work goes to the host.
using System;

namespace Bootstage.Boot.Script
{
    public sealed partial class ScriptInterpreter
    {
        private const int Unlimited = int.MaxValue;

        private ScriptStatus Dispatch(ReadOnlySpan<byte> script, ScriptArguments arguments)
        {
            ReadOnlySpan<byte> name = arguments[0];
            if (name.SequenceEqual("echo"u8))
            {
                return Echo(arguments);
            }

            if (name.SequenceEqual("set"u8))
            {
                return Set(arguments, true);
            }

            if (name.SequenceEqual("clear"u8))
            {
                return Set(arguments, false);
            }

            if (name.SequenceEqual("isset"u8))
            {
                ScriptStatus status = Operands(arguments, ScriptOption.None, 1, 1, out ScriptParsedOptions options);
                return status != ScriptStatus.Success ? status
                    : arguments[options.FirstOperand].Length != 0 ? ScriptStatus.Success : ScriptStatus.NotSet;
            }

            if (name.SequenceEqual("iseq"u8))
            {
                ScriptStatus status = Operands(arguments, ScriptOption.None, 2, 2, out ScriptParsedOptions options);
                return status != ScriptStatus.Success ? status
                    : arguments[options.FirstOperand].SequenceEqual(arguments[options.FirstOperand + 1]) ? ScriptStatus.Success : ScriptStatus.NotEqual;
            }

            if (name.SequenceEqual("goto"u8))
            {
                return Goto(script, arguments);
            }

            if (name.SequenceEqual("exit"u8))
            {
                return Exit(arguments);
            }

            if (name.SequenceEqual("sleep"u8))
            {
                return Sleep(arguments);
            }

            if (name.SequenceEqual("dhcp"u8) || name.SequenceEqual("ifconf"u8))
            {
                return Interfaces(arguments, true);
            }

            if (name.SequenceEqual("ifopen"u8))
            {
                return Interfaces(arguments, false);
            }

            if (name.SequenceEqual("sanhook"u8))
            {
                return San(arguments, ScriptOption.Drive | ScriptOption.NoDescribe, 1, SanAction.Hook);
            }

            if (name.SequenceEqual("sanboot"u8))
            {
                return San(arguments, ScriptOption.Drive | ScriptOption.NoDescribe | ScriptOption.Keep, 0, SanAction.Boot);
            }

            if (name.SequenceEqual("sanunhook"u8))
            {
                return San(arguments, ScriptOption.Drive, 0, SanAction.Unhook);
            }

            return ScriptStatus.UnknownCommand;
        }

        // Options first, then between min and max operands (iPXE's parse_options).
        private static ScriptStatus Operands(ScriptArguments arguments, ScriptOption allowed, int min, int max, out ScriptParsedOptions options)
        {
            ScriptStatus status = ScriptOptions.Parse(arguments, allowed, out options);
            if (status != ScriptStatus.Success)
            {
                return status;
            }

            int operands = arguments.Count - options.FirstOperand;
            return operands < min || operands > max ? ScriptStatus.WrongArgumentCount : ScriptStatus.Success;
        }

        // echo [-n] [text...]: the words joined by single spaces, then a newline unless -n.
        private ScriptStatus Echo(ScriptArguments arguments)
        {
            ScriptStatus status = Operands(arguments, ScriptOption.NoNewline, 0, Unlimited, out ScriptParsedOptions options);
            if (status != ScriptStatus.Success)
            {
                return status;
            }

            status = arguments.Join(options.FirstOperand, new Span<byte>(_text, 0, _text.Length - 1), out int length);
            if (status != ScriptStatus.Success)
            {
                return status;
            }

            if (!options.Has(ScriptOption.NoNewline))
            {
                _text[length++] = (byte)'\n';
            }

            _host.Echo(new ReadOnlySpan<byte>(_text, 0, length));
            return ScriptStatus.Success;
        }

        // set <name> [value...] stores the joined words (nothing: deletes); clear <name> deletes.
        private ScriptStatus Set(ScriptArguments arguments, bool set)
        {
            ScriptStatus status = Operands(arguments, ScriptOption.None, 1, set ? Unlimited : 1, out ScriptParsedOptions options);
            if (status != ScriptStatus.Success)
            {
                return status;
            }

            int length = 0;
            if (set)
            {
                status = arguments.Join(options.FirstOperand + 1, new Span<byte>(_text, 0, ScriptSettings.MaxValueLength), out length);
                if (status != ScriptStatus.Success)
                {
                    return status;
                }
            }

            return _settings.Store(arguments[options.FirstOperand], new ReadOnlySpan<byte>(_text, 0, length));
        }

        // goto <label>: finds the first line labelled so, from the top; the rest of this line is skipped.
        private ScriptStatus Goto(ReadOnlySpan<byte> script, ScriptArguments arguments)
        {
            ScriptStatus status = Operands(arguments, ScriptOption.None, 1, 1, out ScriptParsedOptions options);
            if (status != ScriptStatus.Success)
            {
                return status;
            }

            ReadOnlySpan<byte> label = arguments[options.FirstOperand];
            ScriptLineReader scan = new ScriptLineReader(script, _scanLine);
            while (true)
            {
                // A line too long to read cannot hold the label; iPXE's search stops there too.
                if (scan.Next(out bool found) != ScriptStatus.Success || !found)
                {
                    return ScriptStatus.NoSuchLabel;
                }

                if (scan.HasLabel && scan.Label.SequenceEqual(label))
                {
                    _jumpOffset = scan.StartOffset;
                    _jumpLineNumber = scan.StartLineNumber - 1;
                    _jumpRequested = true;
                    _stopLine = true;
                    return ScriptStatus.Success;
                }
            }
        }

        // exit [status]: ends the script; a non-zero status is a failure the caller sees.
        private ScriptStatus Exit(ScriptArguments arguments)
        {
            ScriptStatus status = Operands(arguments, ScriptOption.None, 0, 1, out ScriptParsedOptions options);
            if (status != ScriptStatus.Success)
            {
                return status;
            }

            uint code = 0;
            if (options.FirstOperand < arguments.Count && !ScriptNumber.TryParse(arguments[options.FirstOperand], out code))
            {
                return ScriptStatus.InvalidNumber;
            }

            ExitCode = code;
            _exitRequested = true;
            _stopLine = true;
            return code == 0 ? ScriptStatus.Success : ScriptStatus.ExitNonZero;
        }

        // sleep <seconds>
        private ScriptStatus Sleep(ScriptArguments arguments)
        {
            ScriptStatus status = Operands(arguments, ScriptOption.None, 1, 1, out ScriptParsedOptions options);
            if (status != ScriptStatus.Success)
            {
                return status;
            }

            if (!ScriptNumber.TryParse(arguments[options.FirstOperand], out uint seconds))
            {
                return ScriptStatus.InvalidNumber;
            }

            uint milliseconds = seconds > 0xFFFFFFFF / 1000 ? 0xFFFFFFFF : seconds * 1000;
            return _host.Sleep(milliseconds);
        }

        // dhcp [netX...] / ifopen [netX...]: without a name the host picks; with names, the first
        // that succeeds ends the command (iPXE's ifconf stops at the first configured device).
        private ScriptStatus Interfaces(ScriptArguments arguments, bool dhcp)
        {
            ScriptStatus status = Operands(arguments, ScriptOption.None, 0, Unlimited, out ScriptParsedOptions options);
            if (status != ScriptStatus.Success)
            {
                return status;
            }

            if (options.FirstOperand == arguments.Count)
            {
                return dhcp ? _host.Dhcp(default) : _host.IfOpen(default);
            }

            for (int i = options.FirstOperand; i < arguments.Count; i++)
            {
                status = dhcp ? _host.Dhcp(arguments[i]) : _host.IfOpen(arguments[i]);
                if (dhcp && status == ScriptStatus.Success)
                {
                    return status;
                }

                if (!dhcp && status != ScriptStatus.Success)
                {
                    return status;
                }
            }

            return status;
        }

        private enum SanAction
        {
            Hook,
            Boot,
            Unhook,
        }

        // sanhook [--drive n] [--no-describe] <root-path>; sanboot [--drive n] [--no-describe]
        // [--keep] [root-path]; sanunhook [--drive n]. One root path (iPXE takes several for
        // multipath; docs/scripts.md).
        private ScriptStatus San(ScriptArguments arguments, ScriptOption allowed, int minimum, SanAction action)
        {
            int maximum = action == SanAction.Unhook ? 0 : Unlimited;
            ScriptStatus status = Operands(arguments, allowed, minimum, maximum, out ScriptParsedOptions options);
            if (status != ScriptStatus.Success)
            {
                return status;
            }

            if (arguments.Count - options.FirstOperand > 1)
            {
                return ScriptStatus.TooManyRootPaths;
            }

            ReadOnlySpan<byte> rootPath = options.FirstOperand < arguments.Count ? arguments[options.FirstOperand] : default;
            ScriptSanRequest request = new ScriptSanRequest(options.Drive, options.Has(ScriptOption.NoDescribe), options.Has(ScriptOption.Keep), _settings);
            switch (action)
            {
                case SanAction.Hook:
                    return _host.SanHook(rootPath, request);
                case SanAction.Boot:
                    return _host.SanBoot(rootPath, request);
                default:
                    return _host.SanUnhook(request);
            }
        }
    }
}
