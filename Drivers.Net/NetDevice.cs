// The network-device contract (iPXE's net_device, in C# terms): identity (name, MAC, MTU), link
// state, open/close, transmit and a poll that hands received frames to a sink. Received frames
// are views into the driver's receive memory, valid only during the sink call: no copy, no
// allocation. Drivers report failures with NetStatus, never by throwing. The statistics and
// the object itself survive driver resets (e.g. a Hyper-V reclaim), so upper layers keep theirs.
using System;

namespace Bootstage.Drivers.Net
{
    public abstract class NetDevice
    {
        private NetDeviceStatistics _statistics;

        /// <summary>ASCII name, stable across resets (e.g. "netvsc-&lt;instance uuid&gt;").</summary>
        public abstract ReadOnlySpan<byte> Name { get; }

        public MacAddress Mac { get; protected set; }

        /// <summary>Largest Ethernet payload (without the 14-byte header).</summary>
        public int Mtu { get; protected set; } = 1500;

        public LinkState Link { get; protected set; }

        public bool IsOpen { get; protected set; }

        public ref NetDeviceStatistics Statistics => ref _statistics;

        public abstract NetStatus Open();

        public abstract void Close();

        /// <summary>Queues one Ethernet frame (header included). Busy when no transmit slot is free: poll, then retry.</summary>
        public abstract NetStatus Transmit(ReadOnlySpan<byte> frame);

        /// <summary>Processes device events and delivers up to <paramref name="budget"/> frames; returns how many.</summary>
        public abstract int Poll(IFrameSink sink, int budget);

        /// <summary>Driver helper: records a link change and counts it.</summary>
        protected void SetLink(LinkState state)
        {
            if (Link != state)
            {
                Link = state;
                _statistics.LinkChanges++;
            }
        }
    }

    /// <summary>Receives frames from <see cref="NetDevice.Poll"/>; the span is valid during the call only.</summary>
    public interface IFrameSink
    {
        void Receive(NetDevice device, ReadOnlySpan<byte> frame);
    }

    public enum LinkState
    {
        Unknown = 0,
        Up = 1,
        Down = 2,
    }

    public enum NetStatus
    {
        Success = 0,
        NotOpen = 1,
        Busy = 2,
        TooLong = 3,
        DeviceError = 4,
        Timeout = 5,
        NoMemory = 6,
        ProtocolError = 7,
    }

    public struct NetDeviceStatistics
    {
        public ulong RxFrames;
        public ulong RxBytes;
        public ulong RxErrors;
        public ulong RxDropped;
        public ulong TxFrames;
        public ulong TxBytes;
        public ulong TxErrors;
        public ulong TxBusy;
        public ulong LinkChanges;
    }
}
