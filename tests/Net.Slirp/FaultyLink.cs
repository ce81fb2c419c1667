// A fault-injecting Ethernet link between a guest and any frame port (usually SlirpNetwork): per
// direction, frames are lost, duplicated, reordered (held back until N later frames have passed) or
// delayed (held for N polls) with seeded pseudo-random choices, and every fault applied is counted.
// No specification; the faults are the ones a real LAN or a lossy virtual switch shows.
using System;
using System.Buffers;
using System.Collections.Generic;

namespace Bootstage.Net.Slirp
{
    /// <summary>Which way a frame travels through a <see cref="FaultyLink"/>.</summary>
    public enum LinkDirection
    {
        /// <summary>Guest → network (<see cref="FaultyLink.Send"/>).</summary>
        ToNetwork,

        /// <summary>Network → guest (<see cref="FaultyLink.TryTakeToGuest"/>).</summary>
        ToGuest,
    }

    /// <summary>The faults of one direction. Probabilities are per frame, 0 to 1.</summary>
    public sealed class FaultProfile
    {
        /// <summary>No faults.</summary>
        public static FaultProfile None { get; } = new();

        /// <summary>A frame is dropped.</summary>
        public double Loss { get; init; }

        /// <summary>A frame is delivered twice, back to back.</summary>
        public double Duplication { get; init; }

        /// <summary>
        /// A frame is held back until <see cref="ReorderDepth"/> later frames (not lost ones) have entered the same
        /// direction, then goes out right after the one that completed the count; <see cref="FaultyLink.Flush"/> releases it early.
        /// </summary>
        public double Reorder { get; init; }

        public int ReorderDepth { get; init; } = 2;

        /// <summary>A frame is held for <see cref="DelayPolls"/> calls of <see cref="FaultyLink.Poll"/>.</summary>
        public double Delay { get; init; }

        public int DelayPolls { get; init; } = 2;

        internal void Validate(string name)
        {
            if (!IsProbability(Loss) || !IsProbability(Duplication) || !IsProbability(Reorder) || !IsProbability(Delay))
            {
                throw new ArgumentOutOfRangeException(name, "Fault probabilities are between 0 and 1.");
            }

            if (ReorderDepth < 1 || DelayPolls < 1)
            {
                throw new ArgumentOutOfRangeException(name, "ReorderDepth and DelayPolls are at least 1.");
            }
        }

        private static bool IsProbability(double value) => value >= 0 && value <= 1;
    }

    /// <summary>What one direction of a link did.</summary>
    public sealed class FaultCounters
    {
        /// <summary>Frames that entered this direction.</summary>
        public long Offered { get; internal set; }

        public long Lost { get; internal set; }

        /// <summary>Extra copies delivered.</summary>
        public long Duplicated { get; internal set; }

        public long Reordered { get; internal set; }

        public long Delayed { get; internal set; }

        /// <summary>Frames handed on, copies included.</summary>
        public long Delivered { get; internal set; }

        public override string ToString() =>
            $"offered {Offered}, lost {Lost}, duplicated {Duplicated}, reordered {Reordered}, delayed {Delayed}, delivered {Delivered}";
    }

    /// <summary>
    /// Sits between a guest and <paramref name="network"/>, applying each direction's <see cref="FaultProfile"/>.
    /// For every frame offered the direction draws four numbers (loss, duplication, reorder, delay) from its own
    /// <see cref="Random"/>: <c>new Random(seed)</c> towards the network, <c>new Random(~seed)</c> towards the
    /// guest, so a seed and a frame sequence give the same faults every run. A lost frame is only lost; otherwise
    /// reorder is checked before delay (one of the two at most) and duplication applies when the frame goes out.
    /// </summary>
    public sealed class FaultyLink : IFramePort
    {
        private readonly IFramePort _network;
        private readonly FaultPipeline _toNetwork;
        private readonly FaultPipeline _toGuestPipeline;
        private readonly FrameQueue _toGuest;
        private byte[] _scratch;

        public FaultyLink(IFramePort network, int seed, FaultProfile? toNetwork = null, FaultProfile? toGuest = null, int queueCapacity = 256)
        {
            _network = network ?? throw new ArgumentNullException(nameof(network));
            ToNetworkProfile = toNetwork ?? FaultProfile.None;
            ToGuestProfile = toGuest ?? FaultProfile.None;
            ToNetworkProfile.Validate(nameof(toNetwork));
            ToGuestProfile.Validate(nameof(toGuest));
            Seed = seed;
            _toGuest = new FrameQueue(queueCapacity, network.MaxFrameSize);
            _scratch = new byte[network.MaxFrameSize];
            _toNetwork = new FaultPipeline(new Random(seed), ToNetworkProfile, new NetworkOutput(network));
            _toGuestPipeline = new FaultPipeline(new Random(~seed), ToGuestProfile, new QueueOutput(_toGuest));
        }

        public int Seed { get; }

        public FaultProfile ToNetworkProfile { get; }

        public FaultProfile ToGuestProfile { get; }

        public FaultCounters ToNetworkCounters => _toNetwork.Counters;

        public FaultCounters ToGuestCounters => _toGuestPipeline.Counters;

        /// <summary>Frames held back (reordered or delayed) in both directions.</summary>
        public int HeldFrames => _toNetwork.Held + _toGuestPipeline.Held;

        public int MaxFrameSize => _network.MaxFrameSize;

        public int ToGuestCount
        {
            get
            {
                Drain();
                return _toGuest.Count;
            }
        }

        /// <summary>The guest's queue (its drop counters).</summary>
        public FrameQueue ToGuestQueue => _toGuest;

