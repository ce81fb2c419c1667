// Host profiles: which Windows Server generation the model imitates (docs/hyperv.md §12;
// versions from docs/hyperv.md §5) and the options a test may change.
using System;

namespace Bootstage.HyperV.HostModel
{
    public enum HostProfile
    {
        /// <summary>VMBus 0.13 and 1.1 only; a driver requiring 3.0 must refuse it.</summary>
        WS2008R2,

        /// <summary>VMBus up to 2.4; no UNLOAD/reconnect.</summary>
        WS2012,

        /// <summary>VMBus up to 3.0, the first with UNLOAD.</summary>
        WS2012R2,

        /// <summary>VMBus up to 4.0; its winload is the enlightened loader.</summary>
        WS2016,

        /// <summary>WS2016 plus a late, unsolicited PCIe pass-through offer after enumeration.</summary>
        AzureNC6,

        /// <summary>VMBus up to 5.2; contacts for 5.x on message connection 4, older ones on 1.</summary>
        WS2019,

        /// <summary>VMBus up to 5.3 ("Fe"/iron): the first whose RNDIS status indications count their buffer.</summary>
        WS2022,
    }

    /// <summary>Knobs a test may set when it creates a host.</summary>
    public sealed class HostOptions
    {
        /// <summary>Gen2 UEFI firmware already owns Hyper-V: GUEST_OS_ID starts at 1&lt;&lt;40.</summary>
        public bool Gen2UefiOwnsHyperV { get; init; }

        /// <summary>Replaces CPUID 0x40000003 EAX; MSRs whose feature bit is clear then fault.</summary>
        public uint? FeatureMask { get; init; }

        /// <summary>Replaces CPUID 0x40000003 EBX; hypercalls whose privilege is clear return ACCESS_DENIED.</summary>
        public uint? PrivilegeMask { get; init; }

        /// <summary>Largest host→guest packet, descriptor and trailer included (iPXE's NETVSC_MTU is 512).</summary>
        public int MaxHostPacketSize { get; init; } = 512;

        /// <summary>TIME_REF_COUNT advance per Pause() and per read, in 100 ns units (default 10 µs).</summary>
        public ulong TimeRefStep { get; init; } = 100;

        /// <summary>
        /// A clock in TIME_REF_COUNT units (100 ns) that TIME_REF_COUNT follows instead of the virtual
        /// step: a guest that runs at emulation speed against real peers (slirp, tgtd) must time out
        /// in real time. Null keeps the deterministic virtual clock.
        /// </summary>
        public Func<ulong>? ReferenceClock { get; init; }

        /// <summary>
        /// Start HYPERCALL, SIMP, SIEFP and the SINTs with non-zero reserved-preserve bits (see
        /// HvMsr.*Preset). Writes that change RsvdP bits fault either way; with the preset a guest
        /// that writes whole values instead of read-modify-write is caught. On by default.
        /// </summary>
        public bool PresetReservedBits { get; init; } = true;

        /// <summary>
        /// Run the host on its own thread too (see HyperVHost.HostThreadLoop), so it acts between the
        /// guest's memory accesses: races in ring signalling and EOM show up as hangs or counts.
        /// </summary>
        public bool HostThread { get; init; }

        /// <summary>Posted messages the host holds before HvPostMessage answers INSUFFICIENT_BUFFERS.</summary>
        public int PostQueueCapacity { get; init; } = 16;

        /// <summary>
        /// Posts the host takes back to back, without a guest poll (Pause, clock read) in between, before
        /// it answers INSUFFICIENT_BUFFERS: a burst such as the five messages of a 128-page GPADL runs
        /// into it, so every guest exercises its retry path. 0 turns the limit off.
        /// </summary>
        public int PostBurstCapacity { get; init; } = 4;
    }

    /// <summary>What each profile implies.</summary>
    public static class HostProfiles
    {
        public const ulong Gen2UefiGuestOsId = 1UL << 40;

        public static uint MaxVmBusVersion(HostProfile profile) => profile switch
        {
            HostProfile.WS2008R2 => VmBusVersion.Win7,
            HostProfile.WS2012 => VmBusVersion.Win8,
            HostProfile.WS2012R2 => VmBusVersion.Win81,
            HostProfile.WS2019 => VmBusVersion.Win10V52,
            HostProfile.WS2022 => VmBusVersion.Win10V53,
            _ => VmBusVersion.Win10,
        };

        /// <summary>
        /// Hosts before WS2022 send NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG (0x40020006) with a message
        /// length that leaves out its NDIS_OFFLOAD buffer (Linux netvsc_drv.c notes that pre-Fe hosts
        /// miscount indication lengths; iPXE met it on WS2012 R2).
        /// </summary>
        public static bool MiscountsStatusLength(HostProfile profile) => profile != HostProfile.WS2022;

        /// <summary>A host accepts every known version up to its own.</summary>
        public static bool SupportsVersion(HostProfile profile, uint version)
        {
            if (version > MaxVmBusVersion(profile))
            {
                return false;
            }

            foreach (uint known in VmBusVersion.Known)
            {
                if (known == version)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// UNLOAD is a property of the host, not of the negotiated version: a 3.0-capable host answers it even
        /// on a 0.13 connection, older hosts never do ("Pre-Win2012R2 hosts don't support reconnect").
        /// </summary>
        public static bool SupportsUnload(HostProfile profile) => MaxVmBusVersion(profile) >= VmBusVersion.Win81;

        public static bool OffersLatePcie(HostProfile profile) => profile == HostProfile.AzureNC6;

        /// <summary>CPUID 0x40000002: build number and major.minor of the host generation.</summary>
        public static (uint Build, ushort Major, ushort Minor) HypervisorVersion(HostProfile profile) => profile switch
        {
            HostProfile.WS2008R2 => (7601, 6, 1),
            HostProfile.WS2012 => (9200, 6, 2),
            HostProfile.WS2012R2 => (9600, 6, 3),
            HostProfile.WS2016 => (14393, 10, 0),
            HostProfile.AzureNC6 => (14393, 10, 0),
            HostProfile.WS2019 => (17763, 10, 0),
            HostProfile.WS2022 => (20348, 10, 0),
            _ => throw new ArgumentOutOfRangeException(nameof(profile)),
        };
    }
}
