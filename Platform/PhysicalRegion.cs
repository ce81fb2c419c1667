// A run of physically contiguous pages and where the kernel sees them.
namespace Bootstage.Platform
{
    public readonly unsafe struct PhysicalRegion
    {
        public const uint PageSize = 4096;

        public PhysicalRegion(ulong physicalAddress, void* virtualAddress, uint pageCount)
        {
            PhysicalAddress = physicalAddress;
            VirtualAddress = virtualAddress;
            PageCount = pageCount;
        }

        public ulong PhysicalAddress { get; }

        public void* VirtualAddress { get; }

        public uint PageCount { get; }

        public ulong Length => (ulong)PageCount * PageSize;

        public bool IsEmpty => PageCount == 0;
    }
}
