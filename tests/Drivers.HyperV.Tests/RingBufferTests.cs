// The guest side of a VMBus ring: packet framing with padding and trailer, wrap-around, the
// one-byte-free rule, and refusal to act on a corrupt index published by the other side.
using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Bootstage.Drivers.HyperV.VmBus;

namespace Bootstage.Drivers.HyperV.Tests
{
    public unsafe class RingBufferTests : IDisposable
    {
        private const int Pages = 2;
        private readonly byte* _memory;
        private RingBuffer _ring;

        public RingBufferTests()
        {
            _memory = (byte*)NativeMemory.AlignedAlloc(Pages * 4096, 4096);
            _ring.Attach(_memory, Pages * 4096);
        }

        public void Dispose() => NativeMemory.AlignedFree(_memory);

        private uint WriteIndex
        {
            get => *(uint*)_memory;
            set => *(uint*)_memory = value;
        }

        private uint ReadIndex
        {
            get => *(uint*)(_memory + 4);
            set => *(uint*)(_memory + 4) = value;
        }

        private byte* Data => _memory + 4096;

        [Fact]
        public void A_packet_is_padded_to_eight_bytes_and_followed_by_the_old_write_index()
        {
            byte[] head = { 1, 2, 3 };
            byte[] tail = { 4, 5 };
            Assert.True(_ring.Write(head, tail, out bool signal, out bool corrupt));
            Assert.True(signal);
            Assert.False(corrupt);
            Assert.Equal(16u, WriteIndex);
            Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 0, 0, 0 }, new Span<byte>(Data, 8).ToArray());
            Assert.Equal(0UL, *(ulong*)(Data + 8));
            Assert.True(_ring.Write(head, default, out signal, out _));
            Assert.False(signal);
            Assert.Equal(16UL << 32, *(ulong*)(Data + 24));
        }

        [Fact]
        public void A_packet_that_crosses_the_end_wraps_to_the_start()
        {
            WriteIndex = 4096 - 8;
            ReadIndex = 4096 - 8;
            byte[] payload = new byte[24];
            for (int i = 0; i < payload.Length; i++)
            {
                payload[i] = (byte)(i + 1);
            }

            Assert.True(_ring.Write(payload, default, out _, out _));
            Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, new Span<byte>(Data + 4088, 8).ToArray());
            Assert.Equal(9, Data[0]);
            Assert.Equal(24u, WriteIndex);
            Assert.Equal((ulong)(4096 - 8) << 32, *(ulong*)(Data + 16));
        }

        [Fact]
        public void The_ring_is_never_filled_completely()
        {
            byte[] packet = new byte[504];
            int written = 0;
            while (_ring.Write(packet, default, out _, out _))
            {
                written++;
            }

            // 4096 bytes of data, 512 per packet with its trailer: the eighth would leave no byte free.
            Assert.Equal(7, written);
            ReadIndex = 512;
            Assert.True(_ring.Write(packet, default, out _, out _));
        }

        [Fact]
        public void A_corrupt_read_index_from_the_other_side_stops_writing()
        {
            ReadIndex = 5000;
            Assert.False(_ring.Write(new byte[8], default, out _, out bool corrupt));
            Assert.True(corrupt);
            Assert.Equal(0u, WriteIndex);
        }

        [Fact]
        public void Reading_sees_published_bytes_and_rejects_a_corrupt_write_index()
        {
            BinaryPrimitives.WriteUInt64LittleEndian(new Span<byte>(Data, 8), 0x1122334455667788);
            WriteIndex = 16;
            Assert.Equal(16, _ring.Available(out uint read, out _));
            Span<byte> bytes = stackalloc byte[8];
            _ring.Peek(read, 0, bytes);
            Assert.Equal(0x1122334455667788UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
            _ring.Consume(read, 16);
            Assert.Equal(16u, ReadIndex);
            WriteIndex = 4097;
            Assert.Equal(-1, _ring.Available(out _, out _));
            WriteIndex = 21;
            Assert.Equal(-1, _ring.Available(out _, out _));
        }
    }
}
