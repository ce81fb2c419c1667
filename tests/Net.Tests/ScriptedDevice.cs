// Test doubles for the stack's unit tests: a NetDevice that records what the stack transmits and
// hands it frames the test injects, and a clock the test moves by hand.
using System;
using System.Collections.Generic;
using Bootstage.Drivers.Net;

namespace Bootstage.Net.Tests
{
    internal sealed class ScriptedDevice : NetDevice
    {
        private readonly Queue<byte[]> _incoming = new();

        public ScriptedDevice(byte[] mac)
        {
            Mac = MacAddress.Read(mac);
            Link = LinkState.Up;
            IsOpen = true;
        }

        public List<byte[]> Sent { get; } = new();

        public override ReadOnlySpan<byte> Name => "scripted"u8;

        public void Inject(byte[] frame) => _incoming.Enqueue(frame);

        public override NetStatus Open() => NetStatus.Success;

        public override void Close()
        {
        }

        public override NetStatus Transmit(ReadOnlySpan<byte> frame)
        {
            Sent.Add(frame.ToArray());
            return NetStatus.Success;
        }

        public override int Poll(IFrameSink sink, int budget)
        {
            int count = 0;
            while (count < budget && _incoming.Count > 0)
            {
                sink.Receive(this, _incoming.Dequeue());
                count++;
            }

            return count;
        }
    }

    internal sealed class ManualClock : INetClock
    {
        public ulong Milliseconds { get; set; }
    }
}
