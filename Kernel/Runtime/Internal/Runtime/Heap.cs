// The kernel heap: size classes for small blocks, an address-ordered first-fit free list with
// coalescing for large ones. No GC runs in the image, so long-lived driver state is allocated up
// front and buffers that come and go are returned with Free. All memory handed out is zeroed,
// which object allocation relies on.
//
// The same source is compiled into the .NET test project and exercised over native memory there.
namespace Internal.Runtime
{
    internal unsafe struct Heap
    {
        // Every block starts with a 16-byte header, which keeps payloads 16-byte aligned (SSE spills).
        private const uint HeaderSize = 16;
        private const uint LiveMagic = 0xB10C0A11;
        private const uint FreeMagic = 0xF4EEB10C;
        private const uint LargeClass = 0xFF;
        private const int ClassCount = 12;
        private const uint MinLargeSplit = 64;
        private const uint RefillBytes = 16 * 1024;

        private struct BlockHeader
        {
            public uint Magic;
            public uint SizeClass;
            public ulong Size; // total block size including this header
        }

        private struct FreeRun
        {
            public BlockHeader Header;
            public FreeRun* Next;
        }

        private fixed ulong _classHeads[ClassCount];
        private FreeRun* _runs;
        private ulong _totalBytes;
        private ulong _liveBytes;
        private ulong _liveBlocks;
        private ulong _allocations;
        private ulong _frees;

        public ulong TotalBytes => _totalBytes;

        public ulong LiveBytes => _liveBytes;

        public ulong LiveBlocks => _liveBlocks;

        public ulong Allocations => _allocations;

        public ulong Frees => _frees;

        // Payload capacity of each size class.
        private static uint ClassPayload(int sizeClass)
        {
            switch (sizeClass)
            {
                case 0: return 16;
                case 1: return 32;
                case 2: return 48;
                case 3: return 64;
                case 4: return 96;
                case 5: return 128;
                case 6: return 192;
                case 7: return 256;
                case 8: return 512;
                case 9: return 1024;
                case 10: return 2048;
                default: return 4096;
            }
        }

