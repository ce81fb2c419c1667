// One VMBus ring buffer seen from the host (docs/hyperv.md §8): a
// header page {write_index, read_index, interrupt_mask, pending_send_sz, ..., +64 feature_bits} and
// a data area of whole pages, all taken from a GPADL's PFN list (pages need not be contiguous).
// The guest owns half of the indices and the whole memory, so every value read from it is checked
// and every byte is reached through the platform's guest-memory check. The host keeps its own copy of
// the index it owns and only publishes it, so a guest scribbling on it cannot steer the host.
using System;
using System.Buffers.Binary;
using System.Threading;

namespace Bootstage.HyperV.HostModel
{
    internal enum RingStatus
    {
        Ok,
        Empty,
        Full,
        Faulted,
    }

    internal sealed class HostRing
    {
        private readonly HyperVHost _host;
        private readonly ulong[] _pages;
        private uint _hostIndex;
        private bool _hostIsWriter;

        private HostRing(HyperVHost host, ulong[] pages)
        {
            _host = host;
            _pages = pages;
            DataSize = (uint)(pages.Length - 1) * VmBusConstants.PageSize;
        }

        /// <summary>Bytes in the data area (whole pages after the header page).</summary>
        public uint DataSize { get; }

        /// <summary>
        /// Maps a ring over <paramref name="pfns"/>; the host's index (write index when the host produces,
        /// read index when it consumes) starts from the header, which must hold a sane value.
        /// </summary>
        public static HostRing? TryCreate(HyperVHost host, ReadOnlySpan<ulong> pfns, bool hostProduces, out string error)
        {
            ulong[] pages = new ulong[pfns.Length];
            for (int i = 0; i < pfns.Length; i++)
            {
                pages[i] = pfns[i] * VmBusConstants.PageSize;
            }

            HostRing ring = new HostRing(host, pages);
            int ownIndex = hostProduces ? VmBusConstants.RingWriteIndexOffset : VmBusConstants.RingReadIndexOffset;
            if (!ring.TryReadHeader(ownIndex, out uint start) || !ring.IndexValid(start))
            {
                error = $"ring at 0x{pages[0]:X} starts with index {start} outside its {ring.DataSize}-byte data area";
                return null;
            }

            ring._hostIndex = start;
            ring._hostIsWriter = hostProduces;
            error = string.Empty;
            return ring;
        }

        public bool TryReadHeader(int offset, out uint value)
        {
            Span<byte> bytes = stackalloc byte[4];
            bool ok = _host.TryReadGuest(_pages[0] + (ulong)offset, bytes);
            value = ok ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : 0;
            return ok;
        }

        public bool TryWriteHeader(int offset, uint value)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
            return _host.TryWriteGuest(_pages[0] + (ulong)offset, bytes);
        }

        /// <summary>
        /// Writes one packet (a multiple of 8 bytes) plus its trailer and publishes the new write index.
        /// Refuses (Full) unless at least one byte stays free afterwards. <paramref name="notify"/> says whether
        /// the guest must be signalled: its interrupt_mask is 0 and the ring was empty before this packet.
        /// </summary>
        public RingStatus TryWrite(ReadOnlySpan<byte> packet, out bool notify, out string error)
        {
            notify = false;
            if (!TryReadHeader(VmBusConstants.RingReadIndexOffset, out uint read) || !IndexValid(read))
            {
                error = $"guest read index {read} invalid for a {DataSize}-byte ring";
                return RingStatus.Faulted;
            }

            uint write = _hostIndex;
            ulong used = write >= read ? write - read : DataSize - read + write;
            ulong total = (ulong)packet.Length + VmBusConstants.PacketTrailerSize;
            if (used + total >= DataSize)
            {
                error = string.Empty;
                return RingStatus.Full;
            }

            Span<byte> trailer = stackalloc byte[VmBusConstants.PacketTrailerSize];
            BinaryPrimitives.WriteUInt64LittleEndian(trailer, (ulong)write << 32);
            if (!TryCopyIn(write, packet) || !TryCopyIn(Advance(write, (uint)packet.Length), trailer))
            {
                error = "ring data pages are no longer guest memory";
                return RingStatus.Faulted;
            }

            uint newWrite = Advance(write, (uint)total);

            // The bytes must be visible before the index that exposes them.
            Thread.MemoryBarrier();
            _hostIndex = newWrite;
            TryWriteHeader(VmBusConstants.RingWriteIndexOffset, newWrite);
            TryReadHeader(VmBusConstants.RingInterruptMaskOffset, out uint mask);
            notify = read == write && mask == 0;
            error = string.Empty;
            return RingStatus.Ok;
        }

