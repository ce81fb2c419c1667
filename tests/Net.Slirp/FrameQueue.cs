// A bounded first-in first-out queue of Ethernet frames with preallocated slots: the to-guest side of
// the frame ports in this project. No specification; the policy is a NIC's: when the queue is full the
// newest frame is dropped and counted, and a frame larger than a slot is dropped and counted.
using System;

namespace Bootstage.Net.Slirp
{
    /// <summary>Frames waiting for a polling guest. Enqueue and take copy; neither allocates.</summary>
    public sealed class FrameQueue
    {
        private readonly byte[][] _slots;
        private readonly int[] _lengths;
        private int _head;
        private int _count;

        public FrameQueue(int capacity, int maxFrameSize)
        {
            if (capacity < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(capacity), "The queue needs at least one slot.");
            }

            if (maxFrameSize < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(maxFrameSize), "Frames need at least one byte.");
            }

            _slots = new byte[capacity][];
            for (int i = 0; i < capacity; i++)
            {
                _slots[i] = new byte[maxFrameSize];
            }

            _lengths = new int[capacity];
            MaxFrameSize = maxFrameSize;
        }

        public int Capacity => _slots.Length;

        public int MaxFrameSize { get; }

        /// <summary>Frames waiting.</summary>
        public int Count => _count;

        /// <summary>Frames accepted since construction.</summary>
        public long Enqueued { get; private set; }

        /// <summary>Frames refused because the queue was full.</summary>
        public long DroppedFull { get; private set; }

        /// <summary>Frames refused because they were larger than <see cref="MaxFrameSize"/>.</summary>
        public long DroppedOversize { get; private set; }

        /// <summary>Both kinds of drops.</summary>
        public long Dropped => DroppedFull + DroppedOversize;

        /// <summary>Copies <paramref name="frame"/> in; false (and counted) when it is dropped.</summary>
        public bool TryEnqueue(ReadOnlySpan<byte> frame)
        {
            if (frame.Length > MaxFrameSize)
            {
                DroppedOversize++;
                return false;
            }

            if (_count == _slots.Length)
            {
                DroppedFull++;
                return false;
            }

            int tail = (_head + _count) % _slots.Length;
            frame.CopyTo(_slots[tail]);
            _lengths[tail] = frame.Length;
            _count++;
            Enqueued++;
            return true;
        }

        /// <summary>The length of the oldest frame, or -1 when the queue is empty.</summary>
        public int PeekLength() => _count == 0 ? -1 : _lengths[_head];

        /// <summary>
        /// Copies the oldest frame into <paramref name="buffer"/> and removes it. Returns false with
        /// <paramref name="length"/> 0 when the queue is empty, and false with <paramref name="length"/>
        /// set to the frame's size (the frame stays queued) when the buffer is too small.
        /// </summary>
        public bool TryDequeue(Span<byte> buffer, out int length)
        {
            if (_count == 0)
            {
                length = 0;
                return false;
            }

            length = _lengths[_head];
            if (buffer.Length < length)
            {
                return false;
            }

            _slots[_head].AsSpan(0, length).CopyTo(buffer);
            _head = (_head + 1) % _slots.Length;
            _count--;
            return true;
        }

        /// <summary>Discards every waiting frame (not counted as drops).</summary>
        public void Clear()
        {
            _head = 0;
            _count = 0;
        }
    }
}
