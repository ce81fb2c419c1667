// Numbers the host model's synthetic NIC speaks: NetVSP (NVSP) message types, versions and status
// codes (docs/hyperv.md §9) and RNDIS message types, OIDs, status codes and packet
// filter bits (§10). Offsets named here count from the first byte of the message (its u32 type).
namespace Bootstage.HyperV.HostModel
{
    /// <summary>NVSP: every message starts with a u32 type (docs/hyperv.md §9).</summary>
    public static class NvspProtocol
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

        /// <summary>NVSP 2: MTU and capabilities, sent before SEND_NDIS_VER (docs/hyperv.md §9).</summary>
        public const uint SendNdisConfig = 125;

        /// <summary>Smallest MTU SEND_NDIS_CONFIG may name: IPv4's 68 plus the 14-byte Ethernet header.</summary>
        public const uint MinimumNdisMtu = 82;

        public const uint Version1 = 0x00000002;
        public const uint Version2 = 0x00030002;
        public const uint Version4 = 0x00040000;
        public const uint Version5 = 0x00050000;

        public const uint StatusNone = 0;
        public const uint StatusSuccess = 1;
        public const uint StatusFailure = 2;
        public const uint StatusInvalidRndisPacket = 5;

        /// <summary>SEND_RNDIS_PKT channel_type.</summary>
        public const uint ChannelData = 0;
        public const uint ChannelControl = 1;

        /// <summary>SEND_RNDIS_PKT send_buf_section_index meaning "not in the send buffer".</summary>
        public const uint NoSection = 0xFFFFFFFF;

        /// <summary>Every NVSP message the backend sends is padded to this size (the size iPXE sends; docs/hyperv.md §9).</summary>
        public const int MessageSize = 32;
    }

    /// <summary>RNDIS (docs/hyperv.md §10): header {u32 type; u32 length}; "offset" fields count from byte 8.</summary>
    public static class RndisProtocol
    {
        public const uint Packet = 0x00000001;
        public const uint Initialize = 0x00000002;
        public const uint InitializeComplete = 0x80000002;
        public const uint Halt = 0x00000003;
        public const uint Query = 0x00000004;
        public const uint QueryComplete = 0x80000004;
        public const uint Set = 0x00000005;
        public const uint SetComplete = 0x80000005;
        public const uint Reset = 0x00000006;
        public const uint ResetComplete = 0x80000006;
        public const uint IndicateStatus = 0x00000007;
        public const uint KeepAlive = 0x00000008;
        public const uint KeepAliveComplete = 0x80000008;

        public const int HeaderSize = 8;

        /// <summary>PACKET body {data_off, data_len, oob_off, oob_len, oob_count, ppi_off, ppi_len, rsvd[2]}.</summary>
        public const int PacketBodySize = 36;

        /// <summary>INIT_CMPLT: header plus {id, status, major, minor, device_flags, medium, max_pkts, max_xfer, pkt_align, rsvd[2]}.</summary>
        public const int InitializeCompleteSize = 52;

        public const uint OidCurrentPacketFilter = 0x0001010E;
        public const uint OidMediaConnectStatus = 0x00010114;
        public const uint OidPermanentAddress = 0x01010101;
        public const uint OidCurrentAddress = 0x01010102;

        public const uint StatusSuccess = 0x00000000;

        /// <summary>NDIS_STATUS_FAILURE (the generic NTSTATUS STATUS_UNSUCCESSFUL).</summary>
        public const uint StatusFailure = 0xC0000001;

        public const uint StatusNotSupported = 0xC00000BB;
        public const uint StatusMediaConnect = 0x4001000B;
        public const uint StatusMediaDisconnect = 0x4001000C;

        /// <summary>The status WS2012R2 indicates after INIT with a MessageLength too short for its buffer (docs/hyperv.md §10).</summary>
        public const uint StatusWs2012R2Malformed = 0x40020006;

        /// <summary>OID_GEN_MEDIA_CONNECT_STATUS values.</summary>
        public const uint MediaStateConnected = 0;
        public const uint MediaStateDisconnected = 1;

        /// <summary>Packet filter bits.</summary>
        public const uint FilterDirected = 0x01;
        public const uint FilterMulticast = 0x02;
        public const uint FilterAllMulticast = 0x04;
        public const uint FilterBroadcast = 0x08;
        public const uint FilterPromiscuous = 0x20;
    }
}
