// Receives UDP datagrams addressed to a bound port. The payload is a view into the receive
// buffer, valid during the call only.
using System;

namespace Bootstage.Net
{
    public interface IUdpReceiver
    {
        void Receive(NetInterface source, Ipv4Address from, ushort fromPort, ushort toPort, ReadOnlySpan<byte> payload);
    }
}
