// Seeded chaos between our netvsc driver and the host model: the host reads the guest's ring at
// random later turns (skipping a seeded share of its chances) while frames of random sizes flow
// both ways, interleaved at random. Every frame carries a sequence number and bytes derived from
// (seed, direction, sequence): a lost, duplicated, reordered or altered byte fails the seed, and
// a lost wake-up shows as a transfer that stops making progress within its poll budget. The
// number of seeds and the bytes per seed come from BOOTSTAGE_RANDOM_SEEDS and
// BOOTSTAGE_RANDOM_BYTES (defaults keep `build.sh test` short; the closing note records a run
// with 10^4 seeds).
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.HyperV.NetVsc;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.Drivers.Net;
using Bootstage.HyperV.HostModel;

namespace Bootstage.Drivers.HyperV.Tests
{
    [Collection(SoloCollection.Name)]
    public class RandomizedTransferTests
    {
        private const ushort EtherType = 0x88B5;
        private const int HeaderSize = 18;

        private static int Setting(string name, int fallback)
        {
            string? text = Environment.GetEnvironmentVariable(name);
            return int.TryParse(text, out int value) && value > 0 ? value : fallback;
        }

        [Fact]
        public void Random_drain_points_lose_reorder_or_hang_nothing_in_either_direction()
        {
            int seeds = Setting("BOOTSTAGE_RANDOM_SEEDS", 300);
            int bytes = Setting("BOOTSTAGE_RANDOM_BYTES", 256 << 10);
            for (int seed = 1; seed <= seeds; seed++)
            {
                Run(seed, bytes);
            }
        }

        [Fact]
        public void Sixteen_mebibytes_each_way_survive_random_drain_points()
        {
            Run(424242, 16 << 20);
        }

        private static void Run(int seed, int bytes)
        {
            Random random = new Random(seed);
            using Guest guest = new Guest();
            guest.Host.Faults.DelayDrains(seed, random.Next(0, 90));
            Checker toHost = new Checker(seed, 0);
            NetVscBackend backend = new NetVscBackend(guest.Host, toHost, new NetVscOptions { MaxMessagesPerPacket = 1 + random.Next(8) });
            guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid(), backend);
            guest.BringUp();
            NetVscDriver driver = new NetVscDriver();
            guest.Bus.Register(driver);
            guest.Bus.ProbeAll();

            NetVscDevice device = driver.Device(0);
            Assert.True(device.IsOpen, $"seed {seed}: bring-up failed at {device.FailedStep}");
            Checker toGuest = new Checker(seed, 1);
            byte[] frame = new byte[1514];
            long sentToHost = 0;
            long sentToGuest = 0;
            uint txSequence = 0;
            uint rxSequence = 0;
            int idle = 0;
            while (toHost.Bytes < bytes || toGuest.Bytes < bytes)
            {
                long before = toHost.Bytes + toGuest.Bytes;
                switch (random.Next(4))
                {
                    case 0:
                        if (sentToHost < bytes)
                        {
                            int length = Fill(frame, seed, 0, txSequence, 60 + random.Next(1455));
                            if (device.Transmit(new ReadOnlySpan<byte>(frame, 0, length)) == NetStatus.Success)
                            {
                                txSequence++;
                                sentToHost += length - HeaderSize;
                            }
                        }

                        break;
                    case 1:
                        if (sentToGuest < bytes && backend.Counters.FramesQueued - backend.Counters.FramesDelivered < 64)
                        {
                            int length = Fill(frame, seed, 1, rxSequence++, 60 + random.Next(1455));
                            backend.DeliverToGuest(new ReadOnlySpan<byte>(frame, 0, length));
                            sentToGuest += length - HeaderSize;
                        }

                        break;
                    case 2:
                        device.Poll(toGuest, 1 + random.Next(32));
                        break;
                    default:
                        guest.Host.Pause();
                        break;
                }

                Assert.True(toHost.Error == null && toGuest.Error == null, $"seed {seed}: {toHost.Error ?? toGuest.Error}");
                idle = toHost.Bytes + toGuest.Bytes == before ? idle + 1 : 0;
                Assert.True(idle < 20_000, $"seed {seed}: no progress (to host {toHost.Bytes}/{bytes}, to guest {toGuest.Bytes}/{bytes}, tx busy {device.Statistics.TxBusy})");
            }

            Assert.Equal(sentToHost, toHost.Bytes);
            Assert.Equal(sentToGuest, toGuest.Bytes);
            Assert.Empty(backend.Violations);
        }

        // dst broadcast, src, EtherType, u32 sequence, then bytes that depend on (seed, direction, sequence).
        private static int Fill(byte[] frame, int seed, int direction, uint sequence, int length)
        {
            frame.AsSpan(0, 6).Fill(0xFF);
            frame.AsSpan(6, 6).Fill((byte)(0x02 + direction));
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType);
            BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(14), sequence);
            uint state = Mix((uint)seed, (uint)direction, sequence);
            for (int i = HeaderSize; i < length; i++)
            {
                state = state * 1664525 + 1013904223;
                frame[i] = (byte)(state >> 24);
            }

            return length;
        }

        private static uint Mix(uint a, uint b, uint c) => (a * 0x9E3779B1) ^ (b * 0x85EBCA77) ^ (c * 0xC2B2AE3D) ^ 0x27D4EB2F;

        /// <summary>Checks frames in one direction as they arrive: sequence in order, bytes as generated.</summary>
        private sealed class Checker : IL2Endpoint, IFrameSink
        {
            private readonly int _seed;
            private readonly int _direction;
            private readonly byte[] _expected = new byte[1514];
            private uint _next;

            public Checker(int seed, int direction)
            {
                _seed = seed;
                _direction = direction;
            }

            public long Bytes { get; private set; }

            public string? Error { get; private set; }

            public void FrameFromGuest(ReadOnlySpan<byte> frame) => Check(frame);

            public void Receive(NetDevice device, ReadOnlySpan<byte> frame) => Check(frame);

            private void Check(ReadOnlySpan<byte> frame)
            {
                if (Error != null)
                {
                    return;
                }

                if (frame.Length < HeaderSize || frame.Length > _expected.Length)
                {
                    Error = $"direction {_direction}: frame of {frame.Length} bytes";
                    return;
                }

                uint sequence = BinaryPrimitives.ReadUInt32LittleEndian(frame.Slice(14));
                if (sequence != _next)
                {
                    Error = $"direction {_direction}: frame {sequence} where {_next} was due";
                    return;
                }

                Fill(_expected, _seed, _direction, sequence, frame.Length);
                if (!frame.SequenceEqual(_expected.AsSpan(0, frame.Length)))
                {
                    Error = $"direction {_direction}: frame {sequence} altered";
                    return;
                }

                _next++;
                Bytes += frame.Length - HeaderSize;
            }
        }
    }
}
