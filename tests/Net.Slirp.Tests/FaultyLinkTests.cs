// FaultyLink over a recording frame port and over libslirp: seeded loss near its probability and
// repeatable per seed, duplication, reordering and delay observable and counted, in both directions,
// and faults in front of slirp (a duplicated ARP request is answered twice, a delayed reply waits).
using System;
using System.Collections.Generic;
using System.Linq;

namespace Bootstage.Net.Slirp.Tests
{
    /// <summary>A frame port that records what it is sent and hands out frames a test puts in.</summary>
    internal sealed class RecordingPort : IFramePort
    {
        private readonly Queue<byte[]> _toGuest = new();

        public List<byte[]> Sent { get; } = new();

        public int Polls { get; private set; }

        public int MaxFrameSize => 1514;

        public int ToGuestCount => _toGuest.Count;

        public void Send(ReadOnlySpan<byte> frame) => Sent.Add(frame.ToArray());

        public void Inject(byte[] frame) => _toGuest.Enqueue(frame);

        public bool TryTakeToGuest(Span<byte> buffer, out int length)
        {
            if (!_toGuest.TryPeek(out byte[]? frame))
            {
                length = 0;
                return false;
            }

            length = frame.Length;
            if (buffer.Length < length)
            {
                return false;
            }

            _toGuest.Dequeue().CopyTo(buffer);
            return true;
        }

        public int Poll(int timeoutMs)
        {
            Polls++;
            return 0;
        }
    }

    [Collection(SlirpCollection.Name)]
    public class FaultyLinkTests
    {
        private const int Seed = 20240611;

        /// <summary>A 60-byte frame whose bytes 14..17 hold its index.</summary>
        private static byte[] Numbered(int index)
        {
            byte[] frame = new byte[60];
            BitConverter.TryWriteBytes(frame.AsSpan(14), index);
            return frame;
        }

        private static int Number(byte[] frame) => BitConverter.ToInt32(frame, 14);

        private static List<int> SendThrough(int seed, FaultProfile profile, int count, out FaultyLink link)
        {
            RecordingPort port = new RecordingPort();
            link = new FaultyLink(port, seed, toNetwork: profile);
            for (int i = 0; i < count; i++)
            {
                link.Send(Numbered(i));
            }

            link.Flush();
            return port.Sent.Select(Number).ToList();
        }

        private static List<int> TakeThrough(int seed, FaultProfile profile, int count, out FaultyLink link)
        {
            RecordingPort port = new RecordingPort();
            link = new FaultyLink(port, seed, toGuest: profile, queueCapacity: 4 * count);
            for (int i = 0; i < count; i++)
            {
                port.Inject(Numbered(i));
            }

            link.Poll(0);
            link.Flush();
            List<int> taken = new();
            byte[] buffer = new byte[link.MaxFrameSize];
            while (link.TryTakeToGuest(buffer, out int length))
            {
                taken.Add(Number(buffer.AsSpan(0, length).ToArray()));
            }

            return taken;
        }

        [Fact]
        public void Loss_of_one_half_over_1000_frames_loses_about_500_and_the_seed_repeats_the_pattern()
        {
            FaultProfile lossy = new FaultProfile { Loss = 0.5 };
            List<int> first = SendThrough(Seed, lossy, 1000, out FaultyLink link);
            Assert.InRange(link.ToNetworkCounters.Lost, 430, 570); // about 4.4 standard deviations
            Assert.Equal(1000, link.ToNetworkCounters.Offered);
            Assert.Equal(1000 - link.ToNetworkCounters.Lost, link.ToNetworkCounters.Delivered);
            Assert.Equal(first.Count, link.ToNetworkCounters.Delivered);
            Assert.Equal(first.OrderBy(i => i), first); // loss alone keeps the order
            Assert.Equal(0, link.ToGuestCounters.Offered);

            List<int> again = SendThrough(Seed, lossy, 1000, out _);
            Assert.Equal(first, again);
            List<int> other = SendThrough(Seed + 1, lossy, 1000, out _);
            Assert.NotEqual(first, other);
        }

        [Fact]
        public void Loss_towards_the_guest_is_counted_separately_and_repeats_with_the_seed()
        {
            FaultProfile lossy = new FaultProfile { Loss = 0.5 };
            List<int> first = TakeThrough(Seed, lossy, 1000, out FaultyLink link);
            Assert.InRange(link.ToGuestCounters.Lost, 430, 570);
            Assert.Equal(1000 - link.ToGuestCounters.Lost, first.Count);
            Assert.Equal(0, link.ToNetworkCounters.Offered);
            Assert.Equal(first, TakeThrough(Seed, lossy, 1000, out _));
        }

        [Fact]
        public void Duplicates_arrive_back_to_back_and_are_counted()
        {
            List<int> received = SendThrough(Seed, new FaultProfile { Duplication = 0.2 }, 1000, out FaultyLink link);
            long duplicated = link.ToNetworkCounters.Duplicated;
            Assert.InRange(duplicated, 140, 260);
            Assert.Equal(1000 + duplicated, received.Count);
            Assert.Equal(received.Count, link.ToNetworkCounters.Delivered);
            int adjacentRepeats = received.Zip(received.Skip(1), (a, b) => a == b ? 1 : 0).Sum();
            Assert.Equal(duplicated, adjacentRepeats);
            Assert.Equal(Enumerable.Range(0, 1000), received.Distinct());
        }

