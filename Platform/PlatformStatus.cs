// Outcome of a platform operation. Shared code branches on these instead of catching exceptions.
namespace Bootstage.Platform
{
    public enum PlatformStatus
    {
        Success = 0,

        /// <summary>The instruction raised a fault (e.g. #GP on an MSR the CPU does not have).</summary>
        Fault = 1,

        /// <summary>No memory of the requested kind is left.</summary>
        OutOfMemory = 2,

        /// <summary>An argument was outside what the operation accepts.</summary>
        InvalidArgument = 3,

        /// <summary>The operation is not available on this platform.</summary>
        NotSupported = 4,
    }
}
