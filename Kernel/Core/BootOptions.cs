// The kernel's command line, parsed once at entry into the settings every later step reads:
// console and log level, the mode (the product's boot flow or one of the test modes), the NIC
// choice and the SAN boot's switches. Parsed before the heap exists, so it holds only scalars
// and ranges of the captured text (Machine.CommandLine, which never changes afterwards). The
// SAN target, credentials and static addresses are read where they are resolved against DHCP
// (SanSettings, NetworkBringUp), each in that one place.
using System;
using Bootstage.Boot;
using Bootstage.Kernel.Console;

namespace Bootstage.Kernel.Core
{
    internal enum PanicTest
    {
        None = 0,

        /// <summary>Dereference the unmapped page 0: the IDT's exception report.</summary>
        PageFault = 1,

        /// <summary>Throw a managed exception: the runtime's panic path.</summary>
        Throw = 2,
    }

    /// <summary>What Run does: the product's boot flow, or one test mode instead of it.</summary>
    internal enum BootMode
    {
        /// <summary>Network, then a SAN boot if there is a root path.</summary>
        Boot = 0,

        /// <summary>`selftest`: the core-library and kernel self-tests.</summary>
        SelfTest,

        /// <summary>`panic-test=`: stop the machine through a crash path on purpose.</summary>
        PanicTest,

        /// <summary>`nettest=`: a network check against QEMU's slirp.</summary>
        NetTest,
    }

    /// <summary>Where a value sits in the captured command line (empty when absent).</summary>
    internal readonly struct TextRange
    {
        public readonly int Offset;
        public readonly int Length;
        public readonly bool Present;

        public TextRange(int offset, int length)
        {
            Offset = offset;
            Length = length;
            Present = true;
        }

        public ReadOnlySpan<byte> In(ReadOnlySpan<byte> text) => Present ? text.Slice(Offset, Length) : default;
    }

    internal struct BootOptions
    {
        public bool SerialConsole;
        public bool VgaConsole;
        public LogLevel LogLevel;
        public bool UnknownLogLevel;
        public bool UnknownConsole;
        public BootMode Mode;
        public PanicTest PanicTest;

        /// <summary>realmode-test: read the BIOS memory map through the real-mode thunk and report it.</summary>
        public bool RealModeTest;
        /// <summary>`script=<url>`: a boot script (tftp:// or http://) that drives the boot instead.</summary>
        public TextRange Script;

        public readonly bool HasScript => Script.Present;
        public TextRange NetTest;
        public TextRange BootNic;

        /// <summary>`root-path=` on the command line (DHCP may still give one).</summary>
        public bool HasRootPath;
        public bool SkipSanBoot;
        public bool SanLogout;
        public bool BiosTrace;

        /// <summary>`keep-san`: a loader that gives up leaves its drives hooked for the next boot device.</summary>
        public bool KeepSan;
        public TextRange SanTest;
        public TextRange SanDrive;

        /// <summary>How many `sanhook=` root paths (further drives) the command line names, at most MaxSanHooks.</summary>
        public int SanHookCount;
        public const int MaxSanHooks = 3;
        private TextRange _sanHook0;
        private TextRange _sanHook1;
        private TextRange _sanHook2;

        public readonly TextRange SanHook(int index) => index == 0 ? _sanHook0 : index == 1 ? _sanHook1 : index == 2 ? _sanHook2 : default;

        /// <summary>
        /// A root path means a SAN boot, as with iPXE's sanboot, unless the command line asks only
        /// for the disk: `skip-san-boot` (report it and stop), `santest=` or `san-logout`.
        /// </summary>
        public bool WantsSanBoot => !SkipSanBoot && !SanTest.Present && !SanLogout;

