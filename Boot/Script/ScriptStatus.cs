// What a boot script command or the interpreter reports: success, a named syntax or usage error,
// or a failure the host reported (DHCP, SAN). iPXE ends a script at the first failing command
// that no `||` catches (image/script.c in iPXE; docs/scripts.md), so every status other than
// Success ends the run unless the line says what to do on failure.
using System;

namespace Bootstage.Boot.Script
{
    public enum ScriptStatus
    {
        Success = 0,

        // The script as a whole.
        NotAScript,
        LineTooLong,
        ExitNonZero,

        // One command line.
        UnknownCommand,
        TooManyArguments,
        WrongArgumentCount,
        UnknownOption,
        OptionNeedsArgument,
        OptionTakesNoArgument,
        InvalidNumber,
        UnterminatedExpansion,
        ExpansionTooLong,
        UnsupportedSettingType,
        InvalidSettingName,
        ValueTooLong,
        TooManySettings,
        NoSuchLabel,
        NotSet,
        NotEqual,
        TooManyRootPaths,

        // Reported by the host.
        NoNetwork,
        DhcpFailed,
        SanHookFailed,
        SanBootFailed,
        NoSuchDrive,
        Cancelled,
        HostFailed,
    }

    public static class ScriptStatusText
    {
        /// <summary>A short English description for the console; never empty.</summary>
        public static ReadOnlySpan<byte> Describe(ScriptStatus status)
        {
            switch (status)
            {
                case ScriptStatus.Success: return "ok"u8;
                case ScriptStatus.NotAScript: return "not a script (no #!ipxe header)"u8;
                case ScriptStatus.LineTooLong: return "line too long"u8;
                case ScriptStatus.ExitNonZero: return "exit with a non-zero status"u8;
                case ScriptStatus.UnknownCommand: return "command not found"u8;
                case ScriptStatus.TooManyArguments: return "too many arguments on the line"u8;
                case ScriptStatus.WrongArgumentCount: return "wrong number of arguments"u8;
                case ScriptStatus.UnknownOption: return "unrecognised option"u8;
                case ScriptStatus.OptionNeedsArgument: return "option requires an argument"u8;
                case ScriptStatus.OptionTakesNoArgument: return "option takes no argument"u8;
                case ScriptStatus.InvalidNumber: return "invalid number"u8;
                case ScriptStatus.UnterminatedExpansion: return "unterminated ${"u8;
                case ScriptStatus.ExpansionTooLong: return "expanded line too long"u8;
                case ScriptStatus.UnsupportedSettingType: return "setting types (name:type) are not supported"u8;
                case ScriptStatus.InvalidSettingName: return "invalid setting name (empty or too long)"u8;
                case ScriptStatus.ValueTooLong: return "setting value too long"u8;
                case ScriptStatus.TooManySettings: return "no room for another setting"u8;
                case ScriptStatus.NoSuchLabel: return "no such label"u8;
                case ScriptStatus.NotSet: return "not set"u8;
                case ScriptStatus.NotEqual: return "not equal"u8;
                case ScriptStatus.TooManyRootPaths: return "only one root path is supported"u8;
                case ScriptStatus.NoNetwork: return "no network device"u8;
                case ScriptStatus.DhcpFailed: return "DHCP failed"u8;
                case ScriptStatus.SanHookFailed: return "could not hook the SAN device"u8;
                case ScriptStatus.SanBootFailed: return "SAN boot failed"u8;
                case ScriptStatus.NoSuchDrive: return "no such SAN drive"u8;
                case ScriptStatus.Cancelled: return "cancelled"u8;
                default: return "failed"u8;
            }
        }
    }
}
