// The default device backend: it records what the guest sends and leaves every requested completion
// to the host (docs/hyperv.md §8: answer COMPLETION_REQUESTED on every INBAND
// and GPA_DIRECT packet). Subclasses add behaviour by overriding the callbacks.
using System.Collections.Generic;

namespace Bootstage.HyperV.HostModel
{
    public class AutoCompleteDevice : IHostDevice
    {
        /// <summary>Every packet the guest sent on this channel, across opens.</summary>
        public List<GuestPacket> Received { get; } = new();

        public int Opens { get; private set; }

        public int Closes { get; private set; }

        public virtual void OnOpen(HostChannel channel) => Opens++;

        public virtual void OnClose(HostChannel channel) => Closes++;

        public virtual bool OnPacket(HostChannel channel, GuestPacket packet)
        {
            Received.Add(packet);
            return false;
        }

        public virtual void OnPoll(HostChannel channel)
        {
        }
    }
}
