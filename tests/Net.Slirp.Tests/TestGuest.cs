// A scripted guest for the slirp tests: a MAC and an IPv4 address in front of any IFramePort. It
// sends hand-built frames, polls with a deadline for the frame a test waits for, and answers ARP
// requests for its own address (RFC 826) so the network can reach it. Every wait is bounded.
using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace Bootstage.Net.Slirp.Tests
{
    internal sealed class TestGuest
    {
        public static readonly byte[] DefaultMac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

        private readonly IFramePort _port;
        private readonly byte[] _buffer;
        private int _cursor;

        public TestGuest(IFramePort port, byte[]? mac = null, byte[]? ip = null)
        {
            _port = port;
            _buffer = new byte[port.MaxFrameSize];
            Mac = mac ?? DefaultMac;
            Ip = ip ?? Packets.Ip("10.0.2.15");
        }

        public byte[] Mac { get; }

        public byte[] Ip { get; }

        /// <summary>Every frame received, in order (ARP requests it answered included).</summary>
        public List<Parsed> Received { get; } = new();

        public int ArpRequestsAnswered { get; private set; }

        public void Send(byte[] frame) => _port.Send(frame);

        /// <summary>Takes everything waiting without polling; returns the frames taken.</summary>
        public List<Parsed> Drain()
        {
            List<Parsed> taken = new();
            while (_port.TryTakeToGuest(_buffer, out int length))
            {
                Parsed frame = new Parsed(_buffer.AsSpan(0, length).ToArray());
                Received.Add(frame);
                taken.Add(frame);
                if (frame.IsArp && frame.ArpOperation == 1 && frame.ArpTargetIp.AsSpan().SequenceEqual(Ip))
                {
                    ArpRequestsAnswered++;
                    _port.Send(Packets.ArpReply(Mac, Ip, frame.ArpSenderMac, frame.ArpSenderIp));
                }
            }

            return taken;
        }

        /// <summary>
        /// Polls until a frame matching <paramref name="match"/> has arrived after the one the previous
        /// WaitFor returned; fails the test with <paramref name="what"/> at the deadline.
        /// </summary>
        public Parsed WaitFor(Func<Parsed, bool> match, string what, int timeoutMs = 5000)
        {
            Stopwatch clock = Stopwatch.StartNew();
            for (int turn = 0; turn < 100_000; turn++)
            {
                Drain();
                for (int i = _cursor; i < Received.Count; i++)
                {
                    if (match(Received[i]))
                    {
                        _cursor = i + 1;
                        return Received[i];
                    }
                }

                if (clock.ElapsedMilliseconds > timeoutMs)
                {
                    break;
                }

                _port.Poll(10);
            }

            Assert.Fail($"timed out after {clock.ElapsedMilliseconds} ms waiting for {what}; received {Received.Count} frames: " +
                string.Join(", ", Received.ConvertAll(Describe)));
            throw new InvalidOperationException("unreachable");
        }

        /// <summary>Polls until <paramref name="done"/> holds; fails with <paramref name="what"/> at the deadline.</summary>
        public void PollUntil(Func<bool> done, string what, int timeoutMs = 5000)
        {
            Stopwatch clock = Stopwatch.StartNew();
            for (int turn = 0; turn < 100_000 && !done(); turn++)
            {
                if (clock.ElapsedMilliseconds > timeoutMs)
                {
                    Assert.Fail($"timed out after {clock.ElapsedMilliseconds} ms waiting for {what}");
                }

                _port.Poll(10);
                Drain();
            }

            Assert.True(done(), what);
        }

        public static string Describe(Parsed frame)
        {
            if (frame.IsArp)
            {
                return $"ARP op {frame.ArpOperation} {string.Join('.', frame.ArpSenderIp)} -> {string.Join('.', frame.ArpTargetIp)}";
            }

            if (frame.IsUdp || frame.IsTcp)
            {
                string kind = frame.IsUdp ? "UDP" : $"TCP {frame.Flags}";
                return $"{kind} {string.Join('.', frame.SourceIp)}:{frame.SourcePort} -> {string.Join('.', frame.DestinationIp)}:{frame.DestinationPort} ({frame.Payload.Length} bytes)";
            }

            return $"EtherType 0x{frame.EtherType:X4} ({frame.Frame.Length} bytes)";
        }
    }
}
