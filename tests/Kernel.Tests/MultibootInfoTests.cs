// Reading the Multiboot information structure: flags gate each field, the memory map walk honours
// each entry's size field and stops at a malformed one.
using System;
using System.Buffers.Binary;
using Bootstage.Kernel.Memory;

namespace Bootstage.Kernel.Tests
{
    public unsafe class MultibootInfoTests
    {
        // Lays out a structure in a buffer whose offsets stand for physical addresses.
        private static byte[] Build(uint flags, string? commandLine, (ulong Base, ulong Length, uint Type)[] map, int entrySizeOverride = 0)
        {
            byte[] memory = new byte[4096];
            Span<byte> info = memory.AsSpan(0, 128);
            BinaryPrimitives.WriteUInt32LittleEndian(info, flags);
            BinaryPrimitives.WriteUInt32LittleEndian(info.Slice(4), 639);
            BinaryPrimitives.WriteUInt32LittleEndian(info.Slice(8), 261120);
            if (commandLine != null)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(info.Slice(16), 512);
                System.Text.Encoding.ASCII.GetBytes(commandLine).CopyTo(memory.AsSpan(512));
            }

            int cursor = 1024;
            foreach ((ulong baseAddress, ulong length, uint type) in map)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(memory.AsSpan(cursor), (uint)(entrySizeOverride != 0 ? entrySizeOverride : 20));
                BinaryPrimitives.WriteUInt64LittleEndian(memory.AsSpan(cursor + 4), baseAddress);
                BinaryPrimitives.WriteUInt64LittleEndian(memory.AsSpan(cursor + 12), length);
                BinaryPrimitives.WriteUInt32LittleEndian(memory.AsSpan(cursor + 20), type);
                cursor += 24;
            }

            BinaryPrimitives.WriteUInt32LittleEndian(info.Slice(44), (uint)(cursor - 1024));
            BinaryPrimitives.WriteUInt32LittleEndian(info.Slice(48), 1024);
            return memory;
        }

        [Fact]
        public void Memory_map_entries_are_walked_in_order()
        {
            byte[] memory = Build(MultibootInfo.FlagMemoryMap | MultibootInfo.FlagMemory, null, new[]
            {
                (0UL, 0x9FC00UL, 1u),
                (0x100000UL, 0xFEE0000UL, 1u),
                (0xFFFC0000UL, 0x40000UL, 2u),
            });
            fixed (byte* basePointer = memory)
            {
                MultibootInfo info = new MultibootInfo(basePointer, basePointer);
                uint cursor = 0;
                Assert.True(info.NextMemoryRegion(ref cursor, out ulong b0, out ulong l0, out uint t0));
                Assert.Equal((0UL, 0x9FC00UL, 1u), (b0, l0, t0));
                Assert.True(info.NextMemoryRegion(ref cursor, out ulong b1, out _, out _));
                Assert.Equal(0x100000UL, b1);
                Assert.True(info.NextMemoryRegion(ref cursor, out _, out _, out uint t2));
                Assert.Equal(2u, t2);
                Assert.False(info.NextMemoryRegion(ref cursor, out _, out _, out _));
                Assert.Equal(261120u, info.MemoryUpperKiB);
            }
        }

        [Fact]
        public void An_entry_whose_size_runs_past_the_map_ends_the_walk()
        {
            byte[] memory = Build(MultibootInfo.FlagMemoryMap, null, new[] { (0UL, 4096UL, 1u) }, entrySizeOverride: 4000);
            fixed (byte* basePointer = memory)
            {
                MultibootInfo info = new MultibootInfo(basePointer, basePointer);
                uint cursor = 0;
                Assert.False(info.NextMemoryRegion(ref cursor, out _, out _, out _));
            }
        }

        [Fact]
        public void Fields_whose_flag_is_clear_read_as_absent()
        {
            byte[] memory = Build(0, "ignored", Array.Empty<(ulong, ulong, uint)>());
            fixed (byte* basePointer = memory)
            {
                MultibootInfo info = new MultibootInfo(basePointer, basePointer);
                Assert.True(info.CommandLine == null);
                Assert.Equal(0, info.CommandLineLength);
                Assert.Equal(0u, info.MemoryUpperKiB);
                Assert.Equal(0u, info.ModuleCount);
            }
        }

        [Fact]
        public void The_command_line_is_found_through_its_physical_address()
        {
            byte[] memory = Build(MultibootInfo.FlagCommandLine, "/bootstage.bin loglevel=debug", Array.Empty<(ulong, ulong, uint)>());
            fixed (byte* basePointer = memory)
            {
                MultibootInfo info = new MultibootInfo(basePointer, basePointer);
                Assert.Equal("/bootstage.bin loglevel=debug", new string((sbyte*)info.CommandLine, 0, info.CommandLineLength));
            }
        }
    }
}
