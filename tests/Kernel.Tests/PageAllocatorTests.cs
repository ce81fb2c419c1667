// The physical page allocator: alignment, reservations that split ranges, top-down allocation,
// merging on free, refusal of bad frees, and its fixed capacity.
using Bootstage.Kernel.Memory;

namespace Bootstage.Kernel.Tests
{
    public class PageAllocatorTests
    {
        private const ulong MiB = 1 << 20;

        [Fact]
        public void Ranges_are_shrunk_to_whole_pages_and_page_zero_is_never_managed()
        {
            PageAllocator pages = default;
            Assert.True(pages.AddRange(0, 0x9FC00));
            Assert.Equal(4096UL, pages.RangeStart(0));
            Assert.Equal(0x9F000UL, pages.RangeEnd(0));
            Assert.Equal(0x9F000UL - 4096, pages.FreeBytes);
        }

        [Fact]
        public void Reserving_the_middle_of_a_range_splits_it()
        {
            PageAllocator pages = default;
            pages.AddRange(MiB, 256 * MiB);
            pages.Reserve(2 * MiB + 100, 3 * MiB);
            Assert.Equal(2, pages.RangeCount);
            Assert.Equal(2 * MiB, pages.RangeEnd(0));
            Assert.Equal(3 * MiB, pages.RangeStart(1));
            Assert.Equal(255 * MiB - MiB, pages.FreeBytes);
            Assert.Equal(pages.FreeBytes, pages.ManagedBytes);
        }

        [Fact]
        public void Allocation_takes_the_highest_pages_that_fit_so_low_memory_stays_for_the_loader()
        {
            PageAllocator pages = default;
            pages.AddRange(MiB, 2 * MiB);
            pages.AddRange(4 * MiB, 8 * MiB);
            pages.Reserve(8 * MiB - 4096, 8 * MiB);
            ulong small = pages.Allocate(1);
            Assert.Equal(8 * MiB - 2 * 4096, small);
            ulong large = pages.Allocate(512);
            Assert.Equal(8 * MiB - 2 * 4096 - 2 * MiB, large);
            // The high range has 510 pages left; once they are gone the low range serves.
            Assert.Equal(4 * MiB, pages.Allocate(510));
            ulong low = pages.Allocate(10);
            Assert.Equal(2 * MiB - 10 * 4096, low);
            Assert.Equal(0UL, pages.Allocate(4096));
            Assert.Equal(8 * MiB - 4096, pages.HighWater);
            Assert.Equal(low, pages.LowWater);
        }

        [Fact]
        public void Freed_pages_merge_back_with_their_neighbours()
        {
            PageAllocator pages = default;
            pages.AddRange(MiB, 2 * MiB);
            ulong a = pages.Allocate(16);
            ulong b = pages.Allocate(16);
            ulong c = pages.Allocate(16);
            Assert.True(pages.Free(b, 16));
            Assert.Equal(2, pages.RangeCount);
            Assert.True(pages.Free(a, 16));
            Assert.True(pages.Free(c, 16));
            Assert.Equal(1, pages.RangeCount);
            Assert.Equal(MiB, pages.FreeBytes);
        }

        [Fact]
        public void Freeing_misaligned_or_already_free_pages_is_refused()
        {
            PageAllocator pages = default;
            pages.AddRange(MiB, 2 * MiB);
            ulong a = pages.Allocate(2);
            Assert.False(pages.Free(a + 1, 1));
            Assert.False(pages.Free(a - 4096, 1));
            Assert.True(pages.Free(a, 2));
            Assert.False(pages.Free(a, 2));
        }

        [Fact]
        public void A_full_range_table_reports_failure_instead_of_dropping_memory_silently()
        {
            PageAllocator pages = default;
            int added = 0;
            for (ulong i = 0; i < 200; i++)
            {
                if (!pages.AddRange(MiB + i * 2 * 4096, MiB + i * 2 * 4096 + 4096))
                {
                    break;
                }

                added++;
            }

            Assert.Equal(128, added);
            Assert.Equal(128UL * 4096, pages.FreeBytes);
        }
    }
}
