// Hypervisor detection through CPUID (Intel SDM vol. 2 "CPUID"; Hyper-V TLFS "Hypervisor CPUID
// leaves"). CPUID.1:ECX[31] says a hypervisor is present; leaf 0x40000000 names its vendor and
// the highest hypervisor leaf; leaf 0x40000001 carries the interface signature ("Hv#1" for the
// Microsoft hypervisor interface); 0x40000003 the feature (EAX) and privilege (EBX) masks.
// Other hypervisors (KVM, QEMU TCG) may also expose "Hv#1" as an enlightenment, so the vendor and
// signature are both reported and the Hyper-V drivers decide what they need.
using Bootstage.Platform;

namespace Bootstage.Drivers.HyperV.Hypervisor
{
    public static class HypervisorDetection
    {
        public const uint HypervisorPresentBit = 1u << 31;
        public const uint VendorLeaf = 0x40000000;
        public const uint InterfaceLeaf = 0x40000001;
        public const uint FeaturesLeaf = 0x40000003;

        /// <summary>"Hv#1" as CPUID 0x40000001 EAX.</summary>
        public const uint HyperVInterfaceSignature = 0x31237648;

        /// <summary>Queries CPUID; never touches an MSR, so it is safe on any x86-64 machine.</summary>
        public static HypervisorInfo Detect(IPlatform platform)
        {
            CpuidResult basic = platform.Cpuid(1, 0);
            if ((basic.Ecx & HypervisorPresentBit) == 0)
            {
                return default;
            }

            CpuidResult vendor = platform.Cpuid(VendorLeaf, 0);
            uint maxLeaf = vendor.Eax;
            uint signature = 0;
            uint features = 0;
            uint privileges = 0;
            if (maxLeaf >= InterfaceLeaf)
            {
                signature = platform.Cpuid(InterfaceLeaf, 0).Eax;
            }

            if (maxLeaf >= FeaturesLeaf)
            {
                CpuidResult featureLeaf = platform.Cpuid(FeaturesLeaf, 0);
                features = featureLeaf.Eax;
                privileges = featureLeaf.Ebx;
            }

            return new HypervisorInfo(true, maxLeaf, vendor.Ebx, vendor.Ecx, vendor.Edx, signature, features, privileges);
        }
    }
}
