// Numbers of the Microsoft hypervisor interface the host model answers to, from the Hyper-V TLFS as
// summarised in docs/hyperv.md §1–4: synthetic MSR indices, hypercall codes and
// HV_STATUS values, CPUID feature bits and the SynIC page geometry.
namespace Bootstage.HyperV.HostModel
{
    /// <summary>Synthetic MSR indices (TLFS; docs/hyperv.md §2).</summary>
    public static class HvMsr
    {
        public const uint GuestOsId = 0x40000000;
        public const uint Hypercall = 0x40000001;
        public const uint VpIndex = 0x40000002;
        public const uint TimeRefCount = 0x40000020;
        public const uint Scontrol = 0x40000080;
        public const uint Sversion = 0x40000081;
        public const uint Siefp = 0x40000082;
        public const uint Simp = 0x40000083;
        public const uint Eom = 0x40000084;
        public const uint Sint0 = 0x40000090;
        public const uint Sint15 = 0x4000009F;

        /// <summary>Bit 0 of HYPERCALL, SCONTROL, SIEFP and SIMP.</summary>
        public const ulong EnableBit = 1;

        /// <summary>Bits 63:12 of HYPERCALL, SIEFP and SIMP hold the page's physical address.</summary>
        public const ulong PageAddressMask = ~0xFFFUL;

        /// <summary>SINTx bit 16.</summary>
        public const ulong SintMasked = 1UL << 16;

        /// <summary>SINTx bits 7:0; vectors below 16 are reserved.</summary>
        public const ulong SintVectorMask = 0xFF;

        /// <summary>RsvdP ("preserve") bits: HYPERCALL 11:2, SIMP and SIEFP 11:1, SINTx 15:8 and 63:19 (TLFS; docs/hyperv.md §2).</summary>
        public const ulong HypercallReserved = 0xFFC;
        public const ulong OverlayReserved = 0xFFE;
        public const ulong SintReserved = 0xFF00UL | ~((1UL << 19) - 1);

        /// <summary>What a host with HostOptions.PresetReservedBits leaves in those bits at reset.</summary>
        public const ulong HypercallPreset = 0x5A4;
        public const ulong SimpPreset = 0x6A2;
        public const ulong SiefpPreset = 0x3C4;
        public const ulong SintPreset = 1UL << 20;

        public static uint Sint(int index) => Sint0 + (uint)index;
    }

    /// <summary>Hypercall call codes (TLFS "Hypercall Input Values"; docs/hyperv.md §3).</summary>
    public static class HvCallCode
    {
        public const ushort PostMessage = 0x005C;
        public const ushort SignalEvent = 0x005D;

        /// <summary>Control bit 16: the input is in registers, not memory.</summary>
        public const ulong FastBit = 1UL << 16;

        /// <summary>Bits 31:17, 47:44 and 63:60 are reserved in the control value.</summary>
        public const ulong ReservedMask = 0xF000_F000_FFFE_0000UL;
    }

    /// <summary>HV_STATUS values (TLFS hv_status; docs/hyperv.md §3).</summary>
    public static class HvStatus
    {
        public const ushort Success = 0;
        public const ushort InvalidHypercallCode = 2;
        public const ushort InvalidHypercallInput = 3;
        public const ushort InvalidAlignment = 4;
        public const ushort InvalidParameter = 5;
        public const ushort AccessDenied = 6;
        public const ushort InsufficientMemory = 11;
        public const ushort InvalidPortId = 17;
        public const ushort InvalidConnectionId = 18;
        public const ushort InsufficientBuffers = 19;
    }

    /// <summary>CPUID 0x40000003 feature (EAX) and privilege (EBX) bits (docs/hyperv.md §1).</summary>
    public static class HvFeature
    {
        public const uint VpRuntime = 1u << 0;
        public const uint TimeRefCount = 1u << 1;
        public const uint SynIc = 1u << 2;
        public const uint SyntheticTimers = 1u << 3;
        public const uint ApicMsrs = 1u << 4;
        public const uint Hypercall = 1u << 5;
        public const uint VpIndex = 1u << 6;

        public const uint PostMessages = 1u << 4;
        public const uint SignalEvents = 1u << 5;

        /// <summary>What every profile advertises: what a polling boot driver needs and nothing it would not use.</summary>
        public const uint DefaultFeatures = TimeRefCount | SynIc | Hypercall | VpIndex;

        public const uint DefaultPrivileges = PostMessages | SignalEvents;

        /// <summary>"Hv#1" in CPUID 0x40000001 EAX.</summary>
        public const uint InterfaceSignature = 0x31237648;
    }

    /// <summary>SynIC page geometry and message header layout (TLFS; docs/hyperv.md §4).</summary>
    public static class SynIcLayout
    {
        public const int SintCount = 16;
        public const int SlotSize = 256;
        public const int MaxPayload = 240;

        // HV_MESSAGE: u32 type; u8 payload size; u8 flags; u16 reserved; u64 sender; u8 payload[240].
        public const int TypeOffset = 0;
        public const int PayloadSizeOffset = 4;
        public const int FlagsOffset = 5;
        public const int SenderOffset = 8;
        public const int PayloadOffset = 16;

        /// <summary>Flags bit 0: another message waits for this slot; the guest must write EOM.</summary>
        public const byte MessagePending = 1;

        /// <summary>Each SINT owns a 256-byte (2048-bit) area of the event flags page.</summary>
        public const int EventFlagsPerSint = 2048;
    }
}
