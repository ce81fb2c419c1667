// VMBus ring packet types, flags and descriptor layout (docs/hyperv.md §8).
namespace Bootstage.Drivers.HyperV.VmBus
{
    public static class VmBusPacketType
    {
        public const ushort DataInband = 6;
        public const ushort DataUsingTransferPages = 7;
        public const ushort DataUsingGpaDirect = 9;
        public const ushort CancelRequest = 10;
        public const ushort Completion = 11;

        /// <summary>Descriptor flag: the sender wants a COMP packet with the same transaction id.</summary>
        public const ushort CompletionRequested = 1;

        public const int DescriptorSize = 16;
        public const int TrailerSize = 8;
    }

    /// <summary>A received packet: valid until the next receive on the same ring.</summary>
    public readonly ref struct VmBusPacket
    {
        public VmBusPacket(ushort type, ushort flags, ulong transactionId, System.ReadOnlySpan<byte> header, System.ReadOnlySpan<byte> payload)
        {
            Type = type;
            Flags = flags;
            TransactionId = transactionId;
            Header = header;
            Payload = payload;
        }

        public ushort Type { get; }

        public ushort Flags { get; }

        public ulong TransactionId { get; }

        /// <summary>The descriptor and any type-specific header (transfer-page ranges), offset8 qwords long.</summary>
        public System.ReadOnlySpan<byte> Header { get; }

        /// <summary>The bytes after the header, to the end of the packet (including the sender's padding).</summary>
        public System.ReadOnlySpan<byte> Payload { get; }

        public bool WantsCompletion => (Flags & VmBusPacketType.CompletionRequested) != 0;

        /// <summary>Transfer-page packets: the page set id and number of ranges, if the header holds them.</summary>
        public bool TryGetTransferPages(out ushort pageSetId, out int rangeCount)
        {
            pageSetId = 0;
            rangeCount = 0;
            if (Type != VmBusPacketType.DataUsingTransferPages || Header.Length < VmBusPacketType.DescriptorSize + 8)
            {
                return false;
            }

            pageSetId = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(Header.Slice(16));
            uint count = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(Header.Slice(20));
            // Only ranges that lie inside the header the host framed count; the count field is the host's word.
            uint fits = (uint)(Header.Length - VmBusPacketType.DescriptorSize - 8) / 8;
            rangeCount = (int)(count < fits ? count : fits);
            return true;
        }

        /// <summary>Range <paramref name="index"/> of a transfer-page packet: bytes at an offset in the page set.</summary>
        public void GetTransferRange(int index, out uint byteCount, out uint byteOffset)
        {
            System.ReadOnlySpan<byte> range = Header.Slice(VmBusPacketType.DescriptorSize + 8 + index * 8, 8);
            byteCount = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(range);
            byteOffset = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(range.Slice(4));
        }
    }
}
