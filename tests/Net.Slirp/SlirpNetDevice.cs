// A NetDevice whose wire is libslirp (or a FaultyLink in front of it): frames we transmit go
// into slirp, frames slirp produces come out of Poll. Lets the stack run against slirp's real
// DHCP server and NAT in-process.
using System;
using Bootstage.Drivers.Net;

namespace Bootstage.Net.Slirp
{
    public sealed class SlirpNetDevice : NetDevice
    {
        private readonly IFramePort _slirp;
        private readonly byte[] _frame = new byte[2048];

        public SlirpNetDevice(IFramePort slirp, byte[] mac)
        {
            _slirp = slirp;
            Mac = MacAddress.Read(mac);
            Link = LinkState.Up;
            IsOpen = true;
        }

        public override ReadOnlySpan<byte> Name => "slirp0"u8;

        public override NetStatus Open() => NetStatus.Success;

        public override void Close()
        {
        }

        public override NetStatus Transmit(ReadOnlySpan<byte> frame)
        {
            _slirp.Send(frame);
            Statistics.TxFrames++;
            return NetStatus.Success;
        }

        public override int Poll(IFrameSink sink, int budget)
        {
            _slirp.Poll(0);
            int count = 0;
            while (count < budget && _slirp.TryTakeToGuest(_frame, out int length))
            {
                Statistics.RxFrames++;
                sink.Receive(this, new ReadOnlySpan<byte>(_frame, 0, length));
                count++;
            }

            return count;
        }
    }

    public sealed class WallClock : Bootstage.Net.INetClock
    {
        private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();

        public ulong Milliseconds => (ulong)_watch.ElapsedMilliseconds;
    }
}
