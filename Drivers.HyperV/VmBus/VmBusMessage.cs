// VMBus channel message types and field offsets (docs/hyperv.md §6). Every message starts with an
// 8-byte header {u32 type; u32 padding}; offsets below count from the start of the message.
namespace Bootstage.Drivers.HyperV.VmBus
{
    public static class VmBusMessage
    {
        public const uint OfferChannel = 1;
        public const uint RescindChannelOffer = 2;
        public const uint RequestOffers = 3;
        public const uint AllOffersDelivered = 4;
        public const uint OpenChannel = 5;
        public const uint OpenChannelResult = 6;
        public const uint CloseChannel = 7;
        public const uint GpadlHeader = 8;
        public const uint GpadlBody = 9;
        public const uint GpadlCreated = 10;
        public const uint GpadlTeardown = 11;
        public const uint GpadlTorndown = 12;
        public const uint RelIdReleased = 13;
        public const uint InitiateContact = 14;
        public const uint VersionResponse = 15;
        public const uint Unload = 16;
        public const uint UnloadResponse = 17;

        public const int HeaderSize = 8;

        // OFFERCHANNEL
        public const int OfferClassId = 8;
        public const int OfferInstanceId = 24;
        public const int OfferChannelFlags = 56;
        public const int OfferSubChannelIndex = 180;
        public const int OfferChildRelId = 184;
        public const int OfferMonitorId = 188;
        public const int OfferMonitorAllocated = 189;
        public const int OfferConnectionId = 192;

        /// <summary>The 0.13 offer ends after the child relid; monitor and connection fields come with Win7.</summary>
        public const int OfferMinimumSize = 188;
        public const int OfferFullSize = 196;

        // OPENCHANNEL and its result
        public const int OpenRelId = 8;
        public const int OpenId = 12;
        public const int OpenGpadl = 16;
        public const int OpenTargetVp = 20;
        public const int OpenDownstreamPageOffset = 24;
        public const int OpenUserData = 28;
        public const int OpenUserDataSize = 120;
        public const int OpenSize = 148;
        public const int OpenResultStatus = 16;

        // GPADL_HEADER / GPADL_BODY / GPADL_CREATED / GPADL_TEARDOWN / GPADL_TORNDOWN
        public const int GpadlRelId = 8;
        public const int GpadlId = 12;
        public const int GpadlRangeBufferLength = 16;
        public const int GpadlRangeCount = 18;
        public const int GpadlRangeByteCount = 20;
        public const int GpadlRangeByteOffset = 24;
        public const int GpadlHeaderPfns = 28;
        public const int GpadlBodyMessageNumber = 8;
        public const int GpadlBodyId = 12;
        public const int GpadlBodyPfns = 16;
        public const int GpadlCreatedStatus = 16;
        public const int GpadlTorndownId = 8;

        // INITIATE_CONTACT / VERSION_RESPONSE
        public const int ContactVersion = 8;
        public const int ContactTargetVcpu = 12;
        public const int ContactInterruptPage = 16;
        public const int ContactMonitorPage1 = 24;
        public const int ContactMonitorPage2 = 32;
        public const int ContactSize = 40;
        public const int VersionSupported = 8;

        // RESCIND_CHANNELOFFER
        public const int RescindRelId = 8;
    }
}
