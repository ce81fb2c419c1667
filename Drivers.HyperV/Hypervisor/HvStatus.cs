// Hypercall result codes (TLFS "Hypercall status codes"; docs/hyperv.md §3). The low 16 bits of a
// hypercall's RAX. Driver operations also report these, plus a few of our own above 0x1000.
namespace Bootstage.Drivers.HyperV.Hypervisor
{
    public enum HvStatus : ushort
    {
        Success = 0,
        InvalidHypercallCode = 2,
        InvalidHypercallInput = 3,
        InvalidAlignment = 4,
        InvalidParameter = 5,
        AccessDenied = 6,
        InsufficientMemory = 11,
        InvalidPortId = 17,
        InvalidConnectionId = 18,
        InsufficientBuffers = 19,

        // Driver-side outcomes, outside the hypervisor's range.
        Timeout = 0x1001,
        NotPresent = 0x1002,
        MissingFeature = 0x1003,
        FirmwareOwnsHypervisor = 0x1004,
        PlatformFault = 0x1005,
        NoMemory = 0x1006,
        ProtocolError = 0x1007,
        VersionRefused = 0x1008,
        Rescinded = 0x1009,
        RingFull = 0x100A,
    }
}