        /// <summary>
        /// Reads the next packet the guest wrote (descriptor through payload, without the trailer) and
        /// publishes the advanced read index. Faulted leaves the read index where it was.
        /// </summary>
        public RingStatus TryRead(out byte[] packet, out ulong trailerValue, out string error)
        {
            packet = Array.Empty<byte>();
            trailerValue = 0;
            if (!TryReadHeader(VmBusConstants.RingWriteIndexOffset, out uint write) || !IndexValid(write))
            {
                error = $"guest write index {write} invalid for a {DataSize}-byte ring";
                return RingStatus.Faulted;
            }

            uint read = _hostIndex;
            if (read == write)
            {
                error = string.Empty;
                return RingStatus.Empty;
            }

            uint available = write > read ? write - read : DataSize - read + write;
            Span<byte> descriptor = stackalloc byte[VmBusConstants.PacketDescriptorSize];
            if (available < VmBusConstants.PacketDescriptorSize + VmBusConstants.PacketTrailerSize || !TryCopyOut(read, descriptor))
            {
                error = $"{available} bytes pending at index {read}: less than a descriptor and trailer";
                return RingStatus.Faulted;
            }

            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(descriptor);
            uint headerLength = (uint)BinaryPrimitives.ReadUInt16LittleEndian(descriptor.Slice(2)) * 8;
            uint length = (uint)BinaryPrimitives.ReadUInt16LittleEndian(descriptor.Slice(4)) * 8;
            if (type == 0 || type > (ushort)VmBusPacketType.AdditionalData)
            {
                error = $"packet type {type} at index {read}";
                return RingStatus.Faulted;
            }

            if (headerLength < VmBusConstants.PacketDescriptorSize || headerLength > length || length + VmBusConstants.PacketTrailerSize > available)
            {
                error = $"descriptor at index {read}: offset8*8={headerLength}, len8*8={length}, {available} bytes pending";
                return RingStatus.Faulted;
            }

            byte[] bytes = new byte[length];
            Span<byte> trailer = stackalloc byte[VmBusConstants.PacketTrailerSize];
            if (!TryCopyOut(read, bytes) || !TryCopyOut(Advance(read, length), trailer))
            {
                error = "ring data pages are no longer guest memory";
                return RingStatus.Faulted;
            }

            uint newRead = Advance(read, length + VmBusConstants.PacketTrailerSize);
            _hostIndex = newRead;
            TryWriteHeader(VmBusConstants.RingReadIndexOffset, newRead);
            packet = bytes;
            trailerValue = BinaryPrimitives.ReadUInt64LittleEndian(trailer);
            error = string.Empty;
            return RingStatus.Ok;
        }

        /// <summary>True when the guest has published nothing past what the host consumed (or its index is unusable).</summary>
        public bool IsEmpty()
        {
            return !TryReadHeader(VmBusConstants.RingWriteIndexOffset, out uint write) || !IndexValid(write) || write == _hostIndex;
        }

        /// <summary>Bytes the guest could still write into a ring the host consumes.</summary>
        public uint FreeBytesForGuest()
        {
            TryReadHeader(VmBusConstants.RingWriteIndexOffset, out uint write);
            if (!IndexValid(write))
            {
                return 0;
            }

            uint read = _hostIndex;
            uint used = write >= read ? write - read : DataSize - read + write;
            return DataSize - used;
        }

        /// <summary>Writes the host's own index back into the header (undoes a fault injection).</summary>
        public bool PublishHostIndex() => TryWriteHeader(_hostIsWriter ? VmBusConstants.RingWriteIndexOffset : VmBusConstants.RingReadIndexOffset, _hostIndex);

        /// <summary>Overwrites the published write index with any value (fault injection only).</summary>
        public bool ForceWriteIndex(uint value) => TryWriteHeader(VmBusConstants.RingWriteIndexOffset, value);

        private bool IndexValid(uint index) => index < DataSize && index % 8 == 0;

        private uint Advance(uint index, uint by) => (uint)(((ulong)index + by) % DataSize);

        private bool TryCopyIn(uint index, ReadOnlySpan<byte> source)
        {
            while (!source.IsEmpty)
            {
                int chunk = Chunk(index, source.Length, out ulong address);
                if (!_host.TryWriteGuest(address, source.Slice(0, chunk)))
                {
                    return false;
                }

                source = source.Slice(chunk);
                index = Advance(index, (uint)chunk);
            }

            return true;
        }

        private bool TryCopyOut(uint index, Span<byte> destination)
        {
            while (!destination.IsEmpty)
            {
                int chunk = Chunk(index, destination.Length, out ulong address);
                if (!_host.TryReadGuest(address, destination.Slice(0, chunk)))
                {
                    return false;
                }

                destination = destination.Slice(chunk);
                index = Advance(index, (uint)chunk);
            }

            return true;
        }

        /// <summary>How many of <paramref name="wanted"/> bytes at data index <paramref name="index"/> lie in one page, and where.</summary>
        private int Chunk(uint index, int wanted, out ulong address)
        {
            uint page = index / VmBusConstants.PageSize;
            uint offset = index % VmBusConstants.PageSize;
            address = _pages[1 + page] + offset;
            return (int)Math.Min((uint)wanted, VmBusConstants.PageSize - offset);
        }
    }
}
