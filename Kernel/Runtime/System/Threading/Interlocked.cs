// The part of System.Threading.Interlocked shared code uses, with .NET's shape. x86-64 may let a
// load pass an earlier store to another address; the hypervisor handshakes (publish a ring index,
// then read the other side's index or mask; clear a SynIC slot, then read its pending flag) must
// not, so MemoryBarrier is a real MFENCE (a native function: the call also keeps the compiler from
// moving memory accesses across it).
using Internal.Runtime;

namespace System.Threading
{
    public static class Interlocked
    {
        public static void MemoryBarrier() => RuntimeImports.MemoryFence();
    }
}
