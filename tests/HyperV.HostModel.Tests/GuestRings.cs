// Test-only guest view of a channel's two ring buffers (docs/hyperv.md §8): one page
// run holding the guest→host ring (header page + data) followed by the host→guest ring, as the
// OPENCHANNEL downstream offset describes. Packets are built and parsed by hand here, independent
// of both the model and the driver under test.
using System;
using System.Buffers.Binary;
using Bootstage.Platform;

namespace Bootstage.HyperV.HostModel.Tests
{
    internal sealed unsafe class GuestRings
    {
        public GuestRings(RawGuest guest, uint sendPages, uint receivePages)
        {
            SendPages = sendPages;
            ReceivePages = receivePages;
            Region = guest.Allocate(sendPages + receivePages);
        }

        public PhysicalRegion Region { get; }

        public uint SendPages { get; }

        public uint ReceivePages { get; }

        public byte* SendHeader => (byte*)Region.VirtualAddress;

        public byte* ReceiveHeader => (byte*)Region.VirtualAddress + SendPages * PhysicalRegion.PageSize;

        public uint SendSize => (SendPages - 1) * PhysicalRegion.PageSize;

        public uint ReceiveSize => (ReceivePages - 1) * PhysicalRegion.PageSize;

        public ref uint SendWrite => ref *(uint*)SendHeader;

        public ref uint SendRead => ref *(uint*)(SendHeader + 4);

        public ref uint SendPendingSize => ref *(uint*)(SendHeader + 12);

        public ref uint ReceiveWrite => ref *(uint*)ReceiveHeader;

        public ref uint ReceiveRead => ref *(uint*)(ReceiveHeader + 4);

        public ref uint ReceiveMask => ref *(uint*)(ReceiveHeader + 8);

        public ref uint ReceivePendingSize => ref *(uint*)(ReceiveHeader + 12);

        public ref uint ReceiveFeatures => ref *(uint*)(ReceiveHeader + 64);

        public static byte[] BuildPacket(VmBusPacketType type, ushort flags, ulong transactionId, ReadOnlySpan<byte> typeHeader, ReadOnlySpan<byte> payload)
        {
            int headerLength = 16 + ((typeHeader.Length + 7) & ~7);
            int length = headerLength + ((payload.Length + 7) & ~7);
            byte[] packet = new byte[length];
            BinaryPrimitives.WriteUInt16LittleEndian(packet, (ushort)type);
            BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(2), (ushort)(headerLength / 8));
            BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(4), (ushort)(length / 8));
            BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(6), flags);
            BinaryPrimitives.WriteUInt64LittleEndian(packet.AsSpan(8), transactionId);
            typeHeader.CopyTo(packet.AsSpan(16));
            payload.CopyTo(packet.AsSpan(headerLength));
            return packet;
        }

        /// <summary>Writes a packet and its trailer into the guest→host ring; true when the ring was empty before (the guest must signal).</summary>
        public bool Write(VmBusPacketType type, ushort flags, ulong transactionId, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> typeHeader = default)
        {
            return WriteRaw(BuildPacket(type, flags, transactionId, typeHeader, payload));
        }

        public bool WriteRaw(ReadOnlySpan<byte> packet)
        {
            uint write = SendWrite;
            bool wasEmpty = write == SendRead;
            byte[] trailer = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(trailer, (ulong)write << 32);
            Copy(SendHeader + PhysicalRegion.PageSize, SendSize, write, packet);
            Copy(SendHeader + PhysicalRegion.PageSize, SendSize, (write + (uint)packet.Length) % SendSize, trailer);
            SendWrite = (write + (uint)packet.Length + 8) % SendSize;
            return wasEmpty;
        }

        /// <summary>Reads the next host packet (without trailer) and advances the guest's read index.</summary>
        public bool TryRead(out byte[] packet, out ulong trailer)
        {
            uint read = ReceiveRead;
            packet = Array.Empty<byte>();
            trailer = 0;
            if (read == ReceiveWrite)
            {
                return false;
            }

            byte* data = ReceiveHeader + PhysicalRegion.PageSize;
            byte[] descriptor = Read(data, ReceiveSize, read, 16);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(descriptor.AsSpan(4)) * 8;
            packet = Read(data, ReceiveSize, read, length);
            trailer = BinaryPrimitives.ReadUInt64LittleEndian(Read(data, ReceiveSize, (read + (uint)length) % ReceiveSize, 8));
            ReceiveRead = (read + (uint)length + 8) % ReceiveSize;
            return true;
        }

        public static VmBusPacketType TypeOf(byte[] packet) => (VmBusPacketType)BinaryPrimitives.ReadUInt16LittleEndian(packet);

        public static ulong TransactionOf(byte[] packet) => BinaryPrimitives.ReadUInt64LittleEndian(packet.AsSpan(8));

        public static ReadOnlySpan<byte> PayloadOf(byte[] packet) => packet.AsSpan(BinaryPrimitives.ReadUInt16LittleEndian(packet.AsSpan(2)) * 8);

        private static void Copy(byte* data, uint size, uint index, ReadOnlySpan<byte> bytes)
        {
            for (int i = 0; i < bytes.Length; i++)
            {
                data[(index + (uint)i) % size] = bytes[i];
            }
        }

        private static byte[] Read(byte* data, uint size, uint index, int length)
        {
            byte[] bytes = new byte[length];
            for (int i = 0; i < length; i++)
            {
                bytes[i] = data[(index + (uint)i) % size];
            }

            return bytes;
        }
    }
}