        internal static BootOptions Parse(ReadOnlySpan<byte> text)
        {
            KernelCommandLine commandLine = new KernelCommandLine(text);
            BootOptions options = default;
            options.ParseConsole(commandLine);
            options.ParseMode(commandLine, text);
            options.BootNic = Find(commandLine, text, "bootnic"u8);
            options.Script = Find(commandLine, text, "script"u8);
            options.HasRootPath = commandLine.TryGet("root-path"u8, out _);
            options.SkipSanBoot = commandLine.IsSet("skip-san-boot"u8);
            options.SanLogout = commandLine.IsSet("san-logout"u8);
            options.BiosTrace = commandLine.IsSet("bios-trace"u8);
            options.KeepSan = commandLine.IsSet("keep-san"u8);
            options.SanTest = Find(commandLine, text, "santest"u8);
            options.SanDrive = Find(commandLine, text, "san-drive"u8);
            options.FindSanHooks(commandLine, text);
            return options;
        }

        private void ParseConsole(KernelCommandLine commandLine)
        {
            SerialConsole = true;
            VgaConsole = true;
            LogLevel = LogLevel.Info;
            if (commandLine.TryGet("console"u8, out ReadOnlySpan<byte> console))
            {
                SerialConsole = !console.SequenceEqual("vga"u8);
                VgaConsole = !console.SequenceEqual("serial"u8);
                UnknownConsole = !console.SequenceEqual("serial"u8) && !console.SequenceEqual("vga"u8) && !console.SequenceEqual("both"u8);
            }

            if (commandLine.TryGet("loglevel"u8, out ReadOnlySpan<byte> level))
            {
                UnknownLogLevel = !TryLogLevel(level, out LogLevel);
            }
        }

        private static bool TryLogLevel(ReadOnlySpan<byte> text, out LogLevel level)
        {
            level = text.SequenceEqual("debug"u8) ? LogLevel.Debug
                : text.SequenceEqual("warn"u8) ? LogLevel.Warn
                : text.SequenceEqual("error"u8) ? LogLevel.Error
                : LogLevel.Info;
            return level != LogLevel.Info || text.SequenceEqual("info"u8);
        }

        // The test modes exclude each other and the boot flow; the first named here wins.
        private void ParseMode(KernelCommandLine commandLine, ReadOnlySpan<byte> text)
        {
            RealModeTest = commandLine.IsSet("realmode-test"u8);
            NetTest = Find(commandLine, text, "nettest"u8);
            if (commandLine.TryGet("panic-test"u8, out ReadOnlySpan<byte> panic))
            {
                PanicTest = panic.SequenceEqual("page-fault"u8) ? PanicTest.PageFault
                    : panic.SequenceEqual("throw"u8) ? PanicTest.Throw
                    : PanicTest.None;
            }

            Mode = PanicTest != PanicTest.None ? BootMode.PanicTest
                : commandLine.IsSet("selftest"u8) ? BootMode.SelfTest
                : NetTest.Present ? BootMode.NetTest
                : BootMode.Boot;
        }

        // `sanhook=` may repeat (unlike other keys, every word counts), in order; extra ones are
        // counted so the kernel can say it ignored them.
        private void FindSanHooks(KernelCommandLine commandLine, ReadOnlySpan<byte> text)
        {
            KernelCommandLine.Enumerator words = commandLine.GetEnumerator();
            while (words.MoveNext())
            {
                if (!words.Key.SequenceEqual("sanhook"u8) || words.Value.IsEmpty)
                {
                    continue;
                }

                TextRange range = RangeOf(text, words.Value);
                if (SanHookCount == 0)
                {
                    _sanHook0 = range;
                }
                else if (SanHookCount == 1)
                {
                    _sanHook1 = range;
                }
                else if (SanHookCount == 2)
                {
                    _sanHook2 = range;
                }

                SanHookCount++;
            }
        }

        // The value's place in the text: KernelCommandLine hands out slices of the text it was given.
        private static TextRange Find(KernelCommandLine commandLine, ReadOnlySpan<byte> text, ReadOnlySpan<byte> key)
        {
            if (!commandLine.TryGet(key, out ReadOnlySpan<byte> value))
            {
                return default;
            }

            return RangeOf(text, value);
        }

        private static unsafe TextRange RangeOf(ReadOnlySpan<byte> text, ReadOnlySpan<byte> value)
        {
            fixed (byte* start = text)
            fixed (byte* at = value)
            {
                return value.IsEmpty ? new TextRange(0, 0) : new TextRange((int)(at - start), value.Length);
            }
        }
    }
}
