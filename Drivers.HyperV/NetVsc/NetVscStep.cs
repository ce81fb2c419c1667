// The steps of netvsc bring-up, in order; a failed bring-up names the one that failed
// (NetVscDevice.FailedStep), so a log line says what the host refused, not only that it did.
using System;

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

    public static class NetVscStepNames
    {
        /// <summary>The step's name for log lines (the image has no Enum.ToString).</summary>
        public static ReadOnlySpan<byte> Of(NetVscStep step) => step switch
        {
            NetVscStep.AllocateBuffers => "allocate-buffers"u8,
            NetVscStep.OpenChannel => "open-channel"u8,
            NetVscStep.NegotiateNvsp => "nvsp-init"u8,
            NetVscStep.NdisConfig => "ndis-config"u8,
            NetVscStep.NdisVersion => "ndis-version"u8,
            NetVscStep.ReceiveBufferGpadl => "receive-buffer-gpadl"u8,
            NetVscStep.ReceiveBuffer => "receive-buffer"u8,
            NetVscStep.RndisInitialize => "rndis-initialize"u8,
            NetVscStep.QueryMac => "query-mac"u8,
            NetVscStep.SetPacketFilter => "set-packet-filter"u8,
            _ => "none"u8,
        };
    }
}