        [Fact]
        public void Reordered_frames_come_after_the_later_frames_they_wait_for_and_are_counted()
        {
            FaultProfile profile = new FaultProfile { Reorder = 0.2, ReorderDepth = 3 };
            List<int> received = SendThrough(Seed, profile, 1000, out FaultyLink link);
            long reordered = link.ToNetworkCounters.Reordered;
            Assert.InRange(reordered, 140, 260);
            Assert.Equal(Enumerable.Range(0, 1000), received.OrderBy(i => i)); // nothing lost or added
            Assert.NotEqual(Enumerable.Range(0, 1000), received);
            int inversions = 0;
            for (int i = 1; i < received.Count; i++)
            {
                if (received[i] < received[i - 1])
                {
                    inversions++;
                }
            }

            Assert.True(inversions > 0 && inversions <= reordered, $"{inversions} inversions for {reordered} reordered frames");
            Assert.Equal(received, SendThrough(Seed, profile, 1000, out _));
            Assert.Equal(0, link.HeldFrames);
        }

        [Fact]
        public void A_held_frame_is_released_exactly_after_its_depth_of_later_frames()
        {
            RecordingPort port = new RecordingPort();
            FaultyLink link = new FaultyLink(port, Seed, toNetwork: new FaultProfile { Reorder = 1, ReorderDepth = 2 });
            link.Send(Numbered(0));
            Assert.Empty(port.Sent);
            Assert.Equal(1, link.HeldFrames);
            // Every frame is held; frame 0 goes out when the second later frame arrives, and so on.
            link.Send(Numbered(1));
            Assert.Empty(port.Sent);
            link.Send(Numbered(2));
            Assert.Equal(new[] { 0 }, port.Sent.Select(Number));
            link.Send(Numbered(3));
            Assert.Equal(new[] { 0, 1 }, port.Sent.Select(Number));
            link.Flush();
            Assert.Equal(new[] { 0, 1, 2, 3 }, port.Sent.Select(Number));
            Assert.Equal(4, link.ToNetworkCounters.Reordered);
        }

        [Fact]
        public void Delayed_frames_wait_their_number_of_polls_in_each_direction()
        {
            RecordingPort port = new RecordingPort();
            FaultProfile delay = new FaultProfile { Delay = 1, DelayPolls = 3 };
            FaultyLink link = new FaultyLink(port, Seed, toNetwork: delay, toGuest: delay);
            link.Send(Numbered(7));
            port.Inject(Numbered(8));
            byte[] buffer = new byte[link.MaxFrameSize];
            Assert.False(link.TryTakeToGuest(buffer, out _)); // taken from the port, now held
            for (int poll = 1; poll <= 2; poll++)
            {
                link.Poll(0);
                Assert.Empty(port.Sent);
                Assert.False(link.TryTakeToGuest(buffer, out _));
            }

            link.Poll(0);
            Assert.Equal(new[] { 7 }, port.Sent.Select(Number));
            Assert.True(link.TryTakeToGuest(buffer, out int length));
            Assert.Equal(8, Number(buffer.AsSpan(0, length).ToArray()));
            Assert.Equal(1, link.ToNetworkCounters.Delayed);
            Assert.Equal(1, link.ToGuestCounters.Delayed);
            Assert.Equal(3, port.Polls);
        }

        [Fact]
        public void Profiles_are_checked()
        {
            RecordingPort port = new RecordingPort();
            Assert.Throws<ArgumentOutOfRangeException>(() => new FaultyLink(port, 1, new FaultProfile { Loss = 1.5 }));
            Assert.Throws<ArgumentOutOfRangeException>(() => new FaultyLink(port, 1, toGuest: new FaultProfile { ReorderDepth = 0 }));
        }

        [Fact]
        public void In_front_of_slirp_a_duplicated_request_is_answered_twice_and_a_delayed_reply_waits()
        {
            using SlirpNetwork network = new SlirpNetwork();
            FaultyLink link = new FaultyLink(network, Seed,
                toNetwork: new FaultProfile { Duplication = 1 },
                toGuest: new FaultProfile { Delay = 1, DelayPolls = 2 });
            TestGuest guest = new TestGuest(link);
            guest.Send(Packets.ArpRequest(guest.Mac, guest.Ip, Packets.Ip("10.0.2.2")));
            Assert.Equal(2, network.FramesFromGuest);
            Assert.Empty(guest.Drain());
            link.Poll(0);
            Assert.Empty(guest.Drain());
            link.Poll(0);
            List<Parsed> replies = guest.Drain();
            Assert.Equal(2, replies.Count);
            Assert.All(replies, reply => Assert.Equal(2, reply.ArpOperation));
            Assert.Equal(1, link.ToNetworkCounters.Duplicated);
            Assert.Equal(2, link.ToGuestCounters.Delayed);
        }
    }
}
