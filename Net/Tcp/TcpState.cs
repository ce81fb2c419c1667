// TCP connection states (RFC 9293 §3.3.2), the subset an active opener passes through.
namespace Bootstage.Net.Tcp
{
    public enum TcpState
    {
        Closed = 0,
        SynSent = 1,
        Established = 2,
        FinWait1 = 3,
        FinWait2 = 4,
        CloseWait = 5,
        Closing = 6,
        LastAck = 7,
        TimeWait = 8,
    }

    public struct TcpCounters
    {
        public ulong SegmentsSent;
        public ulong SegmentsReceived;
        public ulong Retransmits;
        public ulong Timeouts;
        public ulong FastRetransmits;
        public ulong DuplicateAcks;
        public ulong OutOfOrderQueued;
        public ulong OutOfOrderDropped;
        public ulong DuplicateSegments;
        public ulong ZeroWindowProbes;
        public ulong ResetsReceived;
        public ulong ChecksumErrors;
        public ulong DelayedAcks;
    }
}
