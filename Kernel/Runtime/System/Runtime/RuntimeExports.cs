// Allocation and boxing helpers the code generator calls by symbol name.
// Objects come from the kernel heap (see Heap.cs), zeroed, with the MethodTable stored first.
using System;
using Internal.Runtime;
using System.Runtime.CompilerServices;

namespace System.Runtime
{
    internal static unsafe class RuntimeExports
    {
        // The one heap of the image. A struct in a non-GC static: usable before module initialisation.
        private static Heap s_heap;

        // Asked for more memory when the heap is exhausted; set by the kernel once pages exist.
        private static delegate*<ulong, bool> s_grow;

        internal static ref Heap KernelHeap => ref s_heap;

        internal static void SetHeapGrowth(delegate*<ulong, bool> grow)
        {
            s_grow = grow;
        }

        internal static void* AllocateRaw(ulong size)
        {
            void* memory = s_heap.Allocate(size);
            if (memory == null && s_grow != null && s_grow(size))
            {
                memory = s_heap.Allocate(size);
            }

            if (memory == null)
            {
                Panic.Fail("out of memory, bytes requested:", size);
            }

            return memory;
        }

        [RuntimeExport("RhpNewFast")]
        internal static object RhpNewFast(MethodTable* type)
        {
            // The base size already includes the object header word that precedes the MT pointer.
            byte* memory = (byte*)AllocateRaw(type->BaseSize);
            byte* obj = memory + sizeof(nint);
            *(MethodTable**)obj = type;
            return Unsafe.AsRef<object>(&obj);
        }

        [RuntimeExport("RhpNewFinalizable")]
        internal static object RhpNewFinalizable(MethodTable* type) => RhpNewFast(type);

        [RuntimeExport("RhNewObject")]
        internal static object RhNewObject(MethodTable* type) => RhpNewFast(type);

        [RuntimeExport("RhpNewArray")]
        internal static object RhpNewArray(MethodTable* type, int length)
        {
            if (length < 0)
            {
                Panic.Fail("negative array length");
            }

            ulong size = type->BaseSize + (ulong)length * type->ComponentSize;
            size = (size + 7) & ~7UL;
            byte* memory = (byte*)AllocateRaw(size);
            byte* obj = memory + sizeof(nint);
            *(MethodTable**)obj = type;
            *(int*)(obj + sizeof(nint)) = length;
            return Unsafe.AsRef<object>(&obj);
        }

        [RuntimeExport("RhpNewArrayFast")]
        internal static object RhpNewArrayFast(MethodTable* type, int length) => RhpNewArray(type, length);

        [RuntimeExport("RhpNewPtrArrayFast")]
        internal static object RhpNewPtrArrayFast(MethodTable* type, int length) => RhpNewArray(type, length);

        [RuntimeExport("RhNewArray")]
        internal static object RhNewArray(MethodTable* type, int length) => RhpNewArray(type, length);

        [RuntimeExport("RhNewString")]
        internal static object RhNewString(MethodTable* type, int length) => RhpNewArray(type, length);

        /// <summary>Returns an object's memory to the heap. The caller guarantees no reference remains.</summary>
        internal static bool Free(object obj)
        {
            if (obj == null)
            {
                return false;
            }

            byte* address = *(byte**)Unsafe.AsPointer(ref obj);
            return s_heap.Free(address - sizeof(nint));
        }

        [RuntimeExport("RhBox")]
        internal static object RhBox(MethodTable* type, ref byte data)
        {
            ref byte source = ref data;
            if (type->IsNullable)
            {
                // A Nullable<T> boxes to null or to a boxed T; its bool comes first.
                if (data == 0)
                {
                    return null;
                }

                source = ref Unsafe.Add(ref data, (nint)type->NullableValueOffset);
                type = type->RelatedType;
            }

            object result = RhpNewFast(type);
            byte* payload = *(byte**)Unsafe.AsPointer(ref result) + sizeof(nint);
            RuntimeImports.MemMove(payload, Unsafe.AsPointer(ref source), type->ValueTypeSize);
            return result;
        }

        [RuntimeExport("RhUnbox2")]
        internal static ref byte RhUnbox2(MethodTable* type, object obj)
        {
            if (obj == null || obj.m_pMethodTable != type)
            {
                Panic.Fail("invalid unbox");
            }

            return ref Unsafe.AddByteOffset(ref *(byte*)*(byte**)Unsafe.AsPointer(ref obj), sizeof(nint));
        }

        [RuntimeExport("RhUnboxNullable")]
        internal static void RhUnboxNullable(ref byte data, MethodTable* type, object obj)
        {
            uint valueOffset = type->NullableValueOffset;
            MethodTable* underlying = type->RelatedType;
            RuntimeImports.MemSet(Unsafe.AsPointer(ref data), 0, type->ValueTypeSize);
            if (obj == null)
            {
                return;
            }

            if (obj.m_pMethodTable != underlying)
            {
                Panic.Fail("invalid unbox to nullable");
            }

            data = 1;
            byte* payload = *(byte**)Unsafe.AsPointer(ref obj) + sizeof(nint);
            RuntimeImports.MemMove((byte*)Unsafe.AsPointer(ref data) + valueOffset, payload, underlying->ValueTypeSize);
        }

        [RuntimeExport("RhpThrowEx")]
        internal static void RhpThrowEx(object exception)
        {
            Exception ex = exception as Exception;
            Panic.Fail(ex != null ? ex.Message : "throw");
        }

        [RuntimeExport("RhpRethrow")]
        internal static void RhpRethrow()
        {
            Panic.Fail("rethrow");
        }

        [RuntimeExport("RhpFallbackFailFast")]
        internal static void RhpFallbackFailFast()
        {
            Panic.Fail("fail fast");
        }
    }
}
