// The resident canary: regions sampled at the handoff stay intact until someone writes into
// them; then the check names the first sample that changed (a sampled word anywhere in a page,
// the last word of a region), and writes between samples or outside the regions go unseen by
// design. Regions that are not memory, or too small, are refused rather than sampled.
using System;
using Bootstage.Boot.Handoff;
using Bootstage.Boot.Tests.Int13;

namespace Bootstage.Boot.Tests.Handoff
{
    public class ResidentCanaryTests
    {
        private const ulong Image = 0x10000;
        private const ulong ImageLength = 0x9C00;
        private const ulong Ibft = 0x3000;

        private static (ResidentCanary Canary, ArrayMemory Memory) Rig()
        {
            ArrayMemory memory = new ArrayMemory(1 << 20);
            new Random(7).NextBytes(memory.Bytes);
            ResidentCanary canary = new ResidentCanary(memory);
            Assert.True(canary.Add(Image, ImageLength, 4096));
            Assert.True(canary.Add(Ibft, 441, 8));
            return (canary, memory);
        }

        [Fact]
        public void Untouched_regions_pass_the_check()
        {
            (ResidentCanary canary, _) = Rig();

            Assert.True(canary.Check(out ulong at));
            Assert.Equal(0UL, at);
            Assert.Equal(10 + 1 + 55 + 1, canary.SampleCount);
        }

        [Theory]
        [InlineData(Image)]
        [InlineData(Image + 0x4000)]
        [InlineData(Image + 0x4007)]
        [InlineData(Image + ImageLength - 1)]
        [InlineData(Ibft + 200)]
        [InlineData(Ibft + 440)]
        public void A_byte_written_over_a_sample_is_named_by_its_word(ulong address)
        {
            (ResidentCanary canary, ArrayMemory memory) = Rig();

            memory.Bytes[address] ^= 0x5A;

            Assert.False(canary.Check(out ulong at));
            Assert.True(at <= address && address < at + 8, $"reported 0x{at:x} for 0x{address:x}");
        }

        [Fact]
        public void A_loader_overwriting_the_image_from_below_is_caught_at_the_first_page()
        {
            (ResidentCanary canary, ArrayMemory memory) = Rig();

            memory.Bytes.AsSpan((int)Image - 0x800, 0x1000).Clear();

            Assert.False(canary.Check(out ulong at));
            Assert.Equal(Image, at);
        }

        [Fact]
        public void Writes_outside_the_regions_are_not_its_business()
        {
            (ResidentCanary canary, ArrayMemory memory) = Rig();

            memory.Bytes.AsSpan((int)(Image + ImageLength), 0x1000).Fill(0xCC);
            memory.Bytes.AsSpan(0, (int)Ibft).Fill(0xCC);

            Assert.True(canary.Check(out _));
        }

        [Fact]
        public void Regions_that_are_not_memory_or_too_small_are_refused()
        {
            ArrayMemory memory = new ArrayMemory(1 << 16);
            ResidentCanary canary = new ResidentCanary(memory);

            Assert.False(canary.Add(0xF000, 0x2000, 4096));
            Assert.False(canary.Add(0x1000, 4, 8));
            Assert.False(canary.Add(0x1000, 64, 12));
            Assert.Equal(0, canary.SampleCount);
            Assert.True(canary.Check(out _));
        }

        [Fact]
        public void A_region_needing_more_samples_than_the_table_holds_is_refused_whole()
        {
            ArrayMemory memory = new ArrayMemory(1 << 20);
            ResidentCanary canary = new ResidentCanary(memory);

            Assert.False(canary.Add(0, 1 << 20, 8));
            Assert.Equal(0, canary.SampleCount);
            Assert.True(canary.Add(0, 1 << 20, 4096));
            Assert.Equal(257, canary.SampleCount);
        }
    }
}
