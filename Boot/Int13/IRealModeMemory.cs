// The memory an INT 13h caller points at: real-mode segment:offset buffers below 1 MiB and, for
// EDD 3.0 flat buffers, any physical address. The image maps physical memory one to one; tests
// give a byte array. A range that is not memory yields an empty span and the call fails.
using System;

namespace Bootstage.Boot.Int13
{
    public interface IRealModeMemory
    {
        Span<byte> Map(ulong physicalAddress, int length);
    }
}
