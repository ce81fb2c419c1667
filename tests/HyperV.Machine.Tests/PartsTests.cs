// The machine's parts on their own: the Multiboot loader against the specification's layout, the
// legacy devices the console and clock rely on, and the host model answering for guest RAM.
using System;
using System.Buffers.Binary;
using System.IO;
using System.Threading;
using Bootstage.HyperV.HostModel;
using Bootstage.HyperV.Machine;
using Bootstage.Platform;

namespace Bootstage.HyperV.Machine.Tests
{
    public unsafe class PartsTests
    {
        [Fact]
        public void The_loader_places_the_image_and_writes_the_information_block_and_memory_map()
        {
            byte[] file = File.ReadAllBytes(Path.Combine(Images.OutDirectory, "bootstage.bin"));
            MultibootImage image = MultibootImage.Parse(file);
            ImageSymbols symbols = ImageSymbols.Load(Path.Combine(Images.OutDirectory, "native", "bootstage.elf"));
            Assert.Equal(symbols["_start"], image.Entry);
            Assert.Equal(symbols["__image_start"], image.LoadAddress);
            Assert.Equal(symbols["__bss_end"], image.BssEnd);

            using GuestRam ram = new GuestRam(256UL << 20);
            ram.Slice(image.LoadEnd, 16).Fill(0xCC);
            ulong usableEnd = ram.Size - (1UL << 20);
            ulong info = image.Load(file, ram, usableEnd, "console=serial x=1");
            Assert.True(ram.Slice(image.LoadAddress, 64).SequenceEqual(file.AsSpan(image.FileOffset, 64)));
            Assert.True(ram.Slice(image.LoadEnd, 16).IndexOfAnyExcept((byte)0) < 0, "bss is not zeroed");

            uint flags = ram.ReadUInt32(info);
            Assert.Equal(1u | 4u | 64u | 512u, flags);
            Assert.Equal(639u, ram.ReadUInt32(info + 4));
            Assert.Equal((uint)((usableEnd - 0x100000) / 1024), ram.ReadUInt32(info + 8));
            Assert.Equal("console=serial x=1\0", System.Text.Encoding.ASCII.GetString(ram.Slice(ram.ReadUInt32(info + 16), 19)));

            // Memory map entries: size 20, base, length, type; usable extended memory stops at the reserved tail.
            ulong map = ram.ReadUInt32(info + 48);
            uint length = ram.ReadUInt32(info + 44);
            Assert.Equal(5u * 24, length);
            ulong last = map + (4 * 24);
            Assert.Equal(20u, ram.ReadUInt32(last));
            Assert.Equal(usableEnd, ram.ReadUInt64(last + 4));
            Assert.Equal(2u, ram.ReadUInt32(last + 20));
            ulong extended = map + (3 * 24);
            Assert.Equal(0x100000UL, ram.ReadUInt64(extended + 4));
            Assert.Equal(usableEnd - 0x100000, ram.ReadUInt64(extended + 12));
            Assert.Equal(1u, ram.ReadUInt32(extended + 20));
        }

