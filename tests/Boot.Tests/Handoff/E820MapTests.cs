// Hiding ranges in the firmware memory map: a range inside one usable entry splits it in three,
// ranges across several entries and holes only change usable memory, reserved and ACPI entries
// stay as they were, neighbours of one type merge, a full map refuses instead of corrupting, and
// the gap-free usable run from 1 MiB ends where the first hidden range begins.
using Bootstage.Boot.Handoff;

namespace Bootstage.Boot.Tests.Handoff
{
    public class E820MapTests
    {
        // What SeaBIOS reports for a 256 MiB QEMU machine.
        public static E820Map QemuMap()
        {
            E820Map map = new E820Map();
            Assert.True(map.Add(0x100000, 0xFEE0000, 1));
            Assert.True(map.Add(0x0, 0x9FC00, 1));
            Assert.True(map.Add(0x9FC00, 0x400, 2));
            Assert.True(map.Add(0xF0000, 0x10000, 2));
            Assert.True(map.Add(0xFFE0000, 0x20000, 2));
            Assert.True(map.Add(0xFFFC0000, 0x40000, 2));
            return map;
        }

        private static (ulong Base, ulong Length, uint Type)[] Entries(E820Map map)
        {
            var entries = new (ulong, ulong, uint)[map.Count];
            for (int i = 0; i < map.Count; i++)
            {
                entries[i] = (map[i].Base, map[i].Length, map[i].Type);
            }

            return entries;
        }

        [Fact]
        public void Entries_are_kept_sorted_by_base_whatever_order_they_come_in()
        {
            E820Map map = QemuMap();
            for (int i = 1; i < map.Count; i++)
            {
                Assert.True(map[i - 1].Base < map[i].Base);
            }

            Assert.Equal(0UL, map[0].Base);
        }

        [Fact]
        public void A_range_inside_a_usable_entry_splits_it_in_three()
        {
            E820Map map = QemuMap();
            Assert.True(map.Hide(0xC000000, 0x2000000));
            Assert.Contains((0x100000UL, 0xBF00000UL, 1u), Entries(map));
            Assert.Contains((0xC000000UL, 0x2000000UL, 2u), Entries(map));
            Assert.Contains((0xE000000UL, 0x1FE0000UL, 1u), Entries(map));
        }

        [Fact]
        public void Hiding_the_top_of_ram_merges_with_the_reserved_entry_after_it()
        {
            E820Map map = QemuMap();
            Assert.True(map.Hide(0xF000000, 0xFE0000));
            Assert.Contains((0xF000000UL, 0x1000000UL, 2u), Entries(map));
            Assert.Contains((0x100000UL, 0xEF00000UL, 1u), Entries(map));
        }

        [Fact]
        public void Only_usable_memory_changes_and_holes_stay_holes()
        {
            E820Map map = QemuMap();
            Assert.True(map.Hide(0x90000, 0x80000));
            (ulong, ulong, uint)[] entries = Entries(map);
            Assert.Contains((0x0UL, 0x90000UL, 1u), entries);
            Assert.Contains((0x90000UL, 0x10000UL, 2u), entries);
            // The BIOS area and the hidden start of high memory touch: one reserved entry.
            Assert.Contains((0xF0000UL, 0x20000UL, 2u), entries);
            Assert.Contains((0x110000UL, 0xFED0000UL, 1u), entries);

            // Nothing appeared in the hole between 640 KiB and the BIOS area.
            foreach ((ulong start, ulong length, uint _) in entries)
            {
                Assert.False(start < 0xF0000 && start + length > 0xA0000);
            }
        }

        [Fact]
        public void Acpi_entries_are_not_touched()
        {
            E820Map map = new E820Map();
            map.Add(0x100000, 0x1000000, 1);
            map.Add(0x1100000, 0x10000, 3);
            Assert.True(map.Hide(0x1000000, 0x200000));
            Assert.Contains((0x1100000UL, 0x10000UL, 3u), Entries(map));
            Assert.Contains((0x1000000UL, 0x100000UL, 2u), Entries(map));
        }

        [Fact]
        public void A_map_that_cannot_take_the_split_refuses_and_stays_as_it_was()
        {
            E820Map map = new E820Map();
            for (int i = 0; i < E820Map.Capacity; i++)
            {
                Assert.True(map.Add((ulong)i * 0x200000, 0x100000, (uint)(1 + i % 2)));
            }

            Assert.False(map.Add(0x40000000, 0x1000, 1));
            (ulong, ulong, uint)[] before = Entries(map);
            Assert.False(map.Hide(0x40000, 0x10000));
            Assert.Equal(before, Entries(map));
        }

        [Fact]
        public void The_usable_run_from_1_mib_stops_at_the_first_hidden_range()
        {
            E820Map map = QemuMap();
            Assert.Equal(0xFEE0000UL, map.UsableRunFrom(0x100000));
            map.Hide(0x8000000, 0x1000);
            Assert.Equal(0x7F00000UL, map.UsableRunFrom(0x100000));
        }
    }
}
