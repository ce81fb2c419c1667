// The model's hypervisor surface against the TLFS rules in docs/hyperv.md §1–3 and
// §1–2: CPUID leaves per profile, which MSRs exist and how they behave, and when hypercalls
// are refused.
using System;
using System.Text;
using Bootstage.Platform;

namespace Bootstage.HyperV.HostModel.Tests
{
    public unsafe class HypervisorTests
    {
        [Theory]
        [InlineData(HostProfile.WS2008R2, 7601u, 0x00060001u)]
        [InlineData(HostProfile.WS2012, 9200u, 0x00060002u)]
        [InlineData(HostProfile.WS2012R2, 9600u, 0x00060003u)]
        [InlineData(HostProfile.WS2016, 14393u, 0x000A0000u)]
        [InlineData(HostProfile.AzureNC6, 14393u, 0x000A0000u)]
        public void Cpuid_presents_the_microsoft_hypervisor_with_the_features_a_boot_driver_needs(HostProfile profile, uint build, uint version)
        {
            using HyperVHost host = new HyperVHost(profile);
            Assert.NotEqual(0u, host.Cpuid(1, 0).Ecx & (1u << 31));
            CpuidResult vendor = host.Cpuid(0x40000000, 0);
            Assert.True(vendor.Eax >= 0x40000005);
            byte[] name = new byte[12];
            BitConverter.TryWriteBytes(name.AsSpan(0), vendor.Ebx);
            BitConverter.TryWriteBytes(name.AsSpan(4), vendor.Ecx);
            BitConverter.TryWriteBytes(name.AsSpan(8), vendor.Edx);
            Assert.Equal("Microsoft Hv", Encoding.ASCII.GetString(name));
            Assert.Equal(0x31237648u, host.Cpuid(0x40000001, 0).Eax);
            Assert.Equal(build, host.Cpuid(0x40000002, 0).Eax);
            Assert.Equal(version, host.Cpuid(0x40000002, 0).Ebx);
            CpuidResult features = host.Cpuid(0x40000003, 0);
            Assert.Equal((1u << 1) | (1u << 2) | (1u << 5) | (1u << 6), features.Eax);
            Assert.Equal((1u << 4) | (1u << 5), features.Ebx);
        }

        [Theory]
        [InlineData(0x40000003u)]
        [InlineData(0x40000010u)]
        [InlineData(0x40000021u)]
        [InlineData(0x400000B0u)]
        [InlineData(0x40000085u)]
        [InlineData(0x400000FFu)]
        public void Hypervisor_msrs_the_host_does_not_expose_fault_on_read_and_write(uint msr)
        {
            using HyperVHost host = new HyperVHost();
            Assert.Equal(PlatformStatus.Fault, host.ReadMsr(msr, out _));
            Assert.Equal(PlatformStatus.Fault, host.WriteMsr(msr, 1));
            Assert.Contains(host.Trace.Events, e => e.Kind == TraceKind.Fault && e.Code == msr);
        }

        [Fact]
        public void Msrs_outside_the_hypervisor_range_come_from_the_machine_table()
        {
            using HyperVHost host = new HyperVHost();
            Assert.Equal(PlatformStatus.Fault, host.ReadMsr(0x1B, out _));
            host.DefineMsr(0x1B, 0xFEE00900);
            Assert.Equal(PlatformStatus.Success, host.ReadMsr(0x1B, out ulong apicBase));
            Assert.Equal(0xFEE00900UL, apicBase);
        }

        [Fact]
        public void Read_only_msrs_fault_on_write_and_eom_faults_on_read()
        {
            using HyperVHost host = new HyperVHost();
            Assert.Equal(PlatformStatus.Success, host.ReadMsr(HvMsr.VpIndex, out ulong vp));
            Assert.Equal(0UL, vp);
            Assert.Equal(PlatformStatus.Fault, host.WriteMsr(HvMsr.VpIndex, 1));
            Assert.Equal(PlatformStatus.Fault, host.WriteMsr(HvMsr.TimeRefCount, 1));
            Assert.Equal(PlatformStatus.Fault, host.WriteMsr(HvMsr.Sversion, 1));
            Assert.Equal(PlatformStatus.Success, host.ReadMsr(HvMsr.Sversion, out ulong sversion));
            Assert.Equal(1UL, sversion);
            Assert.Equal(PlatformStatus.Fault, host.ReadMsr(HvMsr.Eom, out _));
            Assert.Equal(PlatformStatus.Success, host.WriteMsr(HvMsr.Eom, 0));
        }