        private static int ClassFor(ulong payload)
        {
            for (int i = 0; i < ClassCount; i++)
            {
                if (payload <= ClassPayload(i))
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>Gives the heap a region of memory; regions need not be contiguous.</summary>
        public void AddRegion(byte* start, ulong length)
        {
            ulong aligned = ((ulong)start + 15) & ~15UL;
            ulong end = ((ulong)start + length) & ~15UL;
            if (end <= aligned || end - aligned < HeaderSize + MinLargeSplit)
            {
                return;
            }

            _totalBytes += end - aligned;
            InsertRun((FreeRun*)aligned, end - aligned);
        }

        /// <summary>Allocates zeroed memory; returns null when the heap is exhausted.</summary>
        public void* Allocate(ulong size)
        {
            if (size == 0)
            {
                size = 1;
            }

            int sizeClass = ClassFor(size);
            BlockHeader* block;
            if (sizeClass >= 0)
            {
                block = TakeFromClass(sizeClass);
                if (block == null)
                {
                    return null;
                }
            }
            else
            {
                ulong total = (size + HeaderSize + 15) & ~15UL;
                block = TakeRun(total);
                if (block == null)
                {
                    return null;
                }

                block->SizeClass = LargeClass;
            }

            block->Magic = LiveMagic;
            byte* payload = (byte*)block + HeaderSize;
            Zero(payload, block->Size - HeaderSize);
            _liveBytes += block->Size;
            _liveBlocks++;
            _allocations++;
            return payload;
        }

        /// <summary>Returns a block. False (and nothing changed) for a pointer that is not a live block.</summary>
        public bool Free(void* payload)
        {
            if (payload == null)
            {
                return false;
            }

            BlockHeader* block = (BlockHeader*)((byte*)payload - HeaderSize);
            if (block->Magic != LiveMagic)
            {
                return false;
            }

            block->Magic = FreeMagic;
            _liveBytes -= block->Size;
            _liveBlocks--;
            _frees++;
            if (block->SizeClass == LargeClass)
            {
                InsertRun((FreeRun*)block, block->Size);
            }
            else
            {
                FreeRun* run = (FreeRun*)block;
                run->Next = (FreeRun*)_classHeads[block->SizeClass];
                _classHeads[block->SizeClass] = (ulong)run;
            }

            return true;
        }

        /// <summary>The payload size a live block can hold (its size class), or 0 if not live.</summary>
        public ulong UsableSize(void* payload)
        {
            BlockHeader* block = (BlockHeader*)((byte*)payload - HeaderSize);
            return block->Magic == LiveMagic ? block->Size - HeaderSize : 0;
        }

        /// <summary>Bytes in free runs (not counting blocks parked on size-class lists).</summary>
        public ulong FreeRunBytes
        {
            get
            {
                ulong total = 0;
                for (FreeRun* run = _runs; run != null; run = run->Next)
                {
                    total += run->Header.Size;
                }

                return total;
            }
        }

        /// <summary>Number of separate free runs: 1 after everything large was freed means coalescing works.</summary>
        public int FreeRunCount
        {
            get
            {
                int count = 0;
                for (FreeRun* run = _runs; run != null; run = run->Next)
                {
                    count++;
                }

                return count;
            }
        }

        private BlockHeader* TakeFromClass(int sizeClass)
        {
            FreeRun* head = (FreeRun*)_classHeads[sizeClass];
            if (head == null)
            {
                Refill(sizeClass);
                head = (FreeRun*)_classHeads[sizeClass];
                if (head == null)
                {
                    return null;
                }
            }

            _classHeads[sizeClass] = (ulong)head->Next;
            return &head->Header;
        }

        // Carves a chunk from the free runs into blocks of one size class.
        private void Refill(int sizeClass)
        {
            ulong blockSize = ClassPayload(sizeClass) + HeaderSize;
            ulong chunk = RefillBytes;
            if (chunk < blockSize * 4)
            {
                chunk = blockSize * 4;
            }

            BlockHeader* region = TakeRun(chunk);
            if (region == null)
            {
                region = TakeRun(blockSize);
                if (region == null)
                {
                    return;
                }
            }

            ulong regionSize = region->Size;
            ulong count = regionSize / blockSize;
            for (ulong i = count; i > 0; i--)
            {
                FreeRun* block = (FreeRun*)((byte*)region + (i - 1) * blockSize);
                block->Header.Magic = FreeMagic;
                block->Header.SizeClass = (uint)sizeClass;
                block->Header.Size = blockSize;
                block->Next = (FreeRun*)_classHeads[sizeClass];
                _classHeads[sizeClass] = (ulong)block;
            }

            // The tail that does not make a whole block goes back to the runs.
            ulong used = count * blockSize;
            if (regionSize - used >= HeaderSize + MinLargeSplit)
            {
                InsertRun((FreeRun*)((byte*)region + used), regionSize - used);
            }
        }

        // First fit; splits when the remainder is worth keeping.
        private BlockHeader* TakeRun(ulong total)
        {
            FreeRun* previous = null;
            for (FreeRun* run = _runs; run != null; previous = run, run = run->Next)
            {
                ulong size = run->Header.Size;
                if (size < total)
                {
                    continue;
                }

                FreeRun* next = run->Next;
                if (size - total >= HeaderSize + MinLargeSplit)
                {
                    FreeRun* rest = (FreeRun*)((byte*)run + total);
                    rest->Header.Magic = FreeMagic;
                    rest->Header.SizeClass = LargeClass;
                    rest->Header.Size = size - total;
                    rest->Next = next;
                    next = rest;
                    size = total;
                }

                if (previous == null)
                {
                    _runs = next;
                }
                else
                {
                    previous->Next = next;
                }

                run->Header.Size = size;
                return &run->Header;
            }

            return null;
        }

        // Address-ordered insert that merges with both neighbours.
        private void InsertRun(FreeRun* block, ulong size)
        {
            block->Header.Magic = FreeMagic;
            block->Header.SizeClass = LargeClass;
            block->Header.Size = size;

            FreeRun* previous = null;
            FreeRun* next = _runs;
            while (next != null && next < block)
            {
                previous = next;
                next = next->Next;
            }

            block->Next = next;
            if (next != null && (byte*)block + block->Header.Size == (byte*)next)
            {
                block->Header.Size += next->Header.Size;
                block->Next = next->Next;
            }

            if (previous == null)
            {
                _runs = block;
            }
            else if ((byte*)previous + previous->Header.Size == (byte*)block)
            {
                previous->Header.Size += block->Header.Size;
                previous->Next = block->Next;
            }
            else
            {
                previous->Next = block;
            }
        }

        private static void Zero(byte* start, ulong count)
        {
            ulong* words = (ulong*)start;
            ulong wordCount = count / 8;
            for (ulong i = 0; i < wordCount; i++)
            {
                words[i] = 0;
            }

            for (ulong i = wordCount * 8; i < count; i++)
            {
                start[i] = 0;
            }
        }
    }
}
