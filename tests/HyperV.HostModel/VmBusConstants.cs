// VMBus numbers the host model speaks (docs/hyperv.md §5–8): connection ids,
// protocol versions, channel message types, ring-buffer packet types and well-known device classes.
using System;

namespace Bootstage.HyperV.HostModel
{
    /// <summary>Channel message types: the u32 at the start of every VMBus message (docs/hyperv.md §6).</summary>
    public enum VmBusMessageType : uint
    {
        Invalid = 0,
        OfferChannel = 1,
        RescindChannelOffer = 2,
        RequestOffers = 3,
        AllOffersDelivered = 4,
        OpenChannel = 5,
        OpenChannelResult = 6,
        CloseChannel = 7,
        GpadlHeader = 8,
        GpadlBody = 9,
        GpadlCreated = 10,
        GpadlTeardown = 11,
        GpadlTorndown = 12,
        RelIdReleased = 13,
        InitiateContact = 14,
        VersionResponse = 15,
        Unload = 16,
        UnloadResponse = 17,
        TlConnectRequest = 21,
    }

    /// <summary>Ring-buffer packet types (the u16 at the start of every packet descriptor; docs/hyperv.md §8).</summary>
    public enum VmBusPacketType : ushort
    {
        Invalid = 0,
        Synch = 1,
        AddTransferPageSet = 2,
        RemoveTransferPageSet = 3,
        EstablishGpadl = 4,
        TeardownGpadl = 5,
        DataInband = 6,
        DataUsingTransferPages = 7,
        DataUsingGpadl = 8,
        DataUsingGpaDirect = 9,
        CancelRequest = 10,
        Completion = 11,
        DataUsingAdditionalPackets = 12,
        AdditionalData = 13,
    }

    /// <summary>VMBus protocol versions, major in the high 16 bits (docs/hyperv.md §5).</summary>
    public static class VmBusVersion
    {
        public const uint Ws2008 = 0x0000000D;
        public const uint Win7 = 0x00010001;
        public const uint Win8 = 0x00020004;
        public const uint Win81 = 0x00030000;
        public const uint Win10 = 0x00040000;
        public const uint Win10V5 = 0x00050000;
        public const uint Win10V51 = 0x00050001;
        public const uint Win10V52 = 0x00050002;
        public const uint Win10V53 = 0x00050003;

        /// <summary>Every version a host in this model can know, oldest first.</summary>
        public static ReadOnlySpan<uint> Known => new uint[] { Ws2008, Win7, Win8, Win81, Win10, Win10V5, Win10V51, Win10V52, Win10V53 };

        /// <summary>From 5.0 on INITIATE_CONTACT goes to message connection 4 and names the SINT for replies.</summary>
        public static bool UsesContactConnection4(uint version) => version >= Win10V5;

        /// <summary>From 2.4 on each channel has its own event flag; before it the interrupt page is used.</summary>
        public static bool UsesInterruptPage(uint version) => version < Win8;
    }

    /// <summary>Fixed VMBus numbers (docs/hyperv.md §5, §8).</summary>
    public static class VmBusConstants
    {
        public const uint MessageConnectionId = 1;

        /// <summary>The message connection of VMBus 5.0 and later (INITIATE_CONTACT; later messages use msg_conn_id).</summary>
        public const uint MessageConnectionId4 = 4;
        public const uint EventConnectionId = 2;
        public const uint MonitorConnectionId = 3;
        public const int MessageSint = 2;
        public const uint SynIcMessageType = 1;

        /// <summary>Channel event connection = this + relid (the value put in each offer).</summary>
        public const uint ChannelConnectionBase = 16;

        public const int MessageHeaderSize = 8;
        public const int PageSize = 4096;

        /// <summary>Descriptor flags bit 0: the sender wants a COMP packet with the same transaction id.</summary>
        public const ushort CompletionRequested = 1;

        public const int PacketDescriptorSize = 16;
        public const int PacketTrailerSize = 8;

        // Ring header page: u32 write index, u32 read index, u32 interrupt mask, u32 pending send size, ..., +64 feature bits.
        public const int RingWriteIndexOffset = 0;
        public const int RingReadIndexOffset = 4;
        public const int RingInterruptMaskOffset = 8;
        public const int RingPendingSendSizeOffset = 12;
        public const int RingFeatureBitsOffset = 64;

        /// <summary>Non-zero VMBus status the model uses for refusals (an NTSTATUS, as Windows hosts report): STATUS_UNSUCCESSFUL.</summary>
        public const uint FailureStatus = 0xC0000001;
    }

    /// <summary>Device class GUIDs the model offers (docs/hyperv.md §9).</summary>
    public static class HostDeviceClasses
    {
        public static readonly Guid NetVsc = new Guid("f8615163-df3e-46c5-913f-f2d2f965ed0e");
        public static readonly Guid PciePassThrough = new Guid("44C4F61D-4444-4400-9D52-802E27EDE19F");
        public static readonly Guid Scsi = new Guid("ba6163d9-04a1-4d29-b605-72e2ffb1dc7f");
        public static readonly Guid Ide = new Guid("32412632-86cb-44a2-9b5c-50d1417354f5");
    }
}
