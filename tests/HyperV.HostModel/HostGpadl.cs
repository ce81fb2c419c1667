// A guest physical address descriptor list as the VMBus host holds it (docs/hyperv.md
// §6 GPADL_HEADER/GPADL_BODY): one or more ranges {byte_count, byte_offset, pfn[]} that name guest
// pages. The range bytes arrive as one stream split over the header and body messages; the host
// parses them once all range_buflen bytes are in.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace Bootstage.HyperV.HostModel
{
    /// <summary>One range of a GPADL: <see cref="ByteCount"/> bytes starting <see cref="ByteOffset"/> into the first page.</summary>
    public readonly struct GpadlRange
    {
        public GpadlRange(uint byteCount, uint byteOffset, ulong[] pfns)
        {
            ByteCount = byteCount;
            ByteOffset = byteOffset;
            Pfns = pfns;
        }

        public uint ByteCount { get; }

        public uint ByteOffset { get; }

        public ulong[] Pfns { get; }

        /// <summary>Pages a range spans: enough to hold byte_offset + byte_count bytes.</summary>
        public static ulong PageCount(uint byteCount, uint byteOffset) => ((ulong)byteOffset + byteCount + VmBusConstants.PageSize - 1) / VmBusConstants.PageSize;
    }

    public sealed class HostGpadl
    {
        private readonly byte[] _rangeBytes;
        private int _received;

        internal HostGpadl(uint id, uint relId, ushort rangeCount, ushort rangeBufferLength)
        {
            Id = id;
            RelId = relId;
            RangeCount = rangeCount;
            _rangeBytes = new byte[rangeBufferLength];
        }

        public uint Id { get; }

        /// <summary>The child_relid the guest named in GPADL_HEADER.</summary>
        public uint RelId { get; }

        public ushort RangeCount { get; }

        /// <summary>GPADL_BODY messages that contributed.</summary>
        public int BodyMessages { get; internal set; }

        public IReadOnlyList<GpadlRange> Ranges { get; private set; } = Array.Empty<GpadlRange>();

        /// <summary>Every page of every range, in order.</summary>
        public ulong[] Pfns { get; private set; } = Array.Empty<ulong>();

        /// <summary>Bytes the GPADL describes (sum of byte counts).</summary>
        public ulong ByteLength { get; private set; }

        internal bool IsComplete => _received == _rangeBytes.Length;

        /// <summary>Appends range bytes; returns how many were taken (extra bytes beyond range_buflen are ignored).</summary>
        internal int Append(ReadOnlySpan<byte> bytes)
        {
            int take = Math.Min(bytes.Length, _rangeBytes.Length - _received);
            bytes.Slice(0, take).CopyTo(_rangeBytes.AsSpan(_received));
            _received += take;
            return take;
        }

        /// <summary>Parses the complete range stream; false with a reason when it does not add up.</summary>
        internal bool TryParse(out string error)
        {
            List<GpadlRange> ranges = new();
            List<ulong> pfns = new();
            ReadOnlySpan<byte> stream = _rangeBytes;
            ulong length = 0;
            for (int r = 0; r < RangeCount; r++)
            {
                if (stream.Length < 8)
                {
                    error = $"range {r} header missing from range_buflen {_rangeBytes.Length}";
                    return false;
                }

                uint byteCount = BinaryPrimitives.ReadUInt32LittleEndian(stream);
                uint byteOffset = BinaryPrimitives.ReadUInt32LittleEndian(stream.Slice(4));
                stream = stream.Slice(8);
                ulong pages = GpadlRange.PageCount(byteCount, byteOffset);
                if (byteCount == 0 || byteOffset >= VmBusConstants.PageSize)
                {
                    error = $"range {r} has byte_count {byteCount}, byte_offset {byteOffset}";
                    return false;
                }

                if ((ulong)stream.Length < pages * 8)
                {
                    error = $"range {r} needs {pages} PFNs, only {stream.Length / 8} left in range_buflen";
                    return false;
                }

                ulong[] rangePfns = new ulong[pages];
                for (int i = 0; i < rangePfns.Length; i++)
                {
                    rangePfns[i] = BinaryPrimitives.ReadUInt64LittleEndian(stream.Slice(i * 8));
                }

                stream = stream.Slice((int)pages * 8);
                ranges.Add(new GpadlRange(byteCount, byteOffset, rangePfns));
                pfns.AddRange(rangePfns);
                length += byteCount;
            }

            if (RangeCount == 0 || stream.Length != 0)
            {
                error = $"range_buflen {_rangeBytes.Length} does not match {RangeCount} ranges";
                return false;
            }

            Ranges = ranges;
            Pfns = pfns.ToArray();
            ByteLength = length;
            error = string.Empty;
            return true;
        }

        /// <summary>
        /// Maps a byte offset within the GPADL (ranges laid end to end, each starting at its byte_offset)
        /// to a guest physical address and the bytes left in that page.
        /// </summary>
        internal bool TryLocate(ulong offset, out ulong address, out uint bytesInPage)
        {
            foreach (GpadlRange range in Ranges)
            {
                if (offset < range.ByteCount)
                {
                    ulong within = range.ByteOffset + offset;
                    ulong page = within / VmBusConstants.PageSize;
                    uint pageOffset = (uint)(within % VmBusConstants.PageSize);
                    address = range.Pfns[page] * VmBusConstants.PageSize + pageOffset;
                    ulong rangeLeft = range.ByteCount - offset;
                    bytesInPage = (uint)Math.Min(VmBusConstants.PageSize - pageOffset, rangeLeft);
                    return true;
                }

                offset -= range.ByteCount;
            }

            address = 0;
            bytesInPage = 0;
            return false;
        }
    }
}
