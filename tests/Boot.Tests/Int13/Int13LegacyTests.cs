// The classic INT 13h side of the service: CHS reads and writes through a geometry taken from
// the partition table (or 255/63), the CHS edges (sector 0, the last head, cylinder bits 8-9 in
// CL, addresses past the geometry), AH=08h/15h/00h/01h, unknown functions, drive numbering (a
// natural disk of the same number moves up and is chained renumbered, the BDA count grows),
// chaining for drives that are not ours, the gate around every served call, and the CD-ROM
// calls of an El Torito drive.
using System;
using System.Buffers.Binary;
using Bootstage.Boot.Int13;

namespace Bootstage.Boot.Tests.Int13
{
    public class Int13LegacyTests
    {
        // A partition table whose first entry ends at head 15, sector 32: a 16-head, 32-sector disk.
        private static void PartitionTable(Tests.San.AutoTarget target, byte lastHead, byte lastSector)
        {
            byte[] mbr = target.ReadBlocks(0, 1);
            mbr.AsSpan(0x1BE, 64).Clear();
            mbr[0x1BE + 4] = 0x83;
            mbr[0x1BE + 5] = lastHead;
            mbr[0x1BE + 6] = lastSector;
            mbr[0x1FE] = 0x55;
            mbr[0x1FF] = 0xAA;
            target.WriteBlocks(0, mbr);
        }

        private static Int13Registers Chs(Int13Rig rig, byte function, int count, int cylinder, int head, int sector, ushort segment)
        {
            Int13Registers registers = rig.Registers(function);
            registers.AL = (byte)count;
            registers.CH = (byte)cylinder;
            registers.CL = (byte)(sector | ((cylinder >> 2) & 0xC0));
            registers.DH = (byte)head;
            registers.Es = segment;
            registers.BX = 0;
            return registers;
        }

        [Fact]
        public void Geometry_comes_from_the_partition_table_or_is_255_by_63()
        {
            Int13Rig partitioned = new Int13Rig(blocks: 65536, prepare: target => PartitionTable(target, 15, 32));
            Assert.Equal(16, partitioned.Drive.Geometry.Heads);
            Assert.Equal(32, partitioned.Drive.Geometry.SectorsPerTrack);
            Assert.Equal(128, partitioned.Drive.Geometry.Cylinders);

            Int13Rig blank = new Int13Rig(blocks: 65536);
            Assert.Equal(255, blank.Drive.Geometry.Heads);
            Assert.Equal(63, blank.Drive.Geometry.SectorsPerTrack);
            Assert.Equal(4, blank.Drive.Geometry.Cylinders);
        }

        [Fact]
        public void A_chs_read_maps_cylinder_head_sector_to_the_right_blocks()
        {
            Int13Rig rig = new Int13Rig(blocks: 1 << 20, prepare: target => PartitionTable(target, 15, 32));

            // Cylinder 300 needs CL bits 6-7: LBA = (300 * 16 + 7) * 32 + (5 - 1).
            Int13Registers registers = rig.Invoke(Chs(rig, 0x02, 3, 300, 7, 5, 0x2000));
            Assert.False(registers.Carry);
            Assert.Equal(3, registers.AL);
            ulong lba = (300UL * 16 + 7) * 32 + 4;
            Assert.Equal(rig.Target.ReadBlocks(lba, 3), rig.Memory.Bytes.AsSpan(0x20000, 3 * 512).ToArray());
        }

        [Theory]
        [InlineData(0, 0, 0, 1)]
        [InlineData(0, 16, 1, 1)]
        [InlineData(0, 0, 33, 1)]
        [InlineData(200, 0, 1, 1)]
        [InlineData(0, 0, 1, 0)]
        public void A_chs_address_outside_the_geometry_or_a_zero_count_is_invalid(int cylinder, int head, int sector, int count)
        {
            // 65536 blocks of 16 heads x 32 sectors: cylinders 0-127.
            Int13Rig rig = new Int13Rig(blocks: 65536, prepare: target => PartitionTable(target, 15, 32));
            Int13Registers registers = rig.Invoke(Chs(rig, 0x02, count, cylinder, head, sector, 0x2000));
            Assert.True(registers.Carry);
            Assert.Equal(Int13Status.Invalid, registers.AH);
            Assert.Equal(0, registers.AL);
        }

        [Fact]
        public void A_chs_write_lands_on_the_disk()
        {
            Int13Rig rig = new Int13Rig(blocks: 65536);
            byte[] data = Tests.San.AutoTarget.RandomBytes(2 * 512, 5);
            data.CopyTo(rig.Memory.Bytes, 0x40000);
            Assert.False(rig.Invoke(Chs(rig, 0x03, 2, 1, 2, 3, 0x4000)).Carry);
            Assert.Equal(data, rig.Target.ReadBlocks((1UL * 255 + 2) * 63 + 2, 2));
        }

