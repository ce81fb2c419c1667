// Plugs a frame port (SlirpNetwork, or a FaultyLink in front of one) in as the layer-2 endpoint of
// the Hyper-V host model's netvsc backend (tests/HyperV.HostModel/NetVsc/L2Endpoint.cs): frames the
// guest transmits through netvsc go to the port, and Pump hands what the port produced to
// NetVscBackend.DeliverToGuest. Single-threaded: FrameFromGuest and Pump must not overlap.
using System;
using Bootstage.HyperV.HostModel;

namespace Bootstage.Net.Slirp
{
    /// <summary>
    /// Construct the bridge first, then the backend with it, then set <see cref="Backend"/>:
    /// <code>
    /// var bridge = new SlirpNetVscBridge(network);
    /// var backend = new NetVscBackend(host, bridge);
    /// bridge.Backend = backend;
    /// </code>
    /// </summary>
    public sealed class SlirpNetVscBridge : IL2Endpoint
    {
        private readonly IFramePort _port;
        private byte[] _buffer;

        public SlirpNetVscBridge(IFramePort port)
        {
            _port = port ?? throw new ArgumentNullException(nameof(port));
            _buffer = new byte[port.MaxFrameSize];
        }

        /// <summary>The port frames go to and come from.</summary>
        public IFramePort Port => _port;

        /// <summary>The backend <see cref="Pump"/> delivers to; set after constructing it with this bridge.</summary>
        public NetVscBackend? Backend { get; set; }

        /// <summary>Frames the guest sent that went to the port.</summary>
        public long FramesFromGuest { get; private set; }

        /// <summary>Frames handed to <see cref="NetVscBackend.DeliverToGuest"/> (the backend counts its own drops).</summary>
        public long FramesToGuest { get; private set; }

        public void FrameFromGuest(ReadOnlySpan<byte> frame)
        {
            FramesFromGuest++;
            _port.Send(frame);
        }

        /// <summary>
        /// Polls the port (waiting at most <paramref name="timeoutMs"/> ms) and delivers every frame it has for
        /// the guest to the backend. Returns the frames delivered.
        /// </summary>
        public int Pump(int timeoutMs = 0)
        {
            NetVscBackend backend = Backend ?? throw new InvalidOperationException("Set Backend before pumping.");
            _port.Poll(timeoutMs);
            int delivered = 0;
            for (int budget = _port.ToGuestCount; budget > 0; budget--)
            {
                if (!_port.TryTakeToGuest(_buffer, out int length))
                {
                    if (length == 0)
                    {
                        break;
                    }

                    _buffer = new byte[length];
                    budget++;
                    continue;
                }

                backend.DeliverToGuest(_buffer.AsSpan(0, length));
                delivered++;
            }

            FramesToGuest += delivered;
            return delivered;
        }
    }
}
