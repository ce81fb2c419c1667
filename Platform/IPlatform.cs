// The platform interface: everything shared code (drivers, network stack, boot logic) may ask of
// the CPU and the firmware. The bare-metal image implements it with nasm plugs
// (Kernel/Platform/BareMetalPlatform.cs); tests implement it with simulated machines, later the
// Hyper-V host model. Methods report failure through PlatformStatus, never by throwing, because
// the image has no exception unwinding.
namespace Bootstage.Platform
{
    public unsafe interface IPlatform
    {
        /// <summary>Executes CPUID for a leaf and sub-leaf (ECX).</summary>
        CpuidResult Cpuid(uint leaf, uint subleaf);

        /// <summary>Reads an MSR. An MSR the CPU does not implement yields <see cref="PlatformStatus.Fault"/> (#GP caught), not a crash.</summary>
        PlatformStatus ReadMsr(uint msr, out ulong value);

        /// <summary>Writes an MSR; <see cref="PlatformStatus.Fault"/> when the write raised #GP.</summary>
        PlatformStatus WriteMsr(uint msr, ulong value);

        byte InByte(ushort port);

        ushort InWord(ushort port);

        uint InDword(ushort port);

        void OutByte(ushort port, byte value);

        void OutWord(ushort port, ushort value);

        void OutDword(ushort port, uint value);

        /// <summary>The time-stamp counter (RDTSC).</summary>
        ulong ReadTimestampCounter();

        /// <summary>Spin-wait hint (PAUSE).</summary>
        void Pause();

        /// <summary>Waits for the next interrupt (HLT).</summary>
        void Halt();

        /// <summary>Allocates zeroed, page-aligned, physically contiguous memory.</summary>
        PlatformStatus AllocatePages(uint pageCount, out PhysicalRegion region);

        /// <summary>Returns pages obtained from <see cref="AllocatePages"/>.</summary>
        PlatformStatus FreePages(PhysicalRegion region);

        /// <summary>Where the kernel can touch a physical address.</summary>
        void* PhysicalToVirtual(ulong physicalAddress);

        /// <summary>The physical address behind a kernel pointer into platform memory.</summary>
        ulong VirtualToPhysical(void* address);

        /// <summary>Calls into a hypercall page (RCX = control, RDX = input GPA, R8 = output GPA); returns RAX.</summary>
        ulong Hypercall(void* hypercallPage, ulong control, ulong inputPhysical, ulong outputPhysical);
    }
}
