// Shared set-up for the tgtd tests: a tgtd on a loopback port with file-backed LUNs, and an
// initiator (session + SAN device) over a host socket or over our own stack through libslirp,
// where 10.0.2.2 is the host's 127.0.0.1.
using System;
using System.IO;
using System.Text;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.San;
using Bootstage.Iscsi.Peers;
using Bootstage.Net;
using Bootstage.Net.Slirp;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Bootstage.Iscsi.Tests
{
    internal sealed class IscsiRig : IDisposable
    {
        public const string Iqn = "iqn.2026-11.org.bootstage.test:disk";
        public const string InitiatorIqn = "iqn.2026-11.org.bootstage:tests";
        private static readonly byte[] Mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

        private readonly string _directory;
        private SlirpNetwork? _slirp;

        public IscsiRig(long lunSize = 64 << 20, int seed = 1, bool sparse = false)
        {
            _directory = Path.Combine(Path.GetTempPath(), "bootstage-iscsi-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_directory);
            BackingFile = Path.Combine(_directory, "lun1.img");
            if (sparse)
            {
                TgtdTarget.CreateSparseFile(BackingFile, lunSize);
            }
            else
            {
                TgtdTarget.CreateBackingFile(BackingFile, lunSize, seed);
            }

            Target = TgtdTarget.Start(Path.Combine(_directory, "tgtd"));
            Target.AddTarget(1, Iqn);
            Target.AddLun(1, 1, BackingFile);
            Target.BindAll(1);
        }

        public TgtdTarget Target { get; }

        public string BackingFile { get; }

        public SocketTransport? Socket { get; private set; }

        public NetInterface? Interface { get; private set; }

        public static IscsiOptions Options(string? user = null, string? password = null, string? reverseUser = null, string? reversePassword = null)
        {
            return new IscsiOptions
            {
                InitiatorName = Encoding.ASCII.GetBytes(InitiatorIqn),
                TargetName = Encoding.ASCII.GetBytes(Iqn),
                Username = Encoding.ASCII.GetBytes(user ?? string.Empty),
                Password = Encoding.ASCII.GetBytes(password ?? string.Empty),
                ReverseUsername = Encoding.ASCII.GetBytes(reverseUser ?? string.Empty),
                ReversePassword = Encoding.ASCII.GetBytes(reversePassword ?? string.Empty),
            };
        }

        /// <summary>A SAN device on LUN 1 over a host socket (not opened yet).</summary>
        public SanDevice OverSocket(IscsiOptions options, int seed = 7)
        {
            Socket = new SocketTransport();
            IscsiSession session = new IscsiSession(options, Socket, new SeededRandom(seed));
            return Configure(new SanDevice(session, Encoding.ASCII.GetBytes(Target.Address), (ushort)Target.Port, Lun1));
        }

        /// <summary>A SAN device on LUN 1 over our TCP stack and libslirp (not opened yet).</summary>
        public SanDevice OverSlirp(IscsiOptions options, int seed = 7)
        {
            _slirp = new SlirpNetwork();
            SlirpNetDevice device = new SlirpNetDevice(_slirp, Mac);
            Interface = new NetInterface(device, new WallClock());
            Interface.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), new Ipv4Address(10, 0, 2, 3));
            SeededRandom random = new SeededRandom(seed);
            IscsiSession session = new IscsiSession(options, new TcpIscsiTransport(Interface, random), random);
            return Configure(new SanDevice(session, "10.0.2.2"u8, (ushort)Target.Port, Lun1));
        }

        // LUN 1 in the 8-byte SAM format (single-level peripheral addressing).
        public const ulong Lun1 = 0x0001_0000_0000_0000;

        private static SanDevice Configure(SanDevice device)
        {
            // Tests restart tgtd on purpose: retry quickly, and fail fast when it is truly gone.
            device.ReconnectDelayMs = 200;
            device.CommandTimeoutMs = 10_000;
            device.Retries = 50;
            return device;
        }

        public byte[] ReadBacking(long offset, int length)
        {
            byte[] data = new byte[length];
            using FileStream stream = new FileStream(BackingFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Position = offset;
            stream.ReadExactly(data);
            return data;
        }

        public void Dispose()
        {
            Target.Dispose();
            _slirp?.Dispose();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
