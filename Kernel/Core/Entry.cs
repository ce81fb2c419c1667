// The managed entry point. The nasm boot stub calls KernelEntry in long mode with the Multiboot
// magic and information address. Order matters: the console and the command line need nothing;
// the page allocator needs the memory map; the heap needs pages; module initialisation (reference
// statics, eager static constructors) needs the heap; only then may objects be created.
using System.Runtime;
using Bootstage.Kernel.Console;
using Bootstage.Kernel.Memory;

namespace Bootstage.Kernel.Core
{
    internal static unsafe class Entry
    {
        [RuntimeExport("KernelEntry")]
        internal static void KernelEntry(ulong multibootInfo, uint magic)
        {
            MultibootInfo info = magic == MultibootInfo.BootloaderMagic && multibootInfo != 0
                ? new MultibootInfo((byte*)multibootInfo, null)
                : default;

            // The command line lives in loader memory the allocators may reuse: copy it first.
            Machine.CaptureCommandLine(info);
            BootOptions options = BootOptions.Parse(Machine.CommandLine);
            KernelConsole.Initialize(options.SerialConsole, options.VgaConsole);
            Log.Level = options.LogLevel;
            Log.Plain().Text("Bootstage ").Text(BootstageKernel.Version).Text(" - C# network boot stage (NativeAOT, x86-64)").End();
            if (!info.IsValid)
            {
                Log.Error("not started by a Multiboot loader (bad magic): no memory map");
            }

            Machine.BuildPageAllocator(info);
            if (!Machine.BuildHeap())
            {
                Internal.Runtime.Panic.Fail("no memory for the kernel heap");
            }

            Internal.Runtime.StartupCodeHelpers.InitializeModules();
            new BootstageKernel(info, options).Start();
            Shutdown(0);
        }

        /// <summary>Leaves the machine: QEMU's debug-exit device turns the code into its exit status.</summary>
        internal static void Shutdown(uint code)
        {
            Platform.Plugs.Exit(code);
            while (true)
            {
                Platform.Plugs.Halt();
            }
        }
    }
}
