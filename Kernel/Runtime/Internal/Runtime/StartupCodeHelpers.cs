// Module initialisation: what NativeAOT's startup code does before managed code may touch
// reference-type statics. The linker gathers ILC's `__modules` section (one pointer per module to
// its ReadyToRun header); the header lists sections, of which we need the GC static region
// (allocate each class's static block, copy pre-initialised data) and the eager cctor list.
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime
{
    internal static unsafe class StartupCodeHelpers
    {
        private const uint ReadyToRunSignature = 0x00525452; // "RTR"
        private const int GCStaticRegionSection = 201;
        private const int EagerCctorSection = 205;

        // Flags in the low bits of a GC static block's MethodTable pointer.
        private const nint GCStaticUninitialized = 1;
        private const nint GCStaticHasPreInitializedData = 2;
        private const nint GCStaticMask = 3;

        private struct ReadyToRunHeader
        {
            public uint Signature;
            public ushort MajorVersion;
            public ushort MinorVersion;
            public uint Flags;
            public ushort NumberOfSections;
            public byte EntrySize;
            public byte EntryType;
        }

        private struct ModuleInfoRow
        {
            public int SectionId;
            public int Flags;
            public byte* Start;
            public byte* End;
        }

        [RuntimeImport("*", "runtime_modules_start")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern void** ModulesStart();

        [RuntimeImport("*", "runtime_modules_end")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern void** ModulesEnd();

        /// <summary>Runs once, after the heap exists and before any reference-type static is used.</summary>
        internal static void InitializeModules()
        {
            for (void** module = ModulesStart(); module < ModulesEnd(); module++)
            {
                ReadyToRunHeader* header = (ReadyToRunHeader*)*module;
                if (header == null)
                {
                    continue;
                }

                if (header->Signature != ReadyToRunSignature)
                {
                    Panic.Fail("bad ReadyToRun header signature", header->Signature);
                }

                InitializeModule(header);
            }
        }

        private static void InitializeModule(ReadyToRunHeader* header)
        {
            byte* rows = (byte*)(header + 1);
            // GC statics first: eager cctors may store into them.
            for (int pass = 0; pass < 2; pass++)
            {
                for (int i = 0; i < header->NumberOfSections; i++)
                {
                    ModuleInfoRow* row = (ModuleInfoRow*)(rows + i * header->EntrySize);
                    if (pass == 0 && row->SectionId == GCStaticRegionSection)
                    {
                        InitializeGCStatics(row->Start, row->End);
                    }
                    else if (pass == 1 && row->SectionId == EagerCctorSection)
                    {
                        RunEagerCctors(row->Start, row->End);
                    }
                }
            }
        }

        // Each entry is a 32-bit relative pointer to a static base slot. An uninitialised slot holds
        // (relative pointer to the block's MethodTable | flags), followed, when pre-initialised data
        // exists, by a relative pointer to that data. We replace the slot with the allocated object.
        private static void InitializeGCStatics(byte* start, byte* end)
        {
            for (byte* entry = start; entry < end; entry += sizeof(int))
            {
                nint* slot = (nint*)ReadRelative(entry);
                nint value = *slot;
                if ((value & GCStaticUninitialized) == 0)
                {
                    continue;
                }

                MethodTable* type = (MethodTable*)ReadRelative((byte*)slot);
                type = (MethodTable*)((nint)type & ~GCStaticMask);
                object block = RuntimeExports.RhpNewFast(type);
                if ((value & GCStaticHasPreInitializedData) != 0)
                {
                    byte* data = ReadRelative((byte*)slot + sizeof(int));
                    byte* payload = *(byte**)Unsafe.AsPointer(ref block) + sizeof(nint);
                    RuntimeImports.MemMove(payload, data, type->BaseSize - (uint)(2 * sizeof(nint)));
                }

                *slot = *(nint*)Unsafe.AsPointer(ref block);
            }
        }

        private static void RunEagerCctors(byte* start, byte* end)
        {
            for (byte* entry = start; entry < end; entry += sizeof(int))
            {
                ((delegate*<void>)ReadRelative(entry))();
            }
        }

        private static byte* ReadRelative(byte* location)
        {
            return location + *(int*)location;
        }
    }
}
