// NetVSP (the VMBus network protocol) message numbers, versions and layouts (docs/hyperv.md §9).
// Every message starts with a u32 type; we send each as a 32-byte inband payload, as iPXE does.
namespace Bootstage.Drivers.HyperV.NetVsc
{
    public static class NvspMessage
    {
        public const uint Init = 1;
        public const uint InitComplete = 2;
        public const uint SendNdisVersion = 100;
        public const uint SendReceiveBuffer = 101;
        public const uint SendReceiveBufferComplete = 102;
        public const uint RevokeReceiveBuffer = 103;
        public const uint SendSendBuffer = 104;
        public const uint SendSendBufferComplete = 105;
        public const uint RevokeSendBuffer = 106;
        public const uint SendRndisPacket = 107;
        public const uint SendRndisPacketComplete = 108;

        /// <summary>NVSP 2: {u32 mtu; u32 reserved; u64 capabilities}, before SEND_NDIS_VER.</summary>
        public const uint SendNdisConfig = 125;

        public const uint StatusSuccess = 1;
        public const uint StatusFailure = 2;

        /// <summary>NVSP_PROTOCOL_VERSION_1 .. _5, newest first: negotiation tries them in this order.</summary>
        public const uint Version1 = 0x00000002;
        public const uint Version2 = 0x00030002;
        public const uint Version4 = 0x00040000;
        public const uint Version5 = 0x00050000;

        public const uint RndisChannelData = 0;
        public const uint RndisChannelControl = 1;
        public const uint NoSendBufferSection = 0xFFFFFFFF;

        public const int Size = 32;
    }
}
