// Buffer: the block-move entry points ILC binds the IL cpblk/initblk expansions to.
using System.Runtime.CompilerServices;

namespace System
{
    public static unsafe class Buffer
    {
        internal static void Memmove(ref byte destination, ref byte source, nuint elementCount)
        {
            Internal.Runtime.Memory.Move(ref destination, ref source, elementCount);
        }

        internal static void Memmove<T>(ref T destination, ref T source, nuint elementCount)
        {
            SpanCopy.Move(ref destination, ref source, elementCount);
        }

        internal static void BulkMoveWithWriteBarrier(ref byte destination, ref byte source, nuint byteCount)
        {
            Internal.Runtime.Memory.Move(ref destination, ref source, byteCount);
        }

        internal static void ZeroMemory(ref byte destination, nuint byteCount)
        {
            Internal.Runtime.RuntimeImports.MemSet(Unsafe.AsPointer(ref destination), 0, byteCount);
        }

        public static void MemoryCopy(void* source, void* destination, long destinationSizeInBytes, long sourceBytesToCopy)
        {
            if (sourceBytesToCopy > destinationSizeInBytes)
            {
                Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowArgumentOutOfRangeException();
            }

            Internal.Runtime.RuntimeImports.MemMove(destination, source, (nuint)sourceBytesToCopy);
        }
    }
}
