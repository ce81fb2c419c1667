// Test rig for the INT 13h service: a SanDevice over an AutoTarget, guest "physical memory" as a
// byte array (the first MiB is real-mode memory, the BDA included), and helpers that build the
// register images and packets a boot loader would.
using System;
using System.Buffers.Binary;
using Bootstage.Boot.Int13;
using Bootstage.Boot.San;
using Bootstage.Boot.Tests.San;

namespace Bootstage.Boot.Tests.Int13
{
    internal sealed class ArrayMemory : IRealModeMemory
    {
        public ArrayMemory(int size)
        {
            Bytes = new byte[size];
        }

        public byte[] Bytes { get; }

        public Span<byte> Map(ulong physicalAddress, int length)
        {
            if (length < 0 || physicalAddress > (ulong)Bytes.Length || (ulong)length > (ulong)Bytes.Length - physicalAddress)
            {
                return default;
            }

            return new Span<byte>(Bytes, (int)physicalAddress, length);
        }
    }

    internal sealed class Int13Rig
    {
        public const int MemorySize = 24 << 20;

        public Int13Rig(ulong blocks = 8192, uint blockSize = 512, byte drive = 0x80, byte naturalDisks = 0, Action<AutoTarget>? prepare = null)
        {
            Target = new AutoTarget(blocks, blockSize, imageBlocks: blocks > 65536 ? 65536UL : null);
            prepare?.Invoke(Target);
            Device = SanTestKit.Opened(Target);
            Device.ReadAheadBytes = 0;
            Memory = new ArrayMemory(MemorySize);
            Memory.Bytes[(int)Int13Service.BdaDiskCount] = naturalDisks;
            Service = new Int13Service(Memory);
            Drive = new Int13Drive(drive, Device, 16 * 1024);
            byte[] block0 = new byte[blockSize];
            Assert.Equal(Bootstage.Boot.Iscsi.IscsiStatus.Success, Device.Read(0, 1, block0, 0));
            Drive.Geometry = Int13Geometry.Guess(block0, blocks * blockSize / 512);
            Assert.True(Service.Hook(Drive));
        }

        public AutoTarget Target { get; }

        public SanDevice Device { get; }

        public ArrayMemory Memory { get; }

        public Int13Service Service { get; }

        public Int13Drive Drive { get; }

        public Int13Registers Registers(byte function, byte? drive = null)
        {
            Int13Registers registers = default;
            registers.AH = function;
            registers.DL = drive ?? Drive.Number;
            return registers;
        }

        public Int13Registers Invoke(Int13Registers registers, Int13Disposition expected = Int13Disposition.Handled)
        {
            Assert.Equal(expected, Service.Handle(ref registers));
            return registers;
        }

        /// <summary>Writes a disk address packet at <paramref name="address"/> (below 64 KiB, so DS = 0 and SI = address).</summary>
        public void Packet(ulong address, byte size, byte count, ushort segment, ushort offset, ulong lba, ulong flat = 0, uint longCount = 0)
        {
            Span<byte> packet = Memory.Map(address, 32);
            packet.Clear();
            packet[0] = size;
            packet[2] = count;
            BinaryPrimitives.WriteUInt16LittleEndian(packet.Slice(4), offset);
            BinaryPrimitives.WriteUInt16LittleEndian(packet.Slice(6), segment);
            BinaryPrimitives.WriteUInt64LittleEndian(packet.Slice(8), lba);
            BinaryPrimitives.WriteUInt64LittleEndian(packet.Slice(16), flat);
            BinaryPrimitives.WriteUInt32LittleEndian(packet.Slice(24), longCount);
        }

        public void Canary(ulong address, int length) => Memory.Map(address, length).Fill(0xEE);
    }
}
