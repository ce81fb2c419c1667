// A packet the guest wrote into a guest→host ring, parsed for device backends (docs/hyperv.md
// §8): the 16-byte descriptor, the type-specific header (transfer-page ranges for
// DATA_USING_XFER_PAGES, PFN ranges for DATA_USING_GPA_DIRECT) and the payload after offset8*8.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace Bootstage.HyperV.HostModel
{
    /// <summary>One range of a transfer-page packet: bytes in the sender's page set.</summary>
    public readonly record struct TransferRange(uint ByteCount, uint ByteOffset);

    public sealed class GuestPacket
    {
        private GuestPacket(byte[] raw, ulong trailer)
        {
            Raw = raw;
            Trailer = trailer;
            Type = (VmBusPacketType)BinaryPrimitives.ReadUInt16LittleEndian(raw);
            HeaderLength = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2)) * 8;
            Flags = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(6));
            TransactionId = BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(8));
            Payload = raw.AsSpan(HeaderLength).ToArray();
        }

        public VmBusPacketType Type { get; }

        public ushort Flags { get; }

        public bool CompletionRequested => (Flags & VmBusConstants.CompletionRequested) != 0;

        public ulong TransactionId { get; }

        /// <summary>offset8 * 8: descriptor plus type-specific header.</summary>
        public int HeaderLength { get; }

        /// <summary>Bytes from offset8*8 to len8*8 (the guest's padding included).</summary>
        public byte[] Payload { get; }

        /// <summary>The whole packet as read, without the trailer.</summary>
        public byte[] Raw { get; }

        /// <summary>The 8-byte trailer that followed the packet (start index &lt;&lt; 32 when the guest follows the rule).</summary>
        public ulong Trailer { get; }

        public ushort TransferPageSetId { get; private set; }

        public bool SenderOwnsPageSet { get; private set; }

        public IReadOnlyList<TransferRange> TransferRanges { get; private set; } = Array.Empty<TransferRange>();

        public IReadOnlyList<GpadlRange> GpaRanges { get; private set; } = Array.Empty<GpadlRange>();

        /// <summary>Parses a packet whose framing the ring already checked; false when its type-specific header does not fit.</summary>
        internal static bool TryParse(byte[] raw, ulong trailer, out GuestPacket packet, out string error)
        {
            packet = new GuestPacket(raw, trailer);
            ReadOnlySpan<byte> header = raw.AsSpan(VmBusConstants.PacketDescriptorSize, packet.HeaderLength - VmBusConstants.PacketDescriptorSize);
            error = string.Empty;
            return packet.Type switch
            {
                VmBusPacketType.DataUsingTransferPages => packet.TryParseTransferPages(header, out error),
                VmBusPacketType.DataUsingGpaDirect => packet.TryParseGpaDirect(header, out error),
                _ => true,
            };
        }

        // u16 page set id; u8 sender owns; u8 reserved; u32 range count; ranges {u32 byte_count; u32 byte_offset}.
        private bool TryParseTransferPages(ReadOnlySpan<byte> header, out string error)
        {
            if (header.Length < 8)
            {
                error = "transfer-page header missing";
                return false;
            }

            TransferPageSetId = BinaryPrimitives.ReadUInt16LittleEndian(header);
            SenderOwnsPageSet = header[2] != 0;
            uint count = BinaryPrimitives.ReadUInt32LittleEndian(header.Slice(4));
            if (count > (uint)(header.Length - 8) / 8)
            {
                error = $"{count} transfer ranges do not fit a {header.Length}-byte header";
                return false;
            }

            TransferRange[] ranges = new TransferRange[count];
            for (int i = 0; i < ranges.Length; i++)
            {
                ReadOnlySpan<byte> range = header.Slice(8 + i * 8);
                ranges[i] = new TransferRange(BinaryPrimitives.ReadUInt32LittleEndian(range), BinaryPrimitives.ReadUInt32LittleEndian(range.Slice(4)));
            }

            TransferRanges = ranges;
            error = string.Empty;
            return true;
        }

        // u32 reserved; u32 range count; ranges {u32 byte_count; u32 byte_offset; u64 pfn[]}.
        private bool TryParseGpaDirect(ReadOnlySpan<byte> header, out string error)
        {
            if (header.Length < 8)
            {
                error = "GPA-direct header missing";
                return false;
            }

            uint count = BinaryPrimitives.ReadUInt32LittleEndian(header.Slice(4));
            ReadOnlySpan<byte> rest = header.Slice(8);
            List<GpadlRange> ranges = new();
            for (uint r = 0; r < count; r++)
            {
                if (rest.Length < 8)
                {
                    error = $"GPA range {r} of {count} does not fit the header";
                    return false;
                }

                uint byteCount = BinaryPrimitives.ReadUInt32LittleEndian(rest);
                uint byteOffset = BinaryPrimitives.ReadUInt32LittleEndian(rest.Slice(4));
                ulong pages = GpadlRange.PageCount(byteCount, byteOffset);
                rest = rest.Slice(8);
                if (pages > (ulong)rest.Length / 8)
                {
                    error = $"GPA range {r} needs {pages} PFNs, the header holds {rest.Length / 8}";
                    return false;
                }

                ulong[] pfns = new ulong[pages];
                for (int i = 0; i < pfns.Length; i++)
                {
                    pfns[i] = BinaryPrimitives.ReadUInt64LittleEndian(rest.Slice(i * 8));
                }

                rest = rest.Slice(pfns.Length * 8);
                ranges.Add(new GpadlRange(byteCount, byteOffset, pfns));
            }

            GpaRanges = ranges;
            error = string.Empty;
            return true;
        }
    }
}
