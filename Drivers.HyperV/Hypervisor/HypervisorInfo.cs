// What CPUID said about the hypervisor we run under (see HypervisorDetection).
using System;

namespace Bootstage.Drivers.HyperV.Hypervisor
{
    public readonly struct HypervisorInfo
    {
        // Feature bits of CPUID 0x40000003 EAX (TLFS "Partition Privilege Flags").
        public const uint FeatureTimeRefCount = 1u << 1;
        public const uint FeatureSynIc = 1u << 2;
        public const uint FeatureHypercall = 1u << 5;
        public const uint FeatureVpIndex = 1u << 6;

        private readonly uint _vendorEbx;
        private readonly uint _vendorEcx;
        private readonly uint _vendorEdx;

        public HypervisorInfo(bool present, uint maxLeaf, uint vendorEbx, uint vendorEcx, uint vendorEdx, uint interfaceSignature, uint features, uint privileges)
        {
            Present = present;
            MaxLeaf = maxLeaf;
            _vendorEbx = vendorEbx;
            _vendorEcx = vendorEcx;
            _vendorEdx = vendorEdx;
            InterfaceSignature = interfaceSignature;
            Features = features;
            Privileges = privileges;
        }

        public bool Present { get; }

        public uint MaxLeaf { get; }

        public uint InterfaceSignature { get; }

        public uint Features { get; }

        public uint Privileges { get; }

        /// <summary>The hypervisor speaks the Microsoft interface ("Hv#1").</summary>
        public bool HasHyperVInterface => Present && InterfaceSignature == HypervisorDetection.HyperVInterfaceSignature;

        /// <summary>Hyper-V's reference counter MSR (100 ns units) is available.</summary>
        public bool HasTimeRefCount => HasHyperVInterface && (Features & FeatureTimeRefCount) != 0;

        /// <summary>Copies the 12-byte vendor id (e.g. "Microsoft Hv") into <paramref name="destination"/>; returns bytes written.</summary>
        public int WriteVendor(Span<byte> destination)
        {
            if (!Present || destination.Length < 12)
            {
                return 0;
            }

            WriteRegister(destination, 0, _vendorEbx);
            WriteRegister(destination, 4, _vendorEcx);
            WriteRegister(destination, 8, _vendorEdx);
            int length = 12;
            while (length > 0 && destination[length - 1] == 0)
            {
                length--;
            }

            return length;
        }

        private static void WriteRegister(Span<byte> destination, int offset, uint value)
        {
            destination[offset] = (byte)value;
            destination[offset + 1] = (byte)(value >> 8);
            destination[offset + 2] = (byte)(value >> 16);
            destination[offset + 3] = (byte)(value >> 24);
        }
    }
}
