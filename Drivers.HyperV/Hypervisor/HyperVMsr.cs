// Hyper-V synthetic MSR numbers and bits (TLFS "Synthetic MSRs"; docs/hyperv.md §2).
namespace Bootstage.Drivers.HyperV.Hypervisor
{
    public static class HyperVMsr
    {
        public const uint GuestOsId = 0x40000000;
        public const uint Hypercall = 0x40000001;
        public const uint VpIndex = 0x40000002;
        public const uint TimeRefCount = 0x40000020;
        public const uint SControl = 0x40000080;
        public const uint SVersion = 0x40000081;
        public const uint Siefp = 0x40000082;
        public const uint Simp = 0x40000083;
        public const uint Eom = 0x40000084;
        public const uint Sint0 = 0x40000090;

        /// <summary>Enable bit of HYPERCALL, SIMP, SIEFP and SCONTROL.</summary>
        public const ulong Enable = 1;

        /// <summary>Bits 63:12 of HYPERCALL, SIMP and SIEFP: the page's guest physical address.</summary>
        public const ulong PageMask = ~0xFFFUL;

        /// <summary>Reserved-preserve bits: HYPERCALL 11:2 (bit 1 is "locked"), SIMP and SIEFP 11:1.</summary>
        public const ulong HypercallReserved = 0xFFE;
        public const ulong OverlayReserved = 0xFFE;

        public const ulong SintMasked = 1UL << 16;
        public const ulong SintAutoEoi = 1UL << 17;

        /// <summary>
        /// Our guest OS identity (TLFS "Reporting the Guest OS Identity", open-source encoding):
        /// bit 63 open source, OS type 0x7F ("other"), OS id 0x42, version 0.1, build 1.
        /// Never 1&lt;&lt;40, the value Gen2 UEFI firmware reports.
        /// </summary>
        public const ulong BootstageGuestOsId = (1UL << 63) | (0x7FUL << 56) | (0x42UL << 48) | (0x00000001UL << 16) | 1;

        /// <summary>GUEST_OS_ID written by Generation 2 UEFI firmware that owns the hypervisor interface.</summary>
        public const ulong Gen2UefiGuestOsId = 1UL << 40;
    }
}
