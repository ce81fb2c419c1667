// The backend behind one VMBus channel of the host model: what a virtual device (netvsc, an echo
// device for tests) implements. The host calls it on open, close, every packet the guest sends and
// on each turn of the host's work loop; the backend answers through its HostChannel.
namespace Bootstage.HyperV.HostModel
{
    public interface IHostDevice
    {
        /// <summary>The guest opened the channel; its rings are mapped.</summary>
        void OnOpen(HostChannel channel);

        /// <summary>The channel closed: CLOSECHANNEL, a bus reset or a loader takeover. The rings are gone.</summary>
        void OnClose(HostChannel channel);

        /// <summary>
        /// A packet from the guest. Return true when the backend has dealt with any completion the packet
        /// requested (sent it, or will send it later); return false and the host sends an empty COMP with the
        /// packet's transaction id for INBAND and GPA_DIRECT packets that asked for one.
        /// </summary>
        bool OnPacket(HostChannel channel, GuestPacket packet);

        /// <summary>Periodic work while the channel is open (e.g. delivering receive traffic).</summary>
        void OnPoll(HostChannel channel);
    }
}
