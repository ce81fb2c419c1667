// The INT 13h service as it runs on Hyper-V, in one process: real-mode calls served from a tgtd
// LUN through the SAN device, our TCP, netvsc and the Hyper-V host model bridged to libslirp, with
// the Hyper-V gate around each call. Between two calls an enlightened loader (the model's
// WS2016 winload actor) takes the SynIC and re-initiates VMBus contact: the second call must
// reclaim once, reconnect, and still return exactly the LUN's bytes; after every call the
// hypervisor interface must be quiesced again, and calls with nobody in between must not
// reconnect at all.
using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using Bootstage.Boot.Int13;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.San;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.NetVsc;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.HyperV.HostModel;
using Bootstage.Iscsi.Peers;
using Bootstage.Net;
using Bootstage.Net.Slirp;
using HvStatus = Bootstage.Drivers.HyperV.Hypervisor.HvStatus;

namespace Bootstage.Integration.Tests
{
    public class HyperVInt13Tests
    {
        private const string Iqn = "iqn.2026-12.org.bootstage.test:int13-hyperv";
        private static readonly byte[] Mac = { 0x00, 0x15, 0x5D, 0x00, 0x00, 0x13 };

        private sealed class LowMemory : IRealModeMemory
        {
            public byte[] Bytes { get; } = new byte[2 << 20];

            public Span<byte> Map(ulong physicalAddress, int length) =>
                physicalAddress + (ulong)length <= (ulong)Bytes.Length ? new Span<byte>(Bytes, (int)physicalAddress, length) : default;
        }

        [Fact]
        public void Int13_reads_survive_an_enlightened_loader_takeover_and_quiesce_after_every_call()
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-int13-hv-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string file = TgtdTarget.CreateBackingFile(Path.Combine(directory, "lun.img"), 4 << 20, 21);
                using TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd"));
                target.AddTarget(1, Iqn);
                target.AddLun(1, 1, file);
                target.BindAll(1);
                Run(target, File.ReadAllBytes(file));
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        private static void Run(TgtdTarget target, byte[] lun)
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            NetVscDevice nic = HyperVNic.BringUp(host, slirp, Mac, out SlirpNetVscBridge bridge, out HvHypervisor hypervisor, out VmBusBus bus);
            NetInterface netif = new NetInterface(nic, new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), new Ipv4Address(10, 0, 2, 3));
            Iscsi.Peers.SeededRandom random = new Iscsi.Peers.SeededRandom(13);
            IscsiOptions options = new IscsiOptions
            {
                InitiatorName = Encoding.ASCII.GetBytes("iqn.2026-12.org.bootstage:int13"),
                TargetName = Encoding.ASCII.GetBytes(Iqn),
            };
            NetVscSanTests.PumpedTransport transport = new NetVscSanTests.PumpedTransport(new TcpIscsiTransport(netif, random), () =>
            {
                bridge.Pump();
                host.Pause();
            });
            SanDevice disk = new SanDevice(new IscsiSession(options, transport, random), "10.0.2.2"u8, (ushort)target.Port, 0x0001_0000_0000_0000);
            Assert.Equal(IscsiStatus.Success, disk.Open());

            LowMemory memory = new LowMemory();
            Int13Service service = new Int13Service(memory);
            Int13Drive drive = new Int13Drive(0x80, disk) { Geometry = Int13Geometry.Guess(lun, disk.BlockCount) };
            Assert.True(service.Hook(drive));
            HyperVInt13Gate gate = new HyperVInt13Gate(hypervisor, bus);
            service.Gate = gate;

            // The handoff quiesces before the loader's first call.
            hypervisor.Quiesce();
            ReadAndCheck(service, memory, lun, 0, 64);
            AssertQuiesced(host);
            ReadAndCheck(service, memory, lun, 1000, 100);
            AssertQuiesced(host);
            Assert.Equal(0UL, gate.Reconnects);
            Assert.Equal(0UL, hypervisor.Reclaims);

            Assert.Equal(LoaderOutcome.TookOver, host.EnlightenedLoaderTakeover(LoaderSimpMode.Disabled));
            ReadAndCheck(service, memory, lun, 5000, 127);
            AssertQuiesced(host);
            Assert.Equal(1UL, gate.Reconnects);
            Assert.Equal(1UL, hypervisor.Reclaims);
            Assert.Equal(HvStatus.Success, gate.LastStatus);

            ReadAndCheck(service, memory, lun, 8000, 50);
            AssertQuiesced(host);
            Assert.Equal(1UL, gate.Reconnects);
            Assert.True(nic.IsOpen);
        }

        private static void ReadAndCheck(Int13Service service, LowMemory memory, byte[] lun, ulong lba, byte count)
        {
            Span<byte> packet = memory.Map(0x600, 16);
            packet.Clear();
            packet[0] = 16;
            packet[2] = count;
            BinaryPrimitives.WriteUInt16LittleEndian(packet.Slice(4), 0);
            BinaryPrimitives.WriteUInt16LittleEndian(packet.Slice(6), 0x1000);
            BinaryPrimitives.WriteUInt64LittleEndian(packet.Slice(8), lba);
            memory.Map(0x10000, count * 512).Fill(0xEE);
            Int13Registers registers = default;
            registers.AH = 0x42;
            registers.DL = 0x80;
            registers.Esi = 0x600;
            Assert.Equal(Int13Disposition.Handled, service.Handle(ref registers));
            Assert.False(registers.Carry, $"INT 13h AH=42h at {lba} failed with AH={registers.AH:X2}");
            Assert.True(memory.Map(0x10000, count * 512).SequenceEqual(lun.AsSpan((int)lba * 512, count * 512)), $"blocks at {lba} differ from the LUN");
        }

        private static void AssertQuiesced(HyperVHost host)
        {
            Assert.False(host.SimpEnabled);
            Assert.False(host.SiefpEnabled);
            Assert.False(host.HypercallEnabled);
            Assert.Equal(0UL, host.GuestOsId);
            Assert.True(host.Sint2Masked);
            Assert.True(host.SynIcEnabled);
        }
    }
}
