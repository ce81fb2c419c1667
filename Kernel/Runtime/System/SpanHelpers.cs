// SpanHelpers: bulk helpers ILC binds some IL expansions to (block copies, clears and fills).
using System.Runtime.CompilerServices;

namespace System
{
    internal static unsafe class SpanHelpers
    {
        internal static void Memmove(ref byte destination, ref byte source, nuint length)
        {
            Internal.Runtime.Memory.Move(ref destination, ref source, length);
        }

        internal static void ClearWithoutReferences(ref byte destination, nuint length)
        {
            Internal.Runtime.RuntimeImports.MemSet(Unsafe.AsPointer(ref destination), 0, length);
        }

        internal static void Fill(ref byte destination, nuint count, byte value)
        {
            Internal.Runtime.RuntimeImports.MemSet(Unsafe.AsPointer(ref destination), value, count);
        }

        internal static void ClearWithReferences(ref IntPtr destination, nuint pointerCount)
        {
            Internal.Runtime.RuntimeImports.MemSet(Unsafe.AsPointer(ref destination), 0, pointerCount * (nuint)sizeof(nint));
        }
    }
}
