// Kernel settings from the command line (`console=`, `loglevel=`, `script=`, `selftest`,
// `panic-test=page-fault|throw`, which proves the two crash paths report and stop the machine).
// Parsed before the heap exists, so it holds only scalars and an offset into the captured text.
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

    internal struct BootOptions
    {
        public bool SerialConsole;
        public bool VgaConsole;
        public LogLevel LogLevel;
        public bool SelfTest;

        /// <summary>realmode-test: read the BIOS memory map through the real-mode thunk and report it.</summary>
        public bool RealModeTest;
        public bool HasScript;
        public bool UnknownLogLevel;
        public bool UnknownConsole;
        public PanicTest PanicTest;

        internal static BootOptions Parse(ReadOnlySpan<byte> text)
        {
            KernelCommandLine commandLine = new KernelCommandLine(text);
            BootOptions options = default;
            options.SerialConsole = true;
            options.VgaConsole = true;
            options.LogLevel = LogLevel.Info;
            if (commandLine.TryGet("console"u8, out ReadOnlySpan<byte> console))
            {
                if (console.SequenceEqual("serial"u8))
                {
                    options.VgaConsole = false;
                }
                else if (console.SequenceEqual("vga"u8))
                {
                    options.SerialConsole = false;
                }
                else if (!console.SequenceEqual("both"u8))
                {
                    options.UnknownConsole = true;
                }
            }

            if (commandLine.TryGet("loglevel"u8, out ReadOnlySpan<byte> level))
            {
                if (level.SequenceEqual("debug"u8))
                {
                    options.LogLevel = LogLevel.Debug;
                }
                else if (level.SequenceEqual("info"u8))
                {
                    options.LogLevel = LogLevel.Info;
                }
                else if (level.SequenceEqual("warn"u8))
                {
                    options.LogLevel = LogLevel.Warn;
                }
                else if (level.SequenceEqual("error"u8))
                {
                    options.LogLevel = LogLevel.Error;
                }
                else
                {
                    options.UnknownLogLevel = true;
                }
            }

            if (commandLine.TryGet("panic-test"u8, out ReadOnlySpan<byte> panic))
            {
                if (panic.SequenceEqual("page-fault"u8))
                {
                    options.PanicTest = PanicTest.PageFault;
                }
                else if (panic.SequenceEqual("throw"u8))
                {
                    options.PanicTest = PanicTest.Throw;
                }
            }

            options.SelfTest = commandLine.IsSet("selftest"u8);
            options.RealModeTest = commandLine.IsSet("realmode-test"u8);
            options.HasScript = commandLine.TryGet("script"u8, out _);
            return options;
        }
    }
}