        [Fact]
        public void Sints_start_masked_and_an_unmasked_sint_needs_a_vector_of_16_or_more()
        {
            using HyperVHost host = new HyperVHost();
            for (int i = 0; i < 16; i++)
            {
                Assert.Equal(PlatformStatus.Success, host.ReadMsr(HvMsr.Sint(i), out ulong sint));
                Assert.Equal(HvMsr.SintMasked, sint & ~HvMsr.SintReserved);
            }

            Assert.Equal(PlatformStatus.Fault, host.WriteMsr(HvMsr.Sint(2), RawGuest.Preserve(host, HvMsr.Sint(2), 0x0F)));
            Assert.Equal(PlatformStatus.Success, host.WriteMsr(HvMsr.Sint(2), RawGuest.Preserve(host, HvMsr.Sint(2), HvMsr.SintMasked | 0x0F)));
            Assert.Equal(PlatformStatus.Success, host.WriteMsr(HvMsr.Sint(2), RawGuest.Preserve(host, HvMsr.Sint(2), 0x10)));
            Assert.False(host.Sint2Masked);
        }

        [Fact]
        public void Hypercall_page_cannot_be_enabled_while_guest_os_id_is_zero()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = new RawGuest(host);
            Assert.Equal(PlatformStatus.Fault, host.WriteMsr(HvMsr.Hypercall, guest.HypercallPage.PhysicalAddress | 1));
            Assert.False(host.HypercallEnabled);
        }

