// The SAN path as it will run under Hyper-V, in one process: the SAN device and iSCSI session
// over our TCP, the netvsc driver, the Hyper-V host model's netvsc backend bridged to libslirp,
// and Debian's tgtd on the host's loopback (10.0.2.2 under slirp). CHAP login, the whole LUN read
// byte-exact, and a write that lands in the backing file.
using System;
using System.IO;
using System.Text;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.San;
using Bootstage.Drivers.HyperV.NetVsc;
using Bootstage.HyperV.HostModel;
using Bootstage.Iscsi.Peers;
using Bootstage.Net;
using Bootstage.Net.Slirp;

namespace Bootstage.Integration.Tests
{
    public class NetVscSanTests
    {
        private const string Iqn = "iqn.2026-11.org.bootstage.test:netvsc-san";
        private static readonly byte[] Mac = { 0x00, 0x15, 0x5D, 0x00, 0x00, 0x43 };

        // Moves the host model and the slirp bridge before the stack polls, as the image's
        // interrupt-free main loop will: the host has no thread of its own in the model.
        internal sealed class PumpedTransport : IIscsiTransport
        {
            private readonly IIscsiTransport _inner;
            private readonly Action _pump;

            public PumpedTransport(IIscsiTransport inner, Action pump)
            {
                _inner = inner;
                _pump = pump;
            }

            public TransportState State => _inner.State;

            public ulong Milliseconds => _inner.Milliseconds;

            public IscsiStatus Connect(ReadOnlySpan<byte> server, ushort port) => _inner.Connect(server, port);

            public int Send(ReadOnlySpan<byte> data) => _inner.Send(data);

            public int Receive(Span<byte> destination) => _inner.Receive(destination);

            public void Poll()
            {
                _pump();
                _inner.Poll();
            }

            public void Close() => _inner.Close();

            public void Abort() => _inner.Abort();
        }

        [Fact]
        public void San_device_over_netvsc_the_host_model_and_slirp_reads_and_writes_tgtd_byte_exact()
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-netvsc-san-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string file = TgtdTarget.CreateBackingFile(Path.Combine(directory, "lun.img"), 8 << 20, 9);
                using (TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd")))
                {
                    target.AddTarget(1, Iqn);
                    target.AddLun(1, 1, file);
                    target.BindAll(1);
                    target.AddAccount("hv", "hypervsecret1");
                    target.BindAccount(1, "hv");
                    Run(target, file);
                }
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        private static void Run(TgtdTarget target, string file)
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            using HyperVHost host = new HyperVHost(HostProfile.WS2016);
            NetVscDevice nic = HyperVNic.BringUp(host, slirp, Mac, out SlirpNetVscBridge bridge);
            NetInterface netif = new NetInterface(nic, new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), new Ipv4Address(10, 0, 2, 3));

            Iscsi.Peers.SeededRandom random = new Iscsi.Peers.SeededRandom(3);
            IscsiOptions options = new IscsiOptions
            {
                InitiatorName = Encoding.ASCII.GetBytes("iqn.2026-11.org.bootstage:netvsc"),
                TargetName = Encoding.ASCII.GetBytes(Iqn),
                Username = Encoding.ASCII.GetBytes("hv"),
                Password = Encoding.ASCII.GetBytes("hypervsecret1"),
            };
            PumpedTransport transport = new PumpedTransport(new TcpIscsiTransport(netif, random), () =>
            {
                bridge.Pump();
                host.Pause();
            });
            SanDevice disk = new SanDevice(new IscsiSession(options, transport, random), "10.0.2.2"u8, (ushort)target.Port, 0x0001_0000_0000_0000);
            Assert.Equal(IscsiStatus.Success, disk.Open());
            Assert.Equal((ulong)(8 << 20) / 512, disk.BlockCount);

            byte[] data = new byte[8 << 20];
            Assert.Equal(IscsiStatus.Success, disk.Read(0, (int)disk.BlockCount, data, 0));
            Assert.True(data.AsSpan().SequenceEqual(File.ReadAllBytes(file)), "the LUN read through netvsc differs from the backing file");

            byte[] written = new byte[200 * 512];
            new Random(5).NextBytes(written);
            Assert.Equal(IscsiStatus.Success, disk.Write(3000, 200, written, 0));
            Assert.True(written.AsSpan().SequenceEqual(File.ReadAllBytes(file).AsSpan(3000 * 512, written.Length)), "the write did not land in the backing file");
            Assert.True(nic.Statistics.RxFrames > 5000, $"only {nic.Statistics.RxFrames} frames came through netvsc");
            Assert.Equal(IscsiStatus.Success, disk.Close());
        }
    }
}
