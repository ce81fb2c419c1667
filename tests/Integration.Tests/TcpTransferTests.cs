// TCP through our stack and libslirp to a real host socket on 127.0.0.1 (slirp maps 10.0.2.2 to
// the host): 64 MiB each way, byte-exact, on a clean link and on a link with 2% loss plus
// reordering (retransmissions and the out-of-order queue must show in the counters).
using System;
using Bootstage.Net;
using Bootstage.Net.Slirp;
using Bootstage.Net.Tcp;

namespace Bootstage.Integration.Tests
{
    public class TcpTransferTests
    {
        private const int Size = 64 << 20;
        private static readonly byte[] Mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

        private sealed class Rig : IDisposable
        {
            public Rig(double loss, double reorder, int seed)
            {
                Slirp = new SlirpNetwork();
                IFramePort port = Slirp;
                if (loss > 0 || reorder > 0)
                {
                    FaultProfile profile = new FaultProfile { Loss = loss, Reorder = reorder, ReorderDepth = 3 };
                    Link = new FaultyLink(Slirp, seed, toNetwork: profile, toGuest: profile);
                    port = Link;
                }

                Device = new SlirpNetDevice(port, Mac);
                Interface = new NetInterface(Device, new WallClock());
                Interface.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), new Ipv4Address(10, 0, 2, 3));
            }

            public SlirpNetwork Slirp { get; }

            public FaultyLink? Link { get; }

            public SlirpNetDevice Device { get; }

            public NetInterface Interface { get; }

            public TcpConnection Connect(ushort port)
            {
                TcpConnection connection = new TcpConnection(Interface);
                Assert.Equal(Drivers.Net.NetStatus.Success, connection.Connect(new Ipv4Address(10, 0, 2, 2), port, 40000, 0x12345678));
                return connection;
            }

            public void Step(TcpConnection connection)
            {
                Interface.Poll(256);
                connection.Poll();
            }

            public void Dispose() => Slirp.Dispose();
        }

        [Theory]
        [InlineData(0.0, 0.0)]
        [InlineData(0.02, 0.02)]
        public void Upload_of_64_MiB_reaches_the_host_byte_exact(double loss, double reorder)
        {
            using Rig rig = new Rig(loss, reorder, 7);
            using HostServer server = HostServer.Receiving();
            TcpConnection connection = rig.Connect(server.Port);
            long sent = GuestStream.Upload(connection, Size, () => rig.Step(connection), TimeSpan.FromSeconds(180));

            Assert.True(server.Join(TimeSpan.FromSeconds(30)), "host side did not see the end of the stream");
            Assert.Null(server.Error);
            Assert.True(sent == Size && server.Received == Size, $"sent {sent}, host received {server.Received} of {Size}; state {connection.State}, retransmits {connection.Counters.Retransmits}, timeouts {connection.Counters.Timeouts}, fast {connection.Counters.FastRetransmits}");
            Assert.Equal(0, server.Mismatches);
            if (loss > 0)
            {
                Assert.True(connection.Counters.Retransmits > 0, "loss must cause retransmissions");
                Assert.True(rig.Link!.ToNetworkCounters.Lost > 0);
            }
        }

        // With loss, slirp is the sender: its BSD-derived TCP (no SACK, no tail-loss probe) recovers
        // mostly by retransmission timeout, about 150 KB/s at 2% loss, so the lossy 64 MiB download
        // takes about 7 minutes and gets a 20-minute deadline. Our receiver's side of it (dup ACKs,
        // the out-of-order ring) is what the counters check.
        [Theory]
        [InlineData(0.0, 0.0, 64 << 20)]
        [InlineData(0.02, 0.02, 64 << 20)]
        public void Download_from_the_host_arrives_byte_exact(double loss, double reorder, int size)
        {
            using Rig rig = new Rig(loss, reorder, 11);
            using HostServer server = HostServer.Sending(size);
            TcpConnection connection = rig.Connect(server.Port);
            (long received, long mismatches) = GuestStream.Download(connection, () => rig.Step(connection), TimeSpan.FromMinutes(20));

            Assert.True(received == size, $"received {received} of {size}; state {connection.State}, retransmits {connection.Counters.Retransmits}, timeouts {connection.Counters.Timeouts}");
            Assert.Equal(0, mismatches);
            Assert.True(server.Join(TimeSpan.FromSeconds(30)));
            Assert.Null(server.Error);
            if (loss > 0)
            {
                Assert.True(connection.Counters.OutOfOrderQueued > 0, "reordering and loss must exercise the out-of-order queue");
                Assert.True(rig.Link!.ToGuestCounters.Lost > 0);
            }
        }

        [Fact]
        public void A_connection_object_reopens_clean_after_abort_for_a_second_transfer()
        {
            using Rig rig = new Rig(0, 0, 9);
            using HostServer first = HostServer.Receiving();
            TcpConnection connection = rig.Connect(first.Port);
            Assert.Equal(4L << 20, GuestStream.Upload(connection, 4 << 20, () => rig.Step(connection), TimeSpan.FromSeconds(60)));
            Assert.True(first.Join(TimeSpan.FromSeconds(30)));
            Assert.Equal(0, first.Mismatches);

            // Re-opened as a re-login does: abort, then connect the same object again (new port, new ISN).
            connection.Abort();
            using HostServer second = HostServer.Receiving();
            Assert.Equal(Drivers.Net.NetStatus.Success, connection.Connect(new Ipv4Address(10, 0, 2, 2), second.Port, 40001, 0x0BADCAFE));
            Assert.Equal(0UL, connection.Counters.SegmentsReceived);
            Assert.Equal(4L << 20, GuestStream.Upload(connection, 4 << 20, () => rig.Step(connection), TimeSpan.FromSeconds(60)));
            Assert.True(second.Join(TimeSpan.FromSeconds(30)));
            Assert.Null(second.Error);
            Assert.Equal(4L << 20, second.Received);
            Assert.Equal(0, second.Mismatches);
        }
    }
}
