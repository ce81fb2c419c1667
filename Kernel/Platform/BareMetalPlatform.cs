// The platform interface on real (or QEMU) hardware: nasm plugs for the instructions, the page
// allocator for memory. Memory is identity-mapped below 4 GiB, so physical and virtual addresses
// are the same number.
using Bootstage.Kernel.Memory;
using Bootstage.Platform;

namespace Bootstage.Kernel.Platform
{
    internal sealed unsafe class BareMetalPlatform : IPlatform
    {
        private readonly PageAllocator* _pages;

        internal BareMetalPlatform(PageAllocator* pages)
        {
            _pages = pages;
        }

        public CpuidResult Cpuid(uint leaf, uint subleaf)
        {
            uint* registers = stackalloc uint[4];
            Plugs.Cpuid(leaf, subleaf, registers);
            return new CpuidResult(registers[0], registers[1], registers[2], registers[3]);
        }

        public PlatformStatus ReadMsr(uint msr, out ulong value)
        {
            ulong result = 0;
            if (Plugs.ReadMsr(msr, &result) != 0)
            {
                value = 0;
                return PlatformStatus.Fault;
            }

            value = result;
            return PlatformStatus.Success;
        }

        public PlatformStatus WriteMsr(uint msr, ulong value)
        {
            return Plugs.WriteMsr(msr, value) == 0 ? PlatformStatus.Success : PlatformStatus.Fault;
        }

        public byte InByte(ushort port) => Plugs.InByte(port);

        public ushort InWord(ushort port) => Plugs.InWord(port);

        public uint InDword(ushort port) => Plugs.InDword(port);

        public void OutByte(ushort port, byte value) => Plugs.OutByte(port, value);

        public void OutWord(ushort port, ushort value) => Plugs.OutWord(port, value);

        public void OutDword(ushort port, uint value) => Plugs.OutDword(port, value);

        public ulong ReadTimestampCounter() => Plugs.ReadTimestampCounter();

        public void Pause() => Plugs.Pause();

        public void Halt() => Plugs.Halt();

        public PlatformStatus AllocatePages(uint pageCount, out PhysicalRegion region)
        {
            ulong physical = _pages->Allocate(pageCount);
            if (physical == 0)
            {
                region = default;
                return PlatformStatus.OutOfMemory;
            }

            void* address = (void*)physical;
            Internal.Runtime.RuntimeImports.MemSet(address, 0, (nuint)pageCount * PhysicalRegion.PageSize);
            region = new PhysicalRegion(physical, address, pageCount);
            return PlatformStatus.Success;
        }

        public PlatformStatus FreePages(PhysicalRegion region)
        {
            if (region.IsEmpty)
            {
                return PlatformStatus.InvalidArgument;
            }

            return _pages->Free(region.PhysicalAddress, region.PageCount) ? PlatformStatus.Success : PlatformStatus.InvalidArgument;
        }

        public void* PhysicalToVirtual(ulong physicalAddress) => (void*)physicalAddress;

        public ulong VirtualToPhysical(void* address) => (ulong)address;

        public ulong Hypercall(void* hypercallPage, ulong control, ulong inputPhysical, ulong outputPhysical)
        {
            return Plugs.Hypercall(control, inputPhysical, outputPhysical, hypercallPage);
        }
    }
}
