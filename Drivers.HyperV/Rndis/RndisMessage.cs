// RNDIS message types, OIDs, status codes and field offsets (docs/hyperv.md §10; Microsoft's RNDIS
// specification). Offsets count from the start of the message (the u32 type); "info offset" and
// "data offset" fields count from the request-id field, i.e. from byte 8.
namespace Bootstage.Drivers.HyperV.Rndis
{
    public static class RndisMessage
    {
        public const uint Packet = 0x00000001;
        public const uint Initialize = 0x00000002;
        public const uint InitializeComplete = 0x80000002;
        public const uint Halt = 0x00000003;
        public const uint Query = 0x00000004;
        public const uint QueryComplete = 0x80000004;
        public const uint Set = 0x00000005;
        public const uint SetComplete = 0x80000005;
        public const uint IndicateStatus = 0x00000007;
        public const uint KeepAlive = 0x00000008;

        public const uint StatusSuccess = 0;
        public const uint StatusMediaConnect = 0x4001000B;
        public const uint StatusMediaDisconnect = 0x4001000C;

        public const uint OidCurrentPacketFilter = 0x0001010E;
        public const uint OidMediaConnectStatus = 0x00010114;
        public const uint OidPermanentAddress = 0x01010101;
        public const uint OidCurrentAddress = 0x01010102;

        public const uint FilterDirected = 0x01;
        public const uint FilterMulticast = 0x02;
        public const uint FilterAllMulticast = 0x04;
        public const uint FilterBroadcast = 0x08;

        public const uint MediaConnected = 0;

        public const int HeaderSize = 8;
        public const int RequestId = 8;

        // INITIALIZE {id, major, minor, max transfer size}
        public const int InitializeSize = 24;

        // QUERY / SET {id, oid, info length, info offset, reserved}
        public const int QueryOid = 12;
        public const int QueryInfoLength = 16;
        public const int QueryInfoOffset = 20;
        public const int QuerySize = 28;

        // *_COMPLETE {id, status, ...}; QUERY_COMPLETE adds {info length, info offset}
        public const int CompleteStatus = 12;
        public const int QueryCompleteInfoLength = 16;
        public const int QueryCompleteInfoOffset = 20;

        // INDICATE_STATUS {status, buffer length, buffer offset}
        public const int IndicateStatusCode = 8;

        // PACKET {data offset, data length, oob..., ppi..., reserved}: 36 bytes after the header.
        public const int PacketDataOffset = 8;
        public const int PacketDataLength = 12;
        public const int PacketHeaderSize = 44;
    }
}
