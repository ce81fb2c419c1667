// A test backend: every INBAND payload the guest sends comes straight back as an INBAND packet with
// the same transaction id. With CompleteItself set it answers a completion request with a COMP that
// carries the payload instead, showing how a backend takes the completion away from the host.
namespace Bootstage.HyperV.HostModel
{
    public sealed class EchoDevice : AutoCompleteDevice
    {
        /// <summary>Answer completion-requested INBAND packets with our own COMP (payload echoed) instead of echoing.</summary>
        public bool CompleteItself { get; set; }

        public override bool OnPacket(HostChannel channel, GuestPacket packet)
        {
            base.OnPacket(channel, packet);
            if (packet.Type != VmBusPacketType.DataInband)
            {
                return false;
            }

            if (CompleteItself && packet.CompletionRequested)
            {
                channel.SendCompletion(packet.TransactionId, packet.Payload);
                return true;
            }

            channel.SendInband(packet.Payload, packet.TransactionId);
            return false;
        }
    }
}
