// The steps of netvsc bring-up, in order; a failed bring-up names the one that failed
// (NetVscDevice.FailedStep), so a log line says what the host refused, not only that it did.
namespace Bootstage.Drivers.HyperV.NetVsc
{
    public enum NetVscStep
    {
        None,
        AllocateBuffers,
        OpenChannel,
        NegotiateNvsp,
        NdisConfig,
        NdisVersion,
        ReceiveBufferGpadl,
        ReceiveBuffer,
        RndisInitialize,
        QueryMac,
        SetPacketFilter,
    }
}
