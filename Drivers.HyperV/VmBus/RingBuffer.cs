// One direction of a VMBus channel ring (docs/hyperv.md §8): a 4 KiB header page
// {write index, read index, interrupt mask, pending send size, ..., feature bits} followed by the
// data area, indices being byte offsets into the data. Each packet is a 16-byte descriptor,
// payload padded to 8 bytes and an 8-byte trailer. The writer never fills the ring completely.
// The other side is untrusted: its index is checked before use, and a packet whose descriptor
// makes no sense is skipped by dropping what the host has published (counted), never by hanging
// or reading outside the ring.
using System;
using System.Threading;

namespace Bootstage.Drivers.HyperV.VmBus
{
    internal unsafe struct RingBuffer
    {
        private const int WriteIndexOffset = 0;
        private const int ReadIndexOffset = 4;
        private const int InterruptMaskOffset = 8;
        private const int PendingSendSizeOffset = 12;
        private const int HeaderSize = 4096;

        private byte* _header;
        private byte* _data;
        private uint _size;

        public void Attach(byte* start, uint totalBytes)
        {
            _header = start;
            _data = start + HeaderSize;
            _size = totalBytes - HeaderSize;
            new Span<byte>(start, HeaderSize).Clear();
        }

        public uint DataSize => _size;

        private uint* WriteIndex => (uint*)(_header + WriteIndexOffset);

        private uint* ReadIndex => (uint*)(_header + ReadIndexOffset);

        /// <summary>The interrupt mask field: set by the reader of this ring when it does not want signals.</summary>
        public uint InterruptMask
        {
            get => Volatile.Read(ref *(uint*)(_header + InterruptMaskOffset));
            set => Volatile.Write(ref *(uint*)(_header + InterruptMaskOffset), value);
        }

        /// <summary>
        /// Writes one packet made of <paramref name="first"/>, <paramref name="second"/> and padding
        /// (both pieces are copied in order). Returns false when it does not fit, or the reader's
        /// index is corrupt. <paramref name="signal"/> tells whether the reader must be signalled.
        /// </summary>
        public bool Write(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, out bool signal, out bool corrupt)
        {
            signal = false;
            corrupt = false;
            uint write = Volatile.Read(ref *WriteIndex);
            uint read = Volatile.Read(ref *ReadIndex);
            if (write >= _size || read >= _size || (write & 7) != 0)
            {
                corrupt = true;
                return false;
            }

            uint length = (uint)(first.Length + second.Length);
            uint padded = (length + 7) & ~7u;
            uint total = padded + VmBusPacketType.TrailerSize;
            uint used = write >= read ? write - read : _size - read + write;
            if (total >= _size - used)
            {
                return false;
            }

            uint position = write;
            position = Copy(position, first);
            position = Copy(position, second);
            ulong zero = 0;
            position = Copy(position, new ReadOnlySpan<byte>(&zero, (int)(padded - length)));
            ulong trailer = (ulong)write << 32;
            position = Copy(position, new ReadOnlySpan<byte>(&trailer, 8));
            Volatile.Write(ref *WriteIndex, position);

            // Publish first, then look at the reader (docs/hyperv.md §8): after a full barrier, a
            // reader that is not masked and whose index (read afresh, not the one sampled before
            // the copy) had reached this packet may be idle and must be woken. A reader still busy
            // with older packets either sees this one or finds it when it re-checks after unmasking.
            Interlocked.MemoryBarrier();
            signal = InterruptMask == 0 && Volatile.Read(ref *ReadIndex) == write;
            return true;
        }

        private uint Copy(uint position, ReadOnlySpan<byte> bytes)
        {
            uint first = _size - position;
            if ((uint)bytes.Length <= first)
            {
                bytes.CopyTo(new Span<byte>(_data + position, bytes.Length));
                position += (uint)bytes.Length;
                return position == _size ? 0 : position;
            }

            bytes.Slice(0, (int)first).CopyTo(new Span<byte>(_data + position, (int)first));
            bytes.Slice((int)first).CopyTo(new Span<byte>(_data, bytes.Length - (int)first));
            return (uint)bytes.Length - first;
        }

        /// <summary>Bytes the writer has published and we have not consumed; -1 when its index is corrupt.</summary>
        public long Available(out uint read, out uint write)
        {
            read = Volatile.Read(ref *ReadIndex);
            write = Volatile.Read(ref *WriteIndex);
            if (read >= _size || write >= _size || (write & 7) != 0)
            {
                return -1;
            }

            return write >= read ? write - read : _size - read + write;
        }

        /// <summary>Copies <paramref name="destination"/>.Length bytes starting at <paramref name="offset"/> past the read index.</summary>
        public void Peek(uint read, uint offset, Span<byte> destination)
        {
            uint position = read + offset;
            if (position >= _size)
            {
                position -= _size;
            }

            uint first = _size - position;
            if ((uint)destination.Length <= first)
            {
                new ReadOnlySpan<byte>(_data + position, destination.Length).CopyTo(destination);
                return;
            }

            new ReadOnlySpan<byte>(_data + position, (int)first).CopyTo(destination);
            new ReadOnlySpan<byte>(_data, destination.Length - (int)first).CopyTo(destination.Slice((int)first));
        }

        /// <summary>A direct view when [read+offset, +length) does not wrap; empty otherwise.</summary>
        public ReadOnlySpan<byte> View(uint read, uint offset, int length)
        {
            uint position = read + offset;
            if (position >= _size)
            {
                position -= _size;
            }

            if (position + (uint)length > _size)
            {
                return default;
            }

            return new ReadOnlySpan<byte>(_data + position, length);
        }

        /// <summary>
        /// Releases <paramref name="bytes"/> to the writer. Returns true when the writer must be
        /// signalled: it asked, through pending_send_sz, for more room than it had and now has it.
        /// </summary>
        public bool Consume(uint read, uint bytes)
        {
            uint next = read + bytes;
            if (next >= _size)
            {
                next -= _size;
            }

            return Release(read, next);
        }

        /// <summary>Drops everything the writer has published (recovery from a malformed packet); true when the writer must be signalled.</summary>
        public bool SkipAll()
        {
            uint read = Volatile.Read(ref *ReadIndex);
            return Release(read < _size ? read : 0, Volatile.Read(ref *WriteIndex) % (_size == 0 ? 1 : _size));
        }

        // Publishes the new read index, then (after a full barrier, so the writer's request is read
        // after our index is visible) signals only on the transition the writer waits for: free
        // space was at most pending_send_sz before and is more now (docs/hyperv.md §8). A writer
        // that set its request after this check re-checks the space itself.
        private bool Release(uint read, uint next)
        {
            Volatile.Write(ref *ReadIndex, next);
            Interlocked.MemoryBarrier();
            uint pending = Volatile.Read(ref *(uint*)(_header + PendingSendSizeOffset));
            if (pending == 0)
            {
                return false;
            }

            uint write = Volatile.Read(ref *WriteIndex);
            if (write >= _size)
            {
                return false;
            }

            uint freeBefore = _size - (write >= read ? write - read : _size - read + write);
            uint freeAfter = _size - (write >= next ? write - next : _size - next + write);
            return freeBefore <= pending && freeAfter > pending;
        }
    }
}