        [Fact]
        public void A_header_with_a_bad_checksum_is_refused()
        {
            byte[] file = File.ReadAllBytes(Path.Combine(Images.OutDirectory, "bootstage.bin"));
            int header = file.AsSpan(0, 8192).IndexOf(new byte[] { 0x02, 0xB0, 0xAD, 0x1B });
            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(header + 8), BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(header + 8)) + 1);
            Assert.Throws<FormatException>(() => MultibootImage.Parse(file));
        }

        [Fact]
        public void The_uart_echoes_in_loopback_and_sends_otherwise()
        {
            System.Collections.Generic.List<byte> sent = new();
            LegacyDevices devices = new LegacyDevices(sent.Add);
            devices.Out(0x3FC, 1, 0x1E);
            devices.Out(0x3F8, 1, 0xAE);
            Assert.Equal(1u, devices.In(0x3FD, 1) & 1);
            Assert.Equal(0xAEu, devices.In(0x3F8, 1));
            Assert.Empty(sent);

            devices.Out(0x3FC, 1, 0x0F);
            Assert.Equal(0x20u, devices.In(0x3FD, 1) & 0x20);
            devices.Out(0x3F8, 1, (byte)'A');
            Assert.Equal(new[] { (byte)'A' }, sent);

            // With DLAB set, 0x3F8 is the divisor latch, not the transmitter.
            devices.Out(0x3FB, 1, 0x80);
            devices.Out(0x3F8, 1, 0x01);
            devices.Out(0x3FB, 1, 0x03);
            Assert.Single(sent);
        }

        [Fact]
        public void Pit_channel_2_output_rises_after_its_count_and_pci_is_empty()
        {
            LegacyDevices devices = new LegacyDevices(_ => { });
            devices.Out(0x61, 1, 0x01);
            devices.Out(0x43, 1, 0xB0);
            devices.Out(0x42, 1, 0x9B);
            devices.Out(0x42, 1, 0x2E); // 11931 ticks: 10 ms
            Assert.Equal(0u, devices.In(0x61, 1) & 0x20);
            SpinWait.SpinUntil(() => (devices.In(0x61, 1) & 0x20) != 0, TimeSpan.FromSeconds(10));
            Assert.Equal(0x20u, devices.In(0x61, 1) & 0x20);

            devices.Out(0xCF8, 4, 0x80000000);
            Assert.Equal(0xFFFFFFFFu, devices.In(0xCFC, 4));
            Assert.Equal(0x80000000u, devices.In(0xCF8, 4));

            Assert.Null(devices.ExitCode);
            devices.Out(0xF4, 1, 0x21);
            Assert.Equal(0x21, devices.ExitCode);
        }

        [Fact]
        public void The_host_model_sees_guest_physical_addresses_of_the_ram_block()
        {
            using GuestRam ram = new GuestRam(16UL << 20);
            ulong clock = 5000;
            using MachineHost host = new MachineHost(ram, 15UL << 20, HostProfile.WS2016, new HostOptions { ReferenceClock = () => clock });
            Assert.True(host.TryGetGuestMemory(0x1000, 4096, out void* pointer));
            Assert.Equal((IntPtr)(ram.Base + 0x1000), (IntPtr)pointer);
            Assert.False(host.TryGetGuestMemory(ram.Size - 8, 16, out _));
            Assert.False(host.TryGetGuestMemory(ulong.MaxValue - 4, 8, out _));

            // The host's own actors get pages from the reserved tail, never from the image's memory.
            Assert.Equal(PlatformStatus.Success, host.AllocatePages(2, out PhysicalRegion region));
            Assert.Equal(15UL << 20, region.PhysicalAddress);
            Assert.Equal(PlatformStatus.OutOfMemory, host.AllocatePages(1024, out _));

            // SIMP at a guest-physical page: the host accepts it because it is guest RAM.
            Assert.Equal(PlatformStatus.Success, host.WriteMsr(HvMsr.Simp, (host.SimpMsr & ~HvMsr.PageAddressMask & ~1UL) | 0x200000 | 1));
            Assert.Equal(0x200000UL, host.SimpAddress);
        }

        [Fact]
        public void Time_ref_count_follows_the_reference_clock_and_never_stands_still()
        {
            using GuestRam ram = new GuestRam(1UL << 20);
            ulong clock = 70_000;
            using MachineHost host = new MachineHost(ram, 1UL << 19, HostProfile.WS2016, new HostOptions { ReferenceClock = () => clock });
            Assert.Equal(PlatformStatus.Success, host.ReadMsr(HvMsr.TimeRefCount, out ulong first));
            Assert.Equal(70_000UL, first);
            Assert.Equal(PlatformStatus.Success, host.ReadMsr(HvMsr.TimeRefCount, out ulong second));
            Assert.Equal(70_001UL, second);
            clock = 90_000;
            Assert.Equal(PlatformStatus.Success, host.ReadMsr(HvMsr.TimeRefCount, out ulong third));
            Assert.Equal(90_000UL, third);
            clock = 10;
            host.Pause();
            Assert.Equal(PlatformStatus.Success, host.ReadMsr(HvMsr.TimeRefCount, out ulong fourth));
            Assert.True(fourth > third, "the reference counter went backwards");
        }
    }
}