        [Fact]
        public void Get_parameters_reports_the_last_cylinder_head_sector_and_the_disk_count()
        {
            Int13Rig rig = new Int13Rig(blocks: 1 << 20, naturalDisks: 1, prepare: target => PartitionTable(target, 15, 32));
            Int13Registers registers = rig.Invoke(rig.Registers(0x08));
            Assert.False(registers.Carry);
            int lastCylinder = registers.CH | ((registers.CL & 0xC0) << 2);
            Assert.Equal(rig.Drive.Geometry.Cylinders - 1, lastCylinder);
            Assert.Equal(1023, lastCylinder);
            Assert.Equal(32, registers.CL & 0x3F);
            Assert.Equal(15, registers.DH);
            Assert.Equal(2, registers.DL);
        }

        [Fact]
        public void Disk_type_is_a_fixed_disk_with_its_sector_count()
        {
            Int13Rig rig = new Int13Rig(blocks: 0x12345);
            Int13Registers registers = rig.Invoke(rig.Registers(0x15));
            Assert.False(registers.Carry);
            Assert.Equal(3, registers.AH);
            Assert.Equal(0x12345u, ((uint)registers.CX << 16) | registers.DX);
        }

        [Fact]
        public void Reset_succeeds_and_an_unknown_function_is_invalid()
        {
            Int13Rig rig = new Int13Rig();
            Assert.False(rig.Invoke(rig.Registers(0x00)).Carry);
            Int13Registers unknown = rig.Invoke(rig.Registers(0x0C));
            Assert.True(unknown.Carry);
            Assert.Equal(Int13Status.Invalid, unknown.AH);
            Assert.Equal(Int13Status.Invalid, rig.Invoke(rig.Registers(0x01)).AH);
        }

        [Fact]
        public void A_drive_that_is_not_ours_is_chained_untouched()
        {
            Int13Rig rig = new Int13Rig(drive: 0x80);
            Int13Registers floppy = rig.Registers(0x02, drive: 0x00);
            Int13Registers after = rig.Invoke(floppy, Int13Disposition.Chain);
            Assert.Equal(floppy.Eax, after.Eax);
            Assert.Equal(floppy.Edx, after.Edx);
            Assert.Equal(1UL, rig.Service.Chained);
            Assert.Equal(0UL, rig.Service.Served);
        }

        [Fact]
        public void Taking_a_natural_disks_number_moves_that_disk_up_and_counts_ours()
        {
            Int13Rig rig = new Int13Rig(drive: 0x80, naturalDisks: 1);
            Assert.Equal(2, rig.Memory.Bytes[(int)Int13Service.BdaDiskCount]);

            // 0x80 is ours now; the BIOS's first disk answers as 0x81 and is reached renumbered.
            Assert.False(rig.Invoke(rig.Registers(0x00, drive: 0x80)).Carry);
            Int13Registers moved = rig.Invoke(rig.Registers(0x02, drive: 0x81), Int13Disposition.Chain);
            Assert.Equal(0x80, moved.DL);
        }

        [Fact]
        public void A_free_number_leaves_the_natural_disks_alone()
        {
            Int13Rig rig = new Int13Rig(drive: 0x81, naturalDisks: 1);
            Assert.Equal(2, rig.Memory.Bytes[(int)Int13Service.BdaDiskCount]);
            Assert.Equal(0x80, rig.Invoke(rig.Registers(0x02, drive: 0x80), Int13Disposition.Chain).DL);
        }

        [Theory]
        [InlineData(0, 0x81, 2)]
        [InlineData(1, 0x82, 3)]
        public void A_further_drive_goes_after_every_disk_the_bios_counts_and_each_reads_its_own_lun(byte naturalDisks, byte expected, byte count)
        {
            Int13Rig rig = new Int13Rig(drive: 0x80, naturalDisks: naturalDisks);
            Int13Rig other = new Int13Rig(blocks: 4096);
            byte number = rig.Service.NextFreeNumber(cdrom: false);
            Assert.Equal(expected, number);
            Assert.True(rig.Service.Hook(new Int13Drive(number, other.Device)));
            Assert.Equal(count, rig.Memory.Bytes[(int)Int13Service.BdaDiskCount]);

            // AH=08h on the further drive reports its own size and the new disk count.
            Int13Registers parameters = rig.Invoke(rig.Registers(0x08, drive: number));
            Assert.False(parameters.Carry);
            Assert.Equal(count, parameters.DL);
            Assert.Equal(expected + 1, rig.Service.NextFreeNumber(cdrom: false));
            Assert.Equal(0xE0, rig.Service.NextFreeNumber(cdrom: true));
        }

