// The layer-2 shape every in-process network endpoint in the tests offers to a guest: Ethernet frames
// (IEEE 802.3 layout: destination, source, EtherType, payload; no preamble or FCS) go in with Send and
// come back out of a bounded queue the guest polls. No specification beyond that; single-threaded.
using System;

namespace Bootstage.Net.Slirp
{
    /// <summary>One Ethernet port as the guest sees it. Not thread-safe: one caller at a time.</summary>
    public interface IFramePort
    {
        /// <summary>The largest frame <see cref="TryTakeToGuest"/> can return (a buffer this size always fits).</summary>
        int MaxFrameSize { get; }

        /// <summary>Frames waiting for the guest.</summary>
        int ToGuestCount { get; }

        /// <summary>Guest → network: one frame, copied before the call returns.</summary>
        void Send(ReadOnlySpan<byte> frame);

        /// <summary>
        /// Network → guest: copies the oldest waiting frame into <paramref name="buffer"/>. False with
        /// <paramref name="length"/> 0 when none waits; false with <paramref name="length"/> = the frame's
        /// size when the buffer is too small (the frame stays queued).
        /// </summary>
        bool TryTakeToGuest(Span<byte> buffer, out int length);

        /// <summary>Lets the network make progress, waiting at most <paramref name="timeoutMs"/> ms (0: don't wait). Returns frames newly queued for the guest.</summary>
        int Poll(int timeoutMs);
    }
}
