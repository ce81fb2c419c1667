// Configuration and counters of the host model's netvsc backend (docs/hyperv.md §9–10,
// §9–10): which NVSP versions the host accepts, the MAC it reports, how it carves the guest's
// receive buffer and how many RNDIS messages it puts in one transfer-page packet, plus the numbers a
// test reads to see what the backend did.
using System;
using System.Collections.Generic;

namespace Bootstage.HyperV.HostModel
{
    /// <summary>A bring-up step the backend answers with a failure status (NetVscOptions.Refuse).</summary>
    public enum NetVscRefusal
    {
        None,
        Init,
        ReceiveBuffer,
        RndisInitialize,
        RndisQuery,
        RndisSet,
    }

    public sealed class NetVscOptions
    {
        /// <summary>Answer this step with a failure status, every time (bring-up unwinding tests).</summary>
        public NetVscRefusal Refuse { get; init; }

        /// <summary>NVSP_PROTOCOL_VERSION_1, _2, _4 and _5.</summary>
        public static readonly IReadOnlyList<uint> DefaultNvspVersions = new[] { NvspProtocol.Version1, NvspProtocol.Version2, NvspProtocol.Version4, NvspProtocol.Version5 };

        /// <summary>The MAC address (6 bytes); null picks 00:15:5D (Hyper-V's prefix) and three random bytes.</summary>
        public byte[]? MacAddress { get; init; }

        /// <summary>NVSP versions the host accepts in INIT; the highest one inside the guest's [min, max] wins.</summary>
        public IReadOnlyList<uint> NvspVersions { get; init; } = DefaultNvspVersions;

        /// <summary>Size of each receive-buffer sub-allocation; each RNDIS message takes whole sub-allocations.</summary>
        public uint ReceiveSubAllocationSize { get; init; } = 2048;

        /// <summary>Largest number of RNDIS messages (ranges) in one transfer-page packet.</summary>
        public int MaxMessagesPerPacket { get; init; } = 8;

        /// <summary>Send-buffer section size reported in SEND_SEND_BUF_COMPLETE.</summary>
        public uint SendSectionSize { get; init; } = 2048;

        /// <summary>Largest RNDIS transfer the guest may send (INIT_CMPLT max_xfer; longer GPA ranges are refused).</summary>
        public uint MaxTransferSize { get; init; } = 0x4000;

        /// <summary>RNDIS messages the guest may put in one transfer (INIT_CMPLT max_pkts_per_xfer).</summary>
        public uint MaxPacketsPerTransfer { get; init; } = 8;

        /// <summary>The WS2012R2 malformed status after INIT; null follows the host profile (on for WS2012R2).</summary>
        public bool? EmitMalformedStatus { get; init; }

        /// <summary>Link state at start.</summary>
        public bool LinkUp { get; init; } = true;

        /// <summary>
        /// Drop frames to the guest that its RNDIS packet filter does not pass, as a real NIC does. Off by
        /// default: the filter is only recorded, so tests may inject frames with any destination.
        /// </summary>
        public bool ApplyPacketFilter { get; init; }
    }

    /// <summary>What the backend did, for tests.</summary>
    public sealed class NetVscCounters
    {
        /// <summary>Ethernet frames from guest RNDIS PACKETs handed to the L2 endpoint.</summary>
        public int FramesFromGuest { get; internal set; }

        /// <summary>Frames given to DeliverToGuest and queued for the guest.</summary>
        public int FramesQueued { get; internal set; }

        /// <summary>Frames that went to the guest inside a transfer-page packet.</summary>
        public int FramesDelivered { get; internal set; }

        /// <summary>Frames DeliverToGuest refused (device not ready, filtered, unusable size) or that a revoke discarded.</summary>
        public int FramesDropped { get; internal set; }

        /// <summary>RNDIS messages (frames, completions, indications) copied into the receive buffer.</summary>
        public int MessagesSent { get; internal set; }

        /// <summary>Transfer-page packets sent.</summary>
        public int PacketsSent { get; internal set; }

        /// <summary>Transfer-page packets the guest has not completed yet.</summary>
        public int CompletionsOutstanding { get; internal set; }

        /// <summary>Guest COMP packets that released a transfer-page packet.</summary>
        public int CompletionsReceived { get; internal set; }

        /// <summary>Times a pending message found no free room in the receive buffer (counted once per stall).</summary>
        public int ReceiveBufferFullEvents { get; internal set; }

        /// <summary>Anything the guest did against the protocol (each one also listed in NetVscBackend.Violations).</summary>
        public int ProtocolViolations { get; internal set; }

        /// <summary>NVSP messages of types this backend does not implement (completed with an empty COMP).</summary>
        public int UnhandledNvspMessages { get; internal set; }
    }
}
