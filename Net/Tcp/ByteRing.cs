// A fixed-size byte ring addressed by absolute stream offsets: the TCP send and receive buffers.
// Writing at an offset ahead of the contiguous end is allowed (out-of-order receive), so the
// ring never shifts or allocates.
using System;

namespace Bootstage.Net.Tcp
{
    internal sealed class ByteRing
    {
        private readonly byte[] _buffer;

        public ByteRing(int capacity)
        {
            _buffer = new byte[capacity];
        }

        public int Capacity => _buffer.Length;

        /// <summary>Copies bytes to stream position <paramref name="position"/> (any uint; wraps).</summary>
        public void Write(uint position, ReadOnlySpan<byte> data)
        {
            int start = (int)(position % (uint)_buffer.Length);
            int first = _buffer.Length - start;
            if (data.Length <= first)
            {
                data.CopyTo(new Span<byte>(_buffer, start, data.Length));
                return;
            }

            data.Slice(0, first).CopyTo(new Span<byte>(_buffer, start, first));
            data.Slice(first).CopyTo(new Span<byte>(_buffer, 0, data.Length - first));
        }

        public void Read(uint position, Span<byte> destination)
        {
            int start = (int)(position % (uint)_buffer.Length);
            int first = _buffer.Length - start;
            if (destination.Length <= first)
            {
                new ReadOnlySpan<byte>(_buffer, start, destination.Length).CopyTo(destination);
                return;
            }

            new ReadOnlySpan<byte>(_buffer, start, first).CopyTo(destination);
            new ReadOnlySpan<byte>(_buffer, 0, destination.Length - first).CopyTo(destination.Slice(first));
        }

        /// <summary>The bytes at [position, position+length) as at most two contiguous pieces.</summary>
        public void Slices(uint position, int length, out ReadOnlySpan<byte> first, out ReadOnlySpan<byte> second)
        {
            int start = (int)(position % (uint)_buffer.Length);
            int firstLength = _buffer.Length - start;
            if (length <= firstLength)
            {
                first = new ReadOnlySpan<byte>(_buffer, start, length);
                second = default;
                return;
            }

            first = new ReadOnlySpan<byte>(_buffer, start, firstLength);
            second = new ReadOnlySpan<byte>(_buffer, 0, length - firstLength);
        }
    }
}
