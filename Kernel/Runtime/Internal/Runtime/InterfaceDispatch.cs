// Interface dispatch. Every interface call site calls through a 16-byte dispatch cell
// {stub, cache} with the cell's address in r11. ILC emits each cell pointing at the nasm stub
// RhpInitialDynamicInterfaceDispatch, the cache word holding a 32-bit relative pointer to the
// interface's MethodTable tagged with flag bits, and ends each run of cells with a terminator
// cell {0, slot}. The stub calls Resolve, which walks the object's dispatch maps to the
// implementation and turns the cell into a monomorphic cache: the cell then points at
// RhpInterfaceDispatchCached with its cache word aimed at a CacheEntry, so later calls with the
// same receiver type jump straight to the target.
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime
{
    internal static unsafe class InterfaceDispatch
    {
        private const nint CachePointerMask = 3;
        private const nint InterfacePointer = 1;
        private const nint IndirectedInterfaceRelativePointer = 2;
        private const nint InterfaceRelativePointer = 3;

        private struct Cell
        {
            public nint Stub;
            public nint Cache;
        }

        private struct CacheEntry
        {
            public MethodTable* Type;
            public nint Target;
            public MethodTable* Interface;
            public nint Slot;
        }

        private struct DispatchMapHeader
        {
            public ushort StandardEntryCount;
            public ushort DefaultEntryCount;
            public ushort StandardStaticEntryCount;
            public ushort DefaultStaticEntryCount;
        }

        private struct DispatchMapEntry
        {
            public ushort InterfaceIndex;
            public ushort InterfaceMethodSlot;
            public ushort ImplementationSlot;
        }

        // Resolutions performed (cache misses), for diagnostics and the self-tests.
        internal static ulong Misses;

        [RuntimeImport("*", "runtime_cached_dispatch_stub")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern nint CachedDispatchStub();

        [RuntimeExport("RhpResolveInterfaceDispatch")]
        internal static nint Resolve(object obj, nint cellAddress)
        {
            Cell* cell = (Cell*)cellAddress;
            MethodTable* type = obj.m_pMethodTable;
            nint cachedStub = CachedDispatchStub();
            CacheEntry* entry;
            if (cell->Stub == cachedStub)
            {
                entry = (CacheEntry*)cell->Cache;
            }
            else
            {
                entry = (CacheEntry*)RuntimeExports.AllocateRaw((ulong)sizeof(CacheEntry));
                entry->Interface = DecodeInterface(cell);
                entry->Slot = DecodeSlot(cell);
            }

            nint target = FindImplementation(type, entry->Interface, (ushort)entry->Slot);
            if (target == 0)
            {
                Panic.Fail("no implementation for interface slot", (ulong)entry->Slot);
            }

            Misses++;
            entry->Type = type;
            entry->Target = target;
            cell->Cache = (nint)entry;
            cell->Stub = cachedStub;
            return target;
        }

        private static MethodTable* DecodeInterface(Cell* cell)
        {
            nint value = cell->Cache;
            byte* cacheWord = (byte*)&cell->Cache;
            switch (value & CachePointerMask)
            {
                case InterfacePointer:
                    return (MethodTable*)(value & ~CachePointerMask);
                case InterfaceRelativePointer:
                    return (MethodTable*)((nint)(cacheWord + *(int*)cacheWord) & ~CachePointerMask);
                case IndirectedInterfaceRelativePointer:
                    return *(MethodTable**)((nint)(cacheWord + *(int*)cacheWord) & ~CachePointerMask);
                default:
                    Panic.Fail("unknown dispatch cell format", (ulong)value);
                    return null;
            }
        }

        // The slot is kept once per run of cells, in the terminator cell whose stub is null.
        private static nint DecodeSlot(Cell* cell)
        {
            Cell* current = cell;
            while (current->Stub != 0)
            {
                current++;
            }

            return (ushort)current->Cache;
        }

        /// <summary>Finds the code for (interface, slot) on a type; 0 when the type does not implement it.</summary>
        internal static nint FindImplementation(MethodTable* type, MethodTable* interfaceType, ushort slot)
        {
            for (MethodTable* current = type; current != null; current = current->RelatedType)
            {
                if (!current->HasDispatchMap)
                {
                    continue;
                }

                int interfaceIndex = -1;
                MethodTable** map = current->InterfaceMap;
                for (int i = 0; i < current->NumInterfaces; i++)
                {
                    if (map[i] == interfaceType)
                    {
                        interfaceIndex = i;
                        break;
                    }
                }

                if (interfaceIndex < 0)
                {
                    continue;
                }

                DispatchMapHeader* header = DispatchMapOf(current);
                DispatchMapEntry* entries = (DispatchMapEntry*)(header + 1);
                for (int i = 0; i < header->StandardEntryCount; i++)
                {
                    if (entries[i].InterfaceIndex == interfaceIndex && entries[i].InterfaceMethodSlot == slot)
                    {
                        ushort implementation = entries[i].ImplementationSlot;
                        if (implementation < type->NumVtableSlots)
                        {
                            // The receiver's own vtable: a derived override of the implementing method wins.
                            return type->VTable[implementation];
                        }

                        return SealedSlot(current, implementation - current->NumVtableSlots);
                    }
                }
            }

            return 0;
        }

        // After the interface map come 32-bit relative pointers: type manager, writable data, then the
        // dispatch map (present because the type's flag says so).
        private static DispatchMapHeader* DispatchMapOf(MethodTable* type)
        {
            byte* field = (byte*)(type->InterfaceMap + type->NumInterfaces) + 2 * sizeof(int);
            return (DispatchMapHeader*)(field + *(int*)field);
        }

        private static nint SealedSlot(MethodTable* type, int index)
        {
            if (!type->HasSealedVirtuals)
            {
                Panic.Fail("implementation slot beyond vtable without sealed slots", (ulong)index);
            }

            // Sealed virtual slots follow the dispatch map pointer (and the finalizer, when present).
            byte* field = (byte*)(type->InterfaceMap + type->NumInterfaces) + 3 * sizeof(int);
            if (type->HasFinalizer)
            {
                field += sizeof(int);
            }

            int* slots = (int*)(field + *(int*)field);
            return (nint)((byte*)&slots[index] + slots[index]);
        }
    }
}
