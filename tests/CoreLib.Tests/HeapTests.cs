// The kernel heap (Kernel/Runtime/Internal/Runtime/Heap.cs) over native memory: size classes,
// zeroing, reuse, coalescing, refusal of bad frees, and a randomised allocate/free soak checked
// against a shadow model.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Internal.Runtime;

namespace Bootstage.CoreLib.Tests
{
    public unsafe class HeapTests : IDisposable
    {
        private const int ArenaSize = 4 << 20;
        private readonly byte* _arena;

        public HeapTests()
        {
            _arena = (byte*)NativeMemory.AlignedAlloc(ArenaSize, 4096);
            new Span<byte>(_arena, ArenaSize).Fill(0xEE);
        }

        public void Dispose()
        {
            NativeMemory.AlignedFree(_arena);
        }

        [Fact]
        public void Allocations_are_zeroed_aligned_and_disjoint()
        {
            Heap heap = default;
            heap.AddRegion(_arena, ArenaSize);
            List<(IntPtr Address, int Size)> blocks = new();
            int[] sizes = { 1, 15, 16, 17, 100, 2048, 2049, 4096, 5000, 100000 };
            foreach (int size in sizes)
            {
                byte* block = (byte*)heap.Allocate((ulong)size);
                Assert.True(block != null);
                Assert.Equal(0UL, (ulong)block % 16);
                Assert.True(new Span<byte>(block, size).IndexOfAnyExcept((byte)0) < 0, $"size {size} zeroed");
                Assert.True(heap.UsableSize(block) >= (ulong)size);
                blocks.Add(((IntPtr)block, size));
            }

            foreach ((IntPtr a, int sizeA) in blocks)
            {
                foreach ((IntPtr b, int sizeB) in blocks)
                {
                    if (a != b)
                    {
                        Assert.True((long)a + sizeA <= (long)b || (long)b + sizeB <= (long)a, "blocks overlap");
                    }
                }
            }
        }

        [Fact]
        public void Freeing_a_pointer_that_is_not_a_live_block_is_refused()
        {
            Heap heap = default;
            heap.AddRegion(_arena, ArenaSize);
            byte* block = (byte*)heap.Allocate(64);
            Assert.False(heap.Free(block + 16));
            Assert.False(heap.Free(null));
            Assert.True(heap.Free(block));
            Assert.False(heap.Free(block));
            Assert.Equal(0UL, heap.LiveBlocks);
        }

        [Fact]
        public void Exhaustion_returns_null_and_leaves_the_heap_usable()
        {
            Heap heap = default;
            heap.AddRegion(_arena, 64 * 1024);
            Assert.True(heap.Allocate(128 * 1024) == null);
            Assert.True(heap.Allocate(1000) != null);
        }

        [Fact]
        public void Random_allocate_free_soak_matches_a_shadow_model()
        {
            Heap heap = default;
            heap.AddRegion(_arena, ArenaSize);
            Random random = new Random(1234);
            List<(IntPtr Address, int Size, byte Fill)> live = new();
            for (int step = 0; step < 20000; step++)
            {
                if (live.Count > 0 && random.Next(3) == 0)
                {
                    int index = random.Next(live.Count);
                    (IntPtr address, int size, byte fill) = live[index];
                    Assert.True(new Span<byte>((void*)address, size).IndexOfAnyExcept(fill) < 0, "contents survived");
                    Assert.True(heap.Free((void*)address));
                    live.RemoveAt(index);
                }
                else
                {
                    int size = random.Next(4) == 0 ? random.Next(2049, 20000) : random.Next(1, 2048);
                    byte* block = (byte*)heap.Allocate((ulong)size);
                    if (block == null)
                    {
                        continue;
                    }

                    byte fill = (byte)random.Next(1, 255);
                    new Span<byte>(block, size).Fill(fill);
                    live.Add(((IntPtr)block, size, fill));
                }
            }

            Assert.Equal((ulong)live.Count, heap.LiveBlocks);
            foreach ((IntPtr address, int _, byte _) in live)
            {
                Assert.True(heap.Free((void*)address));
            }

            Assert.Equal(0UL, heap.LiveBytes);
            Assert.Equal(heap.Allocations, heap.Frees);
        }
    }
}
