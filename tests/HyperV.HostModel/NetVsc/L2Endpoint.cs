// The layer-2 side of the host model's synthetic NIC: where Ethernet frames the guest transmits go,
// and a recorder that keeps them for tests. A real network (libslirp) plugs in through the same
// one-method interface and answers by calling NetVscBackend.DeliverToGuest.
using System;
using System.Collections.Generic;

namespace Bootstage.HyperV.HostModel
{
    /// <summary>Receives every Ethernet frame the guest sends through the netvsc backend.</summary>
    public interface IL2Endpoint
    {
        /// <summary>One frame, exactly as the guest's RNDIS PACKET carried it; the span is only valid during the call.</summary>
        void FrameFromGuest(ReadOnlySpan<byte> frame);
    }

    /// <summary>An endpoint that keeps a copy of every frame, in order.</summary>
    public sealed class FrameRecorder : IL2Endpoint
    {
        private readonly List<byte[]> _frames = new();

        public IReadOnlyList<byte[]> Frames => _frames;

        public void FrameFromGuest(ReadOnlySpan<byte> frame) => _frames.Add(frame.ToArray());

        public void Clear() => _frames.Clear();
    }
}
