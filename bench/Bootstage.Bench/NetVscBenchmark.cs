// netvsc through the driver against the Hyper-V host model: RX and TX frames/s and MiB/s with
// 1514-byte frames, copies per received frame (a frame outside the receive buffer would be a
// copy; the goal is 0), and driver allocations per frame measured with the host on its own thread.
using System;
using System.Diagnostics;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.NetVsc;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.Drivers.Net;
using Bootstage.HyperV.HostModel;
using Bootstage.Platform;
using Bootstage.Platform.Testing;
using HvStatus = Bootstage.Drivers.HyperV.Hypervisor.HvStatus;

namespace Bootstage.Bench
{
    internal static unsafe class NetVscBenchmark
    {
        private const int FrameSize = 1514;
        private static readonly Guid NetworkClass = new Guid("f8615163-df3e-46c5-913f-f2d2f965ed0e");

        private sealed class Sink : IFrameSink
        {
            public ulong Start;
            public ulong End;
            public long Frames;
            public long Bytes;
            public long Copies;

            public void Receive(NetDevice device, ReadOnlySpan<byte> frame)
            {
                fixed (byte* pointer = frame)
                {
                    ulong address = (ulong)pointer;
                    if (address < Start || address + (ulong)frame.Length > End)
                    {
                        Copies++;
                    }
                }

                Frames++;
                Bytes += frame.Length;
            }
        }

        private sealed class NullEndpoint : IL2Endpoint
        {
            public long Frames;

            public void FrameFromGuest(ReadOnlySpan<byte> frame) => Frames++;
        }

        public static void Run(int frames)
        {
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            NullEndpoint endpoint = new NullEndpoint();
            NetVscBackend backend = new NetVscBackend(host, endpoint);
            host.AddChannel(NetworkClass, Guid.NewGuid(), backend);
            NetVscDevice device = BringUp(host);
            Sink sink = new Sink { Start = (ulong)device.ReceiveBuffer.VirtualAddress };
            sink.End = sink.Start + device.ReceiveBuffer.Length;
            byte[] frame = new byte[FrameSize];
            new Random(1).NextBytes(frame);

            Stopwatch rx = Stopwatch.StartNew();
            for (int delivered = 0; delivered < frames; delivered += 8)
            {
                for (int i = 0; i < 8; i++)
                {
                    backend.DeliverToGuest(frame);
                }

                long target = delivered + 8;
                for (int spin = 0; spin < 100000 && sink.Frames < target; spin++)
                {
                    // The simulated host runs when the guest yields, as a waiting guest would.
                    if (device.Poll(sink, 64) == 0)
                    {
                        host.Pause();
                    }
                }
            }

            rx.Stop();
            Report("netvsc RX", sink.Frames, sink.Bytes, rx.Elapsed.TotalSeconds);
            Console.WriteLine($"netvsc RX copies per frame: {(double)sink.Copies / Math.Max(1, sink.Frames):0.###} ({sink.Copies} copies in {sink.Frames} frames)");

            Stopwatch tx = Stopwatch.StartNew();
            long sent = 0;
            while (sent < frames)
            {
                if (device.Transmit(frame) == NetStatus.Success)
                {
                    sent++;
                }
                else
                {
                    device.Poll(sink, 64);
                }
            }

            host.RunHost();
            tx.Stop();
            Report("netvsc TX", sent, sent * FrameSize, tx.Elapsed.TotalSeconds);
            Console.WriteLine($"netvsc TX frames seen by the host endpoint: {endpoint.Frames}");

            MeasureAllocations();
        }

        private static NetVscDevice BringUp(IPlatform platform)
        {
            HvHypervisor hypervisor = new HvHypervisor(platform);
            Check(hypervisor.Initialize());
            VmBusConnection connection = new VmBusConnection(hypervisor);
            Check(connection.Connect());
            Check(connection.RequestOffers());
            VmBusBus bus = new VmBusBus(connection);
            NetVscDriver driver = new NetVscDriver();
            bus.Register(driver);
            if (bus.ProbeAll() != 1)
            {
                throw new InvalidOperationException("netvsc did not come up");
            }

            return driver.Device(0);
        }

        private static void MeasureAllocations()
        {
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            NullEndpoint endpoint = new NullEndpoint();
            NetVscBackend backend = new NetVscBackend(host, endpoint);
            host.AddChannel(NetworkClass, Guid.NewGuid(), backend);
            using ThreadHoppingPlatform platform = new ThreadHoppingPlatform(host);
            NetVscDevice device = BringUp(platform);
            Sink sink = new Sink { Start = (ulong)device.ReceiveBuffer.VirtualAddress };
            sink.End = sink.Start + device.ReceiveBuffer.Length;
            byte[] frame = new byte[FrameSize];
            long allocated = 0;
            long rxFrames = 0;
            long txFrames = 0;
            for (int round = 0; round < 200; round++)
            {
                for (int i = 0; i < 8; i++)
                {
                    backend.DeliverToGuest(frame);
                }

                long before = GC.GetAllocatedBytesForCurrentThread();
                long target = sink.Frames + 8;
                for (int spin = 0; spin < 10000 && sink.Frames < target; spin++)
                {
                    if (device.Poll(sink, 64) == 0)
                    {
                        platform.Pause();
                    }
                }

                int sentThisRound = 0;
                for (int i = 0; i < 8; i++)
                {
                    if (device.Transmit(frame) == NetStatus.Success)
                    {
                        sentThisRound++;
                    }
                }

                long after = GC.GetAllocatedBytesForCurrentThread();
                if (round >= 20)
                {
                    allocated += after - before;
                    rxFrames += sink.Frames - (target - 8);
                    txFrames += sentThisRound;
                }
            }

            Console.WriteLine($"netvsc driver allocations per frame (RX+TX, steady state): {(double)allocated / Math.Max(1, rxFrames + txFrames):0.###} bytes over {rxFrames} RX and {txFrames} TX frames");
        }

        private static void Report(string name, long frames, long bytes, double seconds)
        {
            Console.WriteLine($"{name}: {frames} frames in {seconds:0.000} s = {frames / seconds:0} frames/s, {bytes / seconds / (1024 * 1024):0.0} MiB/s");
        }

        private static void Check(HvStatus status)
        {
            if (status != HvStatus.Success)
            {
                throw new InvalidOperationException("bring-up failed: " + status);
            }
        }
    }
}
