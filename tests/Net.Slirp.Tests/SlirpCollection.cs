// The xunit collection every libslirp test runs in: not in parallel with any other test, so the
// descriptor and timer counts the lifetime tests read are not disturbed by other tests' sockets.
namespace Bootstage.Net.Slirp.Tests
{
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class SlirpCollection
    {
        public const string Name = "libslirp";
    }
}
