// Bindings to the nasm plugs (Kernel/Native/plugs.asm). Each binds a C# signature straight to an
// assembly symbol with the System V ABI: no marshalling, no transition frame. Only
// BareMetalPlatform and the kernel's own hardware services call these.
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Bootstage.Kernel.Platform
{
    internal static unsafe class Plugs
    {
        [RuntimeImport("*", "plug_cpuid")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern int Cpuid(uint leaf, uint subleaf, uint* registers);

        [RuntimeImport("*", "plug_rdmsr")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern int ReadMsr(uint msr, ulong* value);

        [RuntimeImport("*", "plug_wrmsr")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern int WriteMsr(uint msr, ulong value);

        [RuntimeImport("*", "plug_inb")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern byte InByte(ushort port);

        [RuntimeImport("*", "plug_inw")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern ushort InWord(ushort port);

        [RuntimeImport("*", "plug_inl")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern uint InDword(ushort port);

        [RuntimeImport("*", "plug_outb")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void OutByte(ushort port, byte value);

        [RuntimeImport("*", "plug_outw")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void OutWord(ushort port, ushort value);

        [RuntimeImport("*", "plug_outl")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void OutDword(ushort port, uint value);

        [RuntimeImport("*", "plug_rdtsc")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern ulong ReadTimestampCounter();

        [RuntimeImport("*", "plug_pause")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void Pause();

        [RuntimeImport("*", "plug_hlt")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void Halt();

        [RuntimeImport("*", "plug_exit")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void Exit(uint code);

        [RuntimeImport("*", "plug_hypercall")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern ulong Hypercall(ulong control, ulong inputPhysical, ulong outputPhysical, void* hypercallPage);

        [RuntimeImport("*", "native_realmode_install")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void RealModeInstall(ulong baseAddress);

        [RuntimeImport("*", "native_realmode_call")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void RealModeCall(uint vector, void* registers);

        [RuntimeImport("*", "native_realmode_hook")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void RealModeHook(uint vector);

        [RuntimeImport("*", "native_realmode_unhook")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void RealModeUnhook(uint vector);

        [RuntimeImport("*", "native_realmode_boot")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void RealModeBoot(uint drive, uint entry);

        [RuntimeImport("*", "native_realmode_blob_size")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern ulong RealModeBlobSize();

        [RuntimeImport("*", "plug_read_cr2")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern ulong ReadCr2();

        [RuntimeImport("*", "runtime_image_end")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern ulong ImageEnd();

        [RuntimeImport("*", "runtime_readonly_end")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern ulong ReadOnlyEnd();

        [RuntimeImport("*", "runtime_image_start")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern ulong ImageStart();
    }
}
