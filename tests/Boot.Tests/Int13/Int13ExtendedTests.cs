// The EDD 3.0 side of the INT 13h service against a SanDevice over a scripted target: AH=41h,
// the disk address packet in all its forms (segment:offset, FFFF:FFFF with a flat buffer, the
// 0xFF long count beyond 127 blocks, zero, invalid counts and sizes), reads and writes byte-exact,
// failures that report nothing transferred and never leave wrong data claimed as good, and the
// AH=48h parameter block in its 26- and 30-byte forms.
using System;
using System.Buffers.Binary;
using Bootstage.Boot.Int13;
using Bootstage.Boot.Scsi;
using Bootstage.Boot.Tests.San;

namespace Bootstage.Boot.Tests.Int13
{
    public class Int13ExtendedTests
    {
        private const ulong PacketAddress = 0x600;

        private static Int13Registers PacketCall(Int13Rig rig, byte function)
        {
            Int13Registers registers = rig.Registers(function);
            registers.Ds = 0;
            registers.Esi = (uint)PacketAddress;
            return registers;
        }

        [Fact]
        public void Extensions_check_answers_edd_3_0_with_aa55_and_its_function_set()
        {
            Int13Rig rig = new Int13Rig();
            Int13Registers registers = rig.Registers(0x41);
            registers.BX = 0x55AA;
            registers = rig.Invoke(registers);
            Assert.False(registers.Carry);
            Assert.Equal(0x30, registers.AH);
            Assert.Equal(0xAA55, registers.BX);
            Assert.Equal(0x0D, registers.CX);

            Int13Registers wrong = rig.Registers(0x41);
            wrong.BX = 0x1234;
            wrong = rig.Invoke(wrong);
            Assert.True(wrong.Carry);
            Assert.Equal(Int13Status.Invalid, wrong.AH);
        }

        [Fact]
        public void Extended_read_copies_exactly_the_blocks_the_packet_names_to_segment_offset()
        {
            Int13Rig rig = new Int13Rig();
            rig.Packet(PacketAddress, 0x10, 20, 0x2000, 0x0010, 1234);
            rig.Canary(0x20000, 21 * 512);
            Int13Registers registers = rig.Invoke(PacketCall(rig, 0x42));

            Assert.False(registers.Carry);
            Assert.Equal(0, registers.AH);
            Assert.Equal(rig.Target.ReadBlocks(1234, 20), rig.Memory.Bytes.AsSpan(0x20010, 20 * 512).ToArray());
            Assert.Equal(0xEE, rig.Memory.Bytes[0x2000F]);
            Assert.Equal(0xEE, rig.Memory.Bytes[0x20010 + 20 * 512]);
            Assert.Equal(20, rig.Memory.Bytes[PacketAddress + 2]);
        }

        [Fact]
        public void A_ffff_ffff_buffer_or_a_long_count_uses_the_64_bit_flat_buffer()
        {
            Int13Rig rig = new Int13Rig();
            const ulong High = 0x1200000;
            rig.Packet(PacketAddress, 0x18, 7, 0xFFFF, 0xFFFF, 99, flat: High);
            Assert.False(rig.Invoke(PacketCall(rig, 0x42)).Carry);
            Assert.Equal(rig.Target.ReadBlocks(99, 7), rig.Memory.Bytes.AsSpan((int)High, 7 * 512).ToArray());

            // 300 blocks through a 16 KiB bounce buffer: many pieces, one exact result.
            rig.Packet(PacketAddress, 0x20, 0xFF, 0, 0, 4000, flat: High, longCount: 300);
            Assert.False(rig.Invoke(PacketCall(rig, 0x42)).Carry);
            Assert.Equal(rig.Target.ReadBlocks(4000, 300), rig.Memory.Bytes.AsSpan((int)High, 300 * 512).ToArray());
        }

        [Theory]
        [InlineData(0x80)]
        [InlineData(0xFE)]
        public void Counts_between_128_and_254_are_invalid(byte count)
        {
            Int13Rig rig = new Int13Rig();
            rig.Packet(PacketAddress, 0x10, count, 0x2000, 0, 0);
            Int13Registers registers = rig.Invoke(PacketCall(rig, 0x42));
            Assert.True(registers.Carry);
            Assert.Equal(Int13Status.Invalid, registers.AH);
        }

        [Fact]
        public void A_zero_count_succeeds_and_transfers_nothing()
        {
            Int13Rig rig = new Int13Rig();
            int commands = rig.Target.Count(c => c.IsRead);
            rig.Packet(PacketAddress, 0x10, 0, 0x2000, 0, 5);
            Assert.False(rig.Invoke(PacketCall(rig, 0x42)).Carry);
            Assert.Equal(commands, rig.Target.Count(c => c.IsRead));
        }

