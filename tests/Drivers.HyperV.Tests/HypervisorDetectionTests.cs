// Hypervisor detection against simulated CPUs: bare metal, Hyper-V, QEMU TCG (a hypervisor bit
// without the Microsoft interface), and a hypervisor whose max leaf stops short.
using System;
using System.Text;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Platform.Testing;

namespace Bootstage.Drivers.HyperV.Tests
{
    public class HypervisorDetectionTests
    {
        private static uint Word(string text, int offset) => BitConverter.ToUInt32(Encoding.ASCII.GetBytes(text), offset);

        private static void SetVendor(SimulatedPlatform cpu, string vendor, uint maxLeaf)
        {
            cpu.SetCpuid(1, 0, 0, 0, 1u << 31, 0);
            cpu.SetCpuid(0x40000000, 0, maxLeaf, Word(vendor, 0), Word(vendor, 4), Word(vendor, 8));
        }

        [Fact]
        public void Bare_metal_reports_no_hypervisor_and_reads_no_hypervisor_leaves()
        {
            using SimulatedPlatform cpu = new SimulatedPlatform();
            cpu.SetCpuid(1, 0, 0x000306A9, 0, 0x7FFAFBFF, 0);
            HypervisorInfo info = HypervisorDetection.Detect(cpu);
            Assert.False(info.Present);
            Assert.False(info.HasHyperVInterface);
            Assert.DoesNotContain(cpu.CpuidLeavesRead, leaf => leaf >= 0x40000000);
            Assert.Equal(0, info.WriteVendor(new byte[12]));
        }

        [Fact]
        public void Hyper_v_is_recognised_by_its_interface_signature_and_features()
        {
            using SimulatedPlatform cpu = new SimulatedPlatform();
            SetVendor(cpu, "Microsoft Hv", 0x40000006);
            cpu.SetCpuid(0x40000001, 0, HypervisorDetection.HyperVInterfaceSignature, 0, 0, 0);
            cpu.SetCpuid(0x40000003, 0, 0x2E7F, 0x3B8030, 0, 0);
            HypervisorInfo info = HypervisorDetection.Detect(cpu);
            Assert.True(info.HasHyperVInterface);
            Assert.True(info.HasTimeRefCount);
            Assert.Equal(0x3B8030u, info.Privileges);
            byte[] vendor = new byte[12];
            Assert.Equal(12, info.WriteVendor(vendor));
            Assert.Equal("Microsoft Hv", Encoding.ASCII.GetString(vendor));
        }

        [Fact]
        public void Qemu_tcg_is_a_hypervisor_without_the_hyper_v_interface()
        {
            using SimulatedPlatform cpu = new SimulatedPlatform();
            SetVendor(cpu, "TCGTCGTCGTCG", 0x40000001);
            HypervisorInfo info = HypervisorDetection.Detect(cpu);
            Assert.True(info.Present);
            Assert.False(info.HasHyperVInterface);
            Assert.False(info.HasTimeRefCount);
            Assert.DoesNotContain(0x40000003u, cpu.CpuidLeavesRead);
        }

        [Fact]
        public void A_vendor_id_padded_with_nuls_is_trimmed()
        {
            using SimulatedPlatform cpu = new SimulatedPlatform();
            SetVendor(cpu, "KVMKVMKVM\0\0\0", 0x40000001);
            byte[] vendor = new byte[12];
            Assert.Equal(9, HypervisorDetection.Detect(cpu).WriteVendor(vendor));
        }
    }
}