        public FaultCounters Counters(LinkDirection direction) => direction == LinkDirection.ToNetwork ? ToNetworkCounters : ToGuestCounters;

        public void Send(ReadOnlySpan<byte> frame) => _toNetwork.Offer(frame);

        public bool TryTakeToGuest(Span<byte> buffer, out int length)
        {
            Drain();
            return _toGuest.TryDequeue(buffer, out length);
        }

        /// <summary>
        /// Counts one poll for delayed frames towards the network (those due go out first), polls the network,
        /// counts one poll for delayed frames towards the guest, then takes what the network produced.
        /// </summary>
        public int Poll(int timeoutMs)
        {
            long before = _toGuest.Enqueued;
            _toNetwork.Tick();
            _network.Poll(timeoutMs);
            _toGuestPipeline.Tick();
            Drain();
            return (int)(_toGuest.Enqueued - before);
        }

        /// <summary>Releases every held frame now, in the order they were held (reordered ones first).</summary>
        public void Flush()
        {
            _toNetwork.Flush();
            Drain();
            _toGuestPipeline.Flush();
        }

        /// <summary>Moves frames the network queued for the guest through the to-guest faults.</summary>
        private void Drain()
        {
            for (int budget = _network.ToGuestCount; budget > 0; budget--)
            {
                if (!_network.TryTakeToGuest(_scratch, out int length))
                {
                    if (length == 0)
                    {
                        return;
                    }

                    _scratch = new byte[length];
                    budget++;
                    continue;
                }

                _toGuestPipeline.Offer(_scratch.AsSpan(0, length));
            }
        }

        private interface IFrameOutput
        {
            void Emit(ReadOnlySpan<byte> frame);
        }

        private sealed class NetworkOutput : IFrameOutput
        {
            private readonly IFramePort _port;

            public NetworkOutput(IFramePort port)
            {
                _port = port;
            }

            public void Emit(ReadOnlySpan<byte> frame) => _port.Send(frame);
        }

        private sealed class QueueOutput : IFrameOutput
        {
            private readonly FrameQueue _queue;

            public QueueOutput(FrameQueue queue)
            {
                _queue = queue;
            }

            public void Emit(ReadOnlySpan<byte> frame) => _queue.TryEnqueue(frame);
        }

        private struct HeldFrame
        {
            public byte[] Buffer;
            public int Length;
            public int Remaining;
            public bool Duplicate;
        }

        /// <summary>The faults of one direction.</summary>
        private sealed class FaultPipeline
        {
            private readonly Random _random;
            private readonly FaultProfile _profile;
            private readonly IFrameOutput _output;
            private readonly List<HeldFrame> _reordered = new();
            private readonly List<HeldFrame> _delayed = new();

            public FaultPipeline(Random random, FaultProfile profile, IFrameOutput output)
            {
                _random = random;
                _profile = profile;
                _output = output;
            }

            public FaultCounters Counters { get; } = new();

            public int Held => _reordered.Count + _delayed.Count;

            public void Offer(ReadOnlySpan<byte> frame)
            {
                Counters.Offered++;
                // Always four draws, so changing one probability does not shift the others' pattern.
                double loss = _random.NextDouble();
                double duplicate = _random.NextDouble();
                double reorder = _random.NextDouble();
                double delay = _random.NextDouble();
                if (loss < _profile.Loss)
                {
                    Counters.Lost++;
                    return;
                }

                // This frame is one of the "later frames" every frame held for reordering waits for.
                for (int i = 0; i < _reordered.Count; i++)
                {
                    HeldFrame held = _reordered[i];
                    held.Remaining--;
                    _reordered[i] = held;
                }

                bool twice = duplicate < _profile.Duplication;
                if (reorder < _profile.Reorder)
                {
                    Counters.Reordered++;
                    _reordered.Add(Hold(frame, _profile.ReorderDepth, twice));
                }
                else if (delay < _profile.Delay)
                {
                    Counters.Delayed++;
                    _delayed.Add(Hold(frame, _profile.DelayPolls, twice));
                }
                else
                {
                    Emit(frame, twice);
                }

                ReleaseDue(_reordered, false);
            }

            /// <summary>One poll has passed for delayed frames.</summary>
            public void Tick()
            {
                for (int i = 0; i < _delayed.Count; i++)
                {
                    HeldFrame held = _delayed[i];
                    held.Remaining--;
                    _delayed[i] = held;
                }

                ReleaseDue(_delayed, false);
            }

            public void Flush()
            {
                ReleaseDue(_reordered, true);
                ReleaseDue(_delayed, true);
            }

            private static HeldFrame Hold(ReadOnlySpan<byte> frame, int count, bool twice)
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(frame.Length, 1));
                frame.CopyTo(buffer);
                return new HeldFrame { Buffer = buffer, Length = frame.Length, Remaining = count, Duplicate = twice };
            }

            private void ReleaseDue(List<HeldFrame> list, bool all)
            {
                int i = 0;
                while (i < list.Count)
                {
                    HeldFrame held = list[i];
                    if (!all && held.Remaining > 0)
                    {
                        i++;
                        continue;
                    }

                    list.RemoveAt(i);
                    try
                    {
                        Emit(held.Buffer.AsSpan(0, held.Length), held.Duplicate);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(held.Buffer);
                    }
                }
            }

            private void Emit(ReadOnlySpan<byte> frame, bool twice)
            {
                _output.Emit(frame);
                Counters.Delivered++;
                if (twice)
                {
                    _output.Emit(frame);
                    Counters.Duplicated++;
                    Counters.Delivered++;
                }
            }
        }
    }
}