        [Fact]
        public void Unhooking_gives_the_bios_its_disk_count_and_its_first_disk_back()
        {
            Int13Rig rig = new Int13Rig(drive: 0x80, naturalDisks: 1);
            Assert.True(rig.Service.Hook(new Int13Drive(rig.Service.NextFreeNumber(cdrom: false), rig.Device)));
            Assert.Equal(3, rig.Memory.Bytes[(int)Int13Service.BdaDiskCount]);

            rig.Service.UnhookAll();

            Assert.Equal(1, rig.Memory.Bytes[(int)Int13Service.BdaDiskCount]);
            Assert.Equal(0, rig.Service.DriveCount);
            Int13Registers natural = rig.Invoke(rig.Registers(0x02, drive: 0x80), Int13Disposition.Chain);
            Assert.Equal(0x80, natural.DL);
            Int13Registers beyond = rig.Invoke(rig.Registers(0x02, drive: 0x81), Int13Disposition.Chain);
            Assert.Equal(0x81, beyond.DL);
        }

        [Fact]
        public void No_number_is_offered_once_the_drive_table_is_full()
        {
            Int13Rig rig = new Int13Rig();
            for (int i = 1; i < Int13Service.MaxDrives; i++)
            {
                Assert.True(rig.Service.Hook(new Int13Drive(rig.Service.NextFreeNumber(cdrom: false), rig.Device)));
            }

            Assert.Equal(0, rig.Service.NextFreeNumber(cdrom: false));
            Assert.Equal(0, rig.Service.NextFreeNumber(cdrom: true));
        }

        [Fact]
        public void The_gate_wraps_every_served_call_and_no_chained_one()
        {
            Int13Rig rig = new Int13Rig();
            RecordingGate gate = new RecordingGate();
            rig.Service.Gate = gate;
            rig.Invoke(rig.Registers(0x00));
            rig.Invoke(rig.Registers(0x08));
            rig.Invoke(rig.Registers(0x00, drive: 0x00), Int13Disposition.Chain);
            Assert.Equal("><><", gate.Log);
        }

        [Fact]
        public void A_cd_rom_drive_serves_2048_byte_blocks_and_its_el_torito_calls()
        {
            Int13Rig rig = new Int13Rig(blocks: 4096, blockSize: 2048, drive: 0xE0);
            rig.Drive.BootCatalogLba = 20;
            rig.Drive.BootImageLba = 30;
            rig.Drive.BootLoadSegment = 0x07C0;
            rig.Drive.BootLoadSectors = 4;

            Int13Registers chs = rig.Invoke(rig.Registers(0x02));
            Assert.Equal(Int13Status.Invalid, chs.AH);

            rig.Packet(0x600, 0x10, 3, 0x2000, 0, 100);
            Int13Registers read = rig.Registers(0x42);
            read.Esi = 0x600;
            Assert.False(rig.Invoke(read).Carry);
            Assert.Equal(rig.Target.ReadBlocks(100, 3), rig.Memory.Bytes.AsSpan(0x20000, 3 * 2048).ToArray());

            Int13Registers status = rig.Registers(0x4B);
            status.AL = 1;
            status.Esi = 0x700;
            Assert.False(rig.Invoke(status).Carry);
            ReadOnlySpan<byte> packet = rig.Memory.Bytes.AsSpan(0x700, 0x13);
            Assert.Equal(0x13, packet[0]);
            Assert.Equal(0, packet[1]);
            Assert.Equal(0xE0, packet[2]);
            Assert.Equal(30u, BinaryPrimitives.ReadUInt32LittleEndian(packet.Slice(4)));
            Assert.Equal(0x07C0, BinaryPrimitives.ReadUInt16LittleEndian(packet.Slice(12)));
            Assert.Equal(4, BinaryPrimitives.ReadUInt16LittleEndian(packet.Slice(14)));

            Span<byte> command = rig.Memory.Map(0x800, 8);
            command[0] = 8;
            command[1] = 1;
            BinaryPrimitives.WriteUInt32LittleEndian(command.Slice(2), 0x50000);
            BinaryPrimitives.WriteUInt16LittleEndian(command.Slice(6), 0);
            Int13Registers catalog = rig.Registers(0x4D);
            catalog.Esi = 0x800;
            Assert.False(rig.Invoke(catalog).Carry);
            Assert.Equal(rig.Target.ReadBlocks(20, 1), rig.Memory.Bytes.AsSpan(0x50000, 2048).ToArray());
        }

        [Fact]
        public void El_torito_calls_are_invalid_on_a_hard_disk()
        {
            Int13Rig rig = new Int13Rig();
            Int13Registers status = rig.Registers(0x4B);
            status.Esi = 0x700;
            Assert.Equal(Int13Status.Invalid, rig.Invoke(status).AH);
        }

        private sealed class RecordingGate : IInt13Gate
        {
            public string Log { get; private set; } = "";

            public void Enter() => Log += ">";

            public void Leave() => Log += "<";
        }
    }
}