        [Fact]
        public void Enabling_the_hypercall_page_installs_the_call_stub_in_that_page()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = new RawGuest(host);
            guest.EnableHypercalls();
            Assert.True(host.HypercallEnabled);
            Assert.Equal(guest.HypercallPage.PhysicalAddress, host.HypercallPageAddress);
            byte* stub = (byte*)guest.HypercallPage.VirtualAddress;
            Assert.Equal(new byte[] { 0x0F, 0x01, 0xC1, 0xC3 }, new ReadOnlySpan<byte>(stub, 4).ToArray());
        }

        [Fact]
        public void Overlay_pages_outside_guest_memory_fault()
        {
            using HyperVHost host = new HyperVHost();
            host.WriteMsr(HvMsr.GuestOsId, RawGuest.GuestOsIdValue);
            Assert.Equal(PlatformStatus.Fault, host.WriteMsr(HvMsr.Hypercall, RawGuest.Preserve(host, HvMsr.Hypercall, 0x7000_0000_1000 | 1)));
            Assert.Equal(PlatformStatus.Fault, host.WriteMsr(HvMsr.Simp, RawGuest.Preserve(host, HvMsr.Simp, 0x7000_0000_2000 | 1)));
            Assert.Equal(PlatformStatus.Fault, host.WriteMsr(HvMsr.Siefp, RawGuest.Preserve(host, HvMsr.Siefp, 0x7000_0000_3000 | 1)));

            // A disabled overlay may name anything: nothing is mapped.
            Assert.Equal(PlatformStatus.Success, host.WriteMsr(HvMsr.Simp, RawGuest.Preserve(host, HvMsr.Simp, 0x7000_0000_2000)));
        }

        [Fact]
        public void Writes_that_change_reserved_preserve_bits_fault()
        {
            using HyperVHost host = new HyperVHost();
            host.WriteMsr(HvMsr.GuestOsId, RawGuest.GuestOsIdValue);
            RawGuest guest = new RawGuest(host);
            foreach (uint msr in new[] { HvMsr.Hypercall, HvMsr.Simp, HvMsr.Siefp, HvMsr.Sint(2) })
            {
                Assert.Equal(PlatformStatus.Success, host.ReadMsr(msr, out ulong before));
                Assert.NotEqual(0UL, before & (HvMsr.HypercallReserved | HvMsr.OverlayReserved | HvMsr.SintReserved));
                Assert.Equal(PlatformStatus.Fault, host.WriteMsr(msr, before & ~(HvMsr.OverlayReserved | HvMsr.SintReserved) | HvMsr.SintMasked));
                Assert.Equal(PlatformStatus.Success, host.ReadMsr(msr, out ulong after));
                Assert.Equal(before, after);
            }

            Assert.Equal(4, host.Trace.Counters.ReservedBitFaults);
        }

        [Fact]
        public void Hypercalls_fail_until_the_page_is_enabled_and_after_guest_os_id_is_zeroed()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = new RawGuest(host);
            Assert.Equal(HvStatus.InvalidHypercallCode, guest.Signal(VmBusConstants.EventConnectionId));
            guest.EnableHypercalls();
            Assert.Equal(HvStatus.Success, guest.Signal(VmBusConstants.EventConnectionId));

            guest.WriteMsr(HvMsr.GuestOsId, 0);
            Assert.False(host.HypercallEnabled);
            Assert.Equal(HvStatus.InvalidHypercallCode, guest.Signal(VmBusConstants.EventConnectionId));

            // Setting GUEST_OS_ID again does not bring the page back by itself.
            guest.WriteMsr(HvMsr.GuestOsId, RawGuest.GuestOsIdValue);
            Assert.Equal(HvStatus.InvalidHypercallCode, guest.Signal(VmBusConstants.EventConnectionId));
        }

        [Fact]
        public void Hypercall_through_a_page_other_than_the_enabled_one_fails()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = new RawGuest(host);
            guest.EnableHypercalls();
            ulong status = host.Hypercall(guest.InputPage.VirtualAddress, HvCallCode.SignalEvent | HvCallCode.FastBit, 2, 0);
            Assert.Equal((ulong)HvStatus.InvalidHypercallCode, status);
        }

        [Fact]
        public void Unknown_call_codes_and_reserved_or_rep_control_bits_are_rejected()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = new RawGuest(host);
            guest.EnableHypercalls();
            Assert.Equal(HvStatus.InvalidHypercallCode, guest.Call(0x0001, 0));
            ulong page = (ulong)guest.HypercallPage.VirtualAddress;
            Assert.Equal((ulong)HvStatus.InvalidHypercallInput, host.Hypercall((void*)page, HvCallCode.SignalEvent | HvCallCode.FastBit | (1UL << 20), 2, 0));
            Assert.Equal((ulong)HvStatus.InvalidHypercallInput, host.Hypercall((void*)page, HvCallCode.SignalEvent | HvCallCode.FastBit | (1UL << 32), 2, 0));
        }

        [Fact]
        public void Time_reference_counter_advances_deterministically_on_each_read_and_pause()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = new RawGuest(host);
            ulong first = guest.ReadMsr(HvMsr.TimeRefCount);
            ulong second = guest.ReadMsr(HvMsr.TimeRefCount);
            Assert.Equal(100UL, second - first);
            host.Pause();
            host.Pause();
            Assert.Equal(300UL, guest.ReadMsr(HvMsr.TimeRefCount) - second);

            // A guest waiting one second at 10 µs per poll gives up after 100 000 polls, not never.
            ulong start = guest.ReadMsr(HvMsr.TimeRefCount);
            int polls = 0;
            while (guest.ReadMsr(HvMsr.TimeRefCount) - start < 10_000_000)
            {
                polls++;
            }

            Assert.Equal(99_999, polls);
        }

        [Fact]
        public void A_feature_mask_without_synic_hides_the_synic_msrs()
        {
            using HyperVHost host = new HyperVHost(HostProfile.WS2016, new HostOptions { FeatureMask = HvFeature.Hypercall | HvFeature.TimeRefCount });
            Assert.Equal(HvFeature.Hypercall | HvFeature.TimeRefCount, host.Cpuid(0x40000003, 0).Eax);
            Assert.Equal(PlatformStatus.Fault, host.ReadMsr(HvMsr.Simp, out _));
            Assert.Equal(PlatformStatus.Fault, host.WriteMsr(HvMsr.Sint(2), 0x30));
            Assert.Equal(PlatformStatus.Fault, host.ReadMsr(HvMsr.VpIndex, out _));
            Assert.Equal(PlatformStatus.Success, host.ReadMsr(HvMsr.GuestOsId, out _));
        }

        [Fact]
        public void Missing_privileges_make_post_and_signal_return_access_denied()
        {
            using HyperVHost host = new HyperVHost(HostProfile.WS2016, new HostOptions { PrivilegeMask = 0 });
            RawGuest guest = new RawGuest(host);
            guest.Boot();
            Assert.Equal(HvStatus.AccessDenied, guest.PostInitiateContact(VmBusVersion.Win10));
            Assert.Equal(HvStatus.AccessDenied, guest.Signal(VmBusConstants.EventConnectionId));
        }

        [Fact]
        public void Gen2_uefi_option_presents_guest_os_id_already_owned_by_firmware()
        {
            using HyperVHost host = new HyperVHost(HostProfile.WS2016, new HostOptions { Gen2UefiOwnsHyperV = true });
            Assert.Equal(PlatformStatus.Success, host.ReadMsr(HvMsr.GuestOsId, out ulong id));
            Assert.Equal(1UL << 40, id);
            Assert.Equal(1UL << 40, host.GuestOsId);
        }
    }
}
