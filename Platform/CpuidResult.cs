// The four registers CPUID returns.
namespace Bootstage.Platform
{
    public readonly struct CpuidResult
    {
        public CpuidResult(uint eax, uint ebx, uint ecx, uint edx)
        {
            Eax = eax;
            Ebx = ebx;
            Ecx = ecx;
            Edx = edx;
        }

        public uint Eax { get; }

        public uint Ebx { get; }

        public uint Ecx { get; }

        public uint Edx { get; }
    }
}
