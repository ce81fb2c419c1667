// Block copy and fill: the helpers the code generator calls for struct copies and initblk,
// and what Span.CopyTo uses for unmanaged element types. They defer to the nasm string ops.
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime
{
    internal static unsafe class Memory
    {
        internal static void Move(ref byte destination, ref byte source, nuint count)
        {
            RuntimeImports.MemMove(Unsafe.AsPointer(ref destination), Unsafe.AsPointer(ref source), count);
        }

        [RuntimeExport("RhSpanHelpers_MemCopy")]
        internal static void MemCopy(ref byte destination, ref byte source, nuint count)
        {
            RuntimeImports.MemMove(Unsafe.AsPointer(ref destination), Unsafe.AsPointer(ref source), count);
        }

        [RuntimeExport("RhSpanHelpers_MemSet")]
        internal static void MemSet(ref byte destination, byte value, nuint count)
        {
            RuntimeImports.MemSet(Unsafe.AsPointer(ref destination), value, count);
        }

        [RuntimeExport("RhSpanHelpers_MemZero")]
        internal static void MemZero(ref byte destination, nuint count)
        {
            RuntimeImports.MemSet(Unsafe.AsPointer(ref destination), 0, count);
        }

        [RuntimeExport("RhBuffer_BulkMoveWithWriteBarrier")]
        internal static void BulkMoveWithWriteBarrier(ref byte destination, ref byte source, nuint count)
        {
            RuntimeImports.MemMove(Unsafe.AsPointer(ref destination), Unsafe.AsPointer(ref source), count);
        }
    }
}