        [Theory]
        [InlineData(0x00)]
        [InlineData(0x0F)]
        public void A_packet_shorter_than_16_bytes_is_invalid(byte size)
        {
            Int13Rig rig = new Int13Rig();
            rig.Packet(PacketAddress, size, 1, 0x2000, 0, 5);
            Assert.Equal(Int13Status.Invalid, rig.Invoke(PacketCall(rig, 0x42)).AH);
        }

        [Fact]
        public void A_flat_buffer_needs_a_packet_long_enough_to_hold_it()
        {
            Int13Rig rig = new Int13Rig();
            rig.Packet(PacketAddress, 0x10, 1, 0xFFFF, 0xFFFF, 5, flat: 0x1200000);
            Assert.Equal(Int13Status.Invalid, rig.Invoke(PacketCall(rig, 0x42)).AH);
        }

        [Fact]
        public void A_read_past_the_end_is_sector_not_found_with_nothing_transferred()
        {
            Int13Rig rig = new Int13Rig(blocks: 100);
            rig.Packet(PacketAddress, 0x10, 10, 0x2000, 0, 95);
            rig.Canary(0x20000, 10 * 512);
            Int13Registers registers = rig.Invoke(PacketCall(rig, 0x42));
            Assert.True(registers.Carry);
            Assert.Equal(Int13Status.SectorNotFound, registers.AH);
            Assert.Equal(0, rig.Memory.Bytes[PacketAddress + 2]);
            Assert.Equal(0xEE, rig.Memory.Bytes[0x20000]);
        }

        [Fact]
        public void A_read_the_san_device_gives_up_on_fails_with_carry_and_no_count()
        {
            Int13Rig rig = new Int13Rig();
            rig.Target.CheckCondition(c => c.IsRead && c.Lba <= 600 && c.Lba + c.Blocks > 600, SenseKey.MediumError, 0x11, 0x00);
            rig.Packet(PacketAddress, 0x10, 8, 0x2000, 0, 596);
            Int13Registers registers = rig.Invoke(PacketCall(rig, 0x42));
            Assert.True(registers.Carry);
            Assert.Equal(Int13Status.SectorNotFound, registers.AH);
            Assert.Equal(0, rig.Memory.Bytes[PacketAddress + 2]);

            // AH=01h reports the failure of the last call, and a good read clears it.
            Int13Registers status = rig.Invoke(rig.Registers(0x01));
            Assert.Equal(Int13Status.SectorNotFound, status.AH);
            rig.Packet(PacketAddress, 0x10, 1, 0x2000, 0, 10);
            Assert.False(rig.Invoke(PacketCall(rig, 0x42)).Carry);
            Assert.Equal(0, rig.Invoke(rig.Registers(0x01)).AH);
        }

        [Fact]
        public void A_target_that_stops_answering_is_a_timeout()
        {
            Int13Rig rig = new Int13Rig();
            rig.Target.Ignore(c => c.IsRead);
            rig.Packet(PacketAddress, 0x10, 1, 0x2000, 0, 10);
            Int13Registers registers = rig.Invoke(PacketCall(rig, 0x42));
            Assert.True(registers.Carry);
            Assert.Equal(Int13Status.Timeout, registers.AH);
        }

        [Fact]
        public void Extended_write_lands_on_the_disk_and_verify_and_seek_check_the_range()
        {
            Int13Rig rig = new Int13Rig();
            byte[] data = AutoTarget.RandomBytes(40 * 512, 9);
            data.CopyTo(rig.Memory.Bytes, 0x30000);
            rig.Packet(PacketAddress, 0x10, 40, 0x3000, 0, 777);
            Assert.False(rig.Invoke(PacketCall(rig, 0x43)).Carry);
            Assert.Equal(data, rig.Target.ReadBlocks(777, 40));

            foreach (byte function in new byte[] { 0x44, 0x47 })
            {
                rig.Packet(PacketAddress, 0x10, 4, 0x3000, 0, 8190);
                Assert.Equal(Int13Status.SectorNotFound, rig.Invoke(PacketCall(rig, function)).AH);
                rig.Packet(PacketAddress, 0x10, 2, 0x3000, 0, 8190);
                Assert.False(rig.Invoke(PacketCall(rig, function)).Carry);
            }
        }

