// INT 15h memory calls answered from the hidden map: E820h walks it entry by entry with EBX as
// the continuation and 0 after the last, 24-byte requests get the ACPI 3 attributes, a wrong
// signature or a short buffer is refused with CF; E801h and 88h report only the gap-free usable
// memory above 1 MiB, so the hidden range is out of reach of every call; anything else chains.
using System;
using System.Buffers.Binary;
using Bootstage.Boot.Handoff;
using Bootstage.Boot.Int13;
using Bootstage.Boot.Tests.Int13;

namespace Bootstage.Boot.Tests.Handoff
{
    public class Int15ServiceTests
    {
        private const ulong Hidden = 0xE000000;
        private const ulong HiddenLength = 0x1000000;

        private static (Int15Service Service, ArrayMemory Memory, E820Map Map) Rig()
        {
            E820Map map = E820MapTests.QemuMap();
            Assert.True(map.Hide(Hidden, HiddenLength));
            ArrayMemory memory = new ArrayMemory(1 << 20);
            return (new Int15Service(map, memory), memory, map);
        }

        private static Int13Registers E820(uint continuation, uint size = 20)
        {
            Int13Registers registers = default;
            registers.Eax = 0xE820;
            registers.Edx = Int15Service.Smap;
            registers.Ebx = continuation;
            registers.Ecx = size;
            registers.Es = 0x0800;
            registers.Edi = 0;
            return registers;
        }

        [Fact]
        public void E820_walks_every_entry_and_ends_with_continuation_zero()
        {
            (Int15Service service, ArrayMemory memory, E820Map map) = Rig();
            uint continuation = 0;
            int seen = 0;
            bool hiddenSeen = false;
            do
            {
                Int13Registers registers = E820(continuation);
                Assert.Equal(Int13Disposition.Handled, service.Handle(ref registers));
                Assert.False(registers.Carry);
                Assert.Equal(Int15Service.Smap, registers.Eax);
                Assert.Equal(20u, registers.Ecx);
                ulong start = BinaryPrimitives.ReadUInt64LittleEndian(memory.Bytes.AsSpan(0x8000));
                ulong length = BinaryPrimitives.ReadUInt64LittleEndian(memory.Bytes.AsSpan(0x8008));
                uint type = BinaryPrimitives.ReadUInt32LittleEndian(memory.Bytes.AsSpan(0x8010));
                Assert.Equal(map[seen].Base, start);
                Assert.Equal(map[seen].Length, length);
                Assert.Equal(map[seen].Type, type);
                hiddenSeen |= start <= Hidden && start + length >= Hidden + HiddenLength && type == E820Entry.Reserved;
                continuation = registers.Ebx;
                seen++;
            }
            while (continuation != 0 && seen < 100);

            Assert.Equal(map.Count, seen);
            Assert.True(hiddenSeen);
        }

        [Fact]
        public void A_24_byte_request_gets_the_acpi_3_valid_attribute()
        {
            (Int15Service service, ArrayMemory memory, _) = Rig();
            memory.Bytes.AsSpan(0x8000, 24).Fill(0xEE);
            Int13Registers registers = E820(0, 24);
            service.Handle(ref registers);
            Assert.Equal(24u, registers.Ecx);
            Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(memory.Bytes.AsSpan(0x8014)));
        }

        [Theory]
        [InlineData(0x12345678u, 20u, 0u)]
        [InlineData(Int15Service.Smap, 19u, 0u)]
        [InlineData(Int15Service.Smap, 20u, 500u)]
        public void A_wrong_signature_a_short_buffer_or_a_bad_continuation_is_refused(uint signature, uint size, uint continuation)
        {
            (Int15Service service, _, _) = Rig();
            Int13Registers registers = E820(continuation, size);
            registers.Edx = signature;
            service.Handle(ref registers);
            Assert.True(registers.Carry);
            Assert.Equal(0x86, registers.AH);
        }

        [Fact]
        public void E801_and_88_count_only_usable_memory_below_the_hidden_range()
        {
            (Int15Service service, _, _) = Rig();
            Int13Registers e801 = default;
            e801.Eax = 0xE801;
            service.Handle(ref e801);
            Assert.False(e801.Carry);
            Assert.Equal(15u * 1024, e801.Eax & 0xFFFF);
            Assert.Equal(15u * 1024, e801.Ecx & 0xFFFF);
            Assert.Equal((uint)((Hidden - 0x1000000) / 65536), e801.Ebx & 0xFFFF);
            Assert.Equal(e801.Ebx & 0xFFFF, e801.Edx & 0xFFFF);

            Int13Registers legacy = default;
            legacy.AH = 0x88;
            service.Handle(ref legacy);
            Assert.False(legacy.Carry);
            Assert.Equal(0xFFFFu, legacy.Eax & 0xFFFF);
        }

        [Fact]
        public void Other_int15_calls_are_chained()
        {
            (Int15Service service, _, _) = Rig();
            Int13Registers registers = default;
            registers.AH = 0xC0;
            Assert.Equal(Int13Disposition.Chain, service.Handle(ref registers));
        }
    }
}
