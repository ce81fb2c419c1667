// The Hyper-V host model as the hypervisor of the emulated machine: the same HyperVHost the driver
// tests use, but its guest memory is the machine's RAM block at guest-physical 0 instead of pages
// it handed out itself (docs/hyperv-machine.md). Guest-physical addresses are offsets into that
// block; the "virtual" pointer the host model works with is the host address of the same byte.
// Pages the host's own actors need (the enlightened loader's SIMP/SIEFP) come from the reserved
// tail of RAM, which the image's memory map leaves out, so they are guest RAM the image never uses.
using Bootstage.HyperV.HostModel;
using Bootstage.Platform;

namespace Bootstage.HyperV.Machine
{
    public sealed unsafe class MachineHost : HyperVHost
    {
        private readonly GuestRam _ram;
        private ulong _nextReserved;
        private readonly ulong _reservedEnd;

        public MachineHost(GuestRam ram, ulong reservedStart, HostProfile profile, HostOptions options)
            : base(profile, options)
        {
            _ram = ram;
            _nextReserved = reservedStart;
            _reservedEnd = ram.Size;
        }

        public override bool TryGetGuestMemory(ulong physicalAddress, ulong length, out void* pointer)
        {
            bool inside = _ram.TryGet(physicalAddress, length, out byte* bytes);
            pointer = bytes;
            return inside;
        }

        public override void* PhysicalToVirtual(ulong physicalAddress) => _ram.Base + physicalAddress;

        public override ulong VirtualToPhysical(void* address) => (ulong)((byte*)address - _ram.Base);

        public override PlatformStatus AllocatePages(uint pageCount, out PhysicalRegion region)
        {
            ulong bytes = (ulong)pageCount * PhysicalRegion.PageSize;
            if (pageCount == 0 || bytes > _reservedEnd - _nextReserved)
            {
                region = default;
                return PlatformStatus.OutOfMemory;
            }

            ulong physical = _nextReserved;
            _nextReserved += bytes;
            region = new PhysicalRegion(physical, _ram.Base + physical, pageCount);
            return PlatformStatus.Success;
        }

        public override PlatformStatus FreePages(PhysicalRegion region) => PlatformStatus.Success;
    }
}
