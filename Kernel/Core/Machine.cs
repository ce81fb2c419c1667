// Machine-wide services the entry code sets up before any managed object exists: the command
// line copy, the physical page allocator and the heap. Held in non-GC statics (plain structs and
// scalars), which are usable before module initialisation.
using Bootstage.Kernel.Console;
using Bootstage.Kernel.Memory;
using Bootstage.Kernel.Platform;

namespace Bootstage.Kernel.Core
{
    internal static unsafe class Machine
    {
        private const int CommandLineCapacity = 1024;
        private const ulong FirstMegabyte = 0x100000;
        private const ulong IdentityMappedLimit = 0x100000000;

        private static PageAllocator s_pages;
        private struct CommandLineBuffer
        {
            public fixed byte Bytes[CommandLineCapacity];
        }

        private static CommandLineBuffer s_commandLine;
        private static int s_commandLineLength;
        private static ulong s_firmwareUsableBytes;
        private static ulong s_heapBytes;

        internal static PageAllocator* Pages
        {
            get
            {
                fixed (PageAllocator* pages = &s_pages)
                {
                    return pages;
                }
            }
        }

        internal static System.ReadOnlySpan<byte> CommandLine
        {
            get
            {
                fixed (byte* text = s_commandLine.Bytes)
                {
                    return new System.ReadOnlySpan<byte>(text, s_commandLineLength);
                }
            }
        }

        /// <summary>Memory the firmware map lists as available.</summary>
        internal static ulong FirmwareUsableBytes => s_firmwareUsableBytes;

        internal static ulong HeapBytes => s_heapBytes;

        /// <summary>Copies the command line out of loader memory (which the page allocator may reuse).</summary>
        internal static void CaptureCommandLine(MultibootInfo info)
        {
            byte* text = info.IsValid ? info.CommandLine : null;
            int length = info.IsValid ? info.CommandLineLength : 0;
            if (length > CommandLineCapacity)
            {
                length = CommandLineCapacity;
            }

            fixed (byte* copy = s_commandLine.Bytes)
            {
                for (int i = 0; i < length; i++)
                {
                    copy[i] = text[i];
                }
            }

            s_commandLineLength = length;
        }

        /// <summary>Feeds the firmware memory map to the page allocator, minus everything in use.</summary>
        internal static void BuildPageAllocator(MultibootInfo info)
        {
            if (info.IsValid && info.Has(MultibootInfo.FlagMemoryMap))
            {
                uint cursor = 0;
                while (info.NextMemoryRegion(ref cursor, out ulong baseAddress, out ulong length, out uint type))
                {
                    if (type != MultibootInfo.MemoryAvailable)
                    {
                        continue;
                    }

                    s_firmwareUsableBytes += length;
                    ulong end = baseAddress + length;
                    if (end > IdentityMappedLimit)
                    {
                        end = IdentityMappedLimit;
                    }

                    if (baseAddress < end && !s_pages.AddRange(baseAddress, end))
                    {
                        Log.Warn("memory map has more ranges than the page allocator holds");
                    }
                }
            }
            else if (info.IsValid && info.Has(MultibootInfo.FlagMemory))
            {
                // No map: trust mem_upper (contiguous from 1 MiB).
                ulong upper = (ulong)info.MemoryUpperKiB * 1024;
                s_firmwareUsableBytes = upper + (ulong)info.MemoryLowerKiB * 1024;
                s_pages.AddRange(FirstMegabyte, FirstMegabyte + upper);
            }

            // Low memory belongs to the BIOS, real-mode code and the OS loader we will hand over to.
            s_pages.Reserve(0, FirstMegabyte);
            s_pages.Reserve(Plugs.ImageStart(), Plugs.ImageEnd());
            if (info.IsValid)
            {
                // Loaders (QEMU -kernel) may leave the command line and loader name right after
                // the image; keep them, and the modules, out of the allocator's hands.
                ReserveString(info.CommandLine);
                ReserveString(info.LoaderName);
                for (uint i = 0; i < info.ModuleCount; i++)
                {
                    info.GetModule(i, out uint start, out uint end);
                    s_pages.Reserve(start, end);
                }
            }
        }

        private static void ReserveString(byte* text)
        {
            if (text == null)
            {
                return;
            }

            ulong length = 0;
            while (length < 4096 && text[length] != 0)
            {
                length++;
            }

            s_pages.Reserve((ulong)text, (ulong)text + length + 1);
        }

        /// <summary>Gives the heap its first region and the means to grow.</summary>
        internal static bool BuildHeap()
        {
            // A quarter of free memory, at least 4 MiB and at most 64 MiB; more is added on demand.
            ulong bytes = s_pages.FreeBytes / 4;
            if (bytes > 64UL << 20)
            {
                bytes = 64UL << 20;
            }

            if (bytes < 4UL << 20)
            {
                bytes = 4UL << 20;
            }

            if (!GrowHeap(bytes))
            {
                return false;
            }

            System.Runtime.RuntimeExports.SetHeapGrowth(&GrowHeap);
            return true;
        }

        private static bool GrowHeap(ulong atLeast)
        {
            ulong bytes = atLeast < (4UL << 20) ? (4UL << 20) : atLeast + (64 * 1024);
            uint pages = (uint)((bytes + PageAllocator.PageSize - 1) / PageAllocator.PageSize);
            ulong physical = s_pages.Allocate(pages);
            if (physical == 0)
            {
                return false;
            }

            System.Runtime.RuntimeExports.KernelHeap.AddRegion((byte*)physical, (ulong)pages * PageAllocator.PageSize);
            s_heapBytes += (ulong)pages * PageAllocator.PageSize;
            return true;
        }
    }
}
