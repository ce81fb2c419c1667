// The byte stream an iSCSI connection runs on (RFC 7143 §4.2: one TCP connection per iSCSI
// connection). Non-blocking and poll-driven like the rest of the stack: Send takes what fits,
// Receive returns what has arrived, Poll moves the network below. The image implements it over
// Net's TcpConnection; tests and the benchmark also run it over a host socket.
using System;

namespace Bootstage.Boot.Iscsi
{
    public enum TransportState
    {
        Idle,
        Connecting,
        Open,
        Closing,
        Failed,
    }

    public interface IIscsiTransport
    {
        TransportState State { get; }

        /// <summary>Milliseconds from a monotonic clock: every iSCSI timeout is measured on it.</summary>
        ulong Milliseconds { get; }

        /// <summary>Starts a connection; `server` is a dotted quad or a host name.</summary>
        IscsiStatus Connect(ReadOnlySpan<byte> server, ushort port);

        int Send(ReadOnlySpan<byte> data);

        int Receive(Span<byte> destination);

        /// <summary>Moves the layers below (NIC, TCP timers); never blocks.</summary>
        void Poll();

        /// <summary>Graceful close after queued data.</summary>
        void Close();

        /// <summary>Drops the connection at once (reset).</summary>
        void Abort();
    }

    /// <summary>Unpredictable numbers: ISID qualifier, CHAP challenges, TCP initial sequence numbers.</summary>
    public interface IRandomSource
    {
        uint NextUInt32();
    }
}