        [Theory]
        [InlineData(26, 26)]
        [InlineData(30, 30)]
        [InlineData(66, 30)]
        public void Drive_parameters_fill_the_26_or_30_byte_form(int size, int filled)
        {
            Int13Rig rig = new Int13Rig(blocks: 1 << 20);
            Span<byte> buffer = rig.Memory.Map(PacketAddress, 66);
            buffer.Fill(0xEE);
            BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)size);
            Assert.False(rig.Invoke(PacketCall(rig, 0x48)).Carry);

            Assert.Equal(filled, BinaryPrimitives.ReadUInt16LittleEndian(buffer));
            Assert.Equal(0x03, BinaryPrimitives.ReadUInt16LittleEndian(buffer.Slice(2)));
            Assert.Equal((uint)rig.Drive.Geometry.Cylinders, BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(4)));
            Assert.Equal(255u, BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(8)));
            Assert.Equal(63u, BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(12)));
            Assert.Equal(1UL << 20, BinaryPrimitives.ReadUInt64LittleEndian(buffer.Slice(16)));
            Assert.Equal(512, BinaryPrimitives.ReadUInt16LittleEndian(buffer.Slice(24)));
            if (filled == 30)
            {
                Assert.Equal(0xFFFFFFFFu, BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(26)));
            }

            Assert.Equal(0xEE, buffer[filled]);
        }

        [Fact]
        public void A_disk_too_large_for_chs_says_its_geometry_is_not_valid()
        {
            Int13Rig rig = new Int13Rig(blocks: Int13Geometry.MaxChsSectors + 1);
            Span<byte> buffer = rig.Memory.Map(PacketAddress, 30);
            BinaryPrimitives.WriteUInt16LittleEndian(buffer, 30);
            Assert.False(rig.Invoke(PacketCall(rig, 0x48)).Carry);
            Assert.Equal(0x01, BinaryPrimitives.ReadUInt16LittleEndian(buffer.Slice(2)));
            Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(4)));
        }

        [Fact]
        public void A_parameter_buffer_under_26_bytes_is_invalid()
        {
            Int13Rig rig = new Int13Rig();
            BinaryPrimitives.WriteUInt16LittleEndian(rig.Memory.Map(PacketAddress, 2), 25);
            Assert.Equal(Int13Status.Invalid, rig.Invoke(PacketCall(rig, 0x48)).AH);
        }

        [Fact]
        public void A_disk_behind_a_pci_nic_describes_its_path_in_the_edd_3_device_path_information()
        {
            Int13Rig rig = new Int13Rig(blocks: 1 << 20);
            rig.Drive.Path = new Int13DevicePath(0, 3, 0, 0x0001000000000000UL);
            Span<byte> buffer = rig.Memory.Map(PacketAddress, 80);
            buffer.Fill(0xEE);
            BinaryPrimitives.WriteUInt16LittleEndian(buffer, 74);

            Assert.False(rig.Invoke(PacketCall(rig, 0x48)).Carry);

            Assert.Equal(74, BinaryPrimitives.ReadUInt16LittleEndian(buffer));
            Assert.Equal(0xBEDD, BinaryPrimitives.ReadUInt16LittleEndian(buffer.Slice(30)));
            Assert.Equal(44, buffer[32]);
            Assert.Equal("PCI ", System.Text.Encoding.ASCII.GetString(buffer.Slice(36, 4)));
            Assert.Equal("SCSI    ", System.Text.Encoding.ASCII.GetString(buffer.Slice(40, 8)));
            Assert.Equal(new byte[] { 0, 3, 0, 0xFF }, buffer.Slice(48, 4).ToArray());
            Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(buffer.Slice(56)));
            Assert.Equal(new byte[] { 0, 1, 0, 0, 0, 0, 0, 0 }, buffer.Slice(58, 8).ToArray());
            byte sum = 0;
            foreach (byte b in buffer.Slice(30, 44))
            {
                sum += b;
            }

            Assert.Equal(0, sum);
            Assert.Equal(0xEE, buffer[74]);
        }

        [Fact]
        public void Without_a_pci_path_a_74_byte_buffer_gets_the_30_byte_form()
        {
            Int13Rig rig = new Int13Rig();
            Span<byte> buffer = rig.Memory.Map(PacketAddress, 80);
            buffer.Fill(0xEE);
            BinaryPrimitives.WriteUInt16LittleEndian(buffer, 74);

            Assert.False(rig.Invoke(PacketCall(rig, 0x48)).Carry);

            Assert.Equal(30, BinaryPrimitives.ReadUInt16LittleEndian(buffer));
            Assert.Equal(0xEE, buffer[30]);
        }
    }
}
