// The stack's time source: milliseconds from an arbitrary origin. The kernel backs it with its
// calibrated clock; tests with a virtual one. Poll-driven: all timers compare against this.
namespace Bootstage.Net
{
    public interface INetClock
    {
        ulong Milliseconds { get; }
    }
}
