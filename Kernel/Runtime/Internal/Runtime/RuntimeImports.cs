// The native entry points the core library itself needs (nasm, Kernel/Native/plugs.asm).
// The kernel's platform plugs bind to the same symbols through their own wrappers.
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime
{
    internal static unsafe class RuntimeImports
    {
        [RuntimeImport("*", "plug_outb")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void OutByte(ushort port, byte value);

        [RuntimeImport("*", "plug_inb")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern byte InByte(ushort port);

        [RuntimeImport("*", "plug_mfence")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void MemoryFence();

        [RuntimeImport("*", "plug_exit")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void Exit(uint code);

        [RuntimeImport("*", "memmove")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void* MemMove(void* destination, void* source, nuint count);

        [RuntimeImport("*", "memset")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        internal static extern void* MemSet(void* destination, int value, nuint count);
    }
}
