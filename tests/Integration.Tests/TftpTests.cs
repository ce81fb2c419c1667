// Our TFTP client (Net/Tftp) against a real server: dnsmasq's TFTP on 127.0.0.2:69 reached
// through libslirp's NAT. Option negotiation (blksize, tsize), plain RFC 1350, a file that
// ends on a block boundary, errors the server sends, a file too large for the buffer, and a link
// that loses and duplicates frames. Each test waits for the transfer to finish (the deadline only
// bounds a broken run).
using System;
using System.Diagnostics;
using System.Text;
using Bootstage.Net;
using Bootstage.Net.Slirp;
using Bootstage.Net.Tftp;

namespace Bootstage.Integration.Tests
{
    /// <summary>dnsmasq's TFTP port is fixed (69): every class that uses it shares one server and runs alone.</summary>
    [CollectionDefinition(Name)]
    public sealed class TftpServerCollection : ICollectionFixture<TftpServer>
    {
        public const string Name = "dnsmasq TFTP";
    }

    [Collection(TftpServerCollection.Name)]
    public sealed class TftpTests
    {
        private static readonly byte[] Mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };
        private static readonly Ipv4Address Server = new Ipv4Address(127, 0, 0, 2);
        private static readonly Ipv4Address Gateway = new Ipv4Address(10, 0, 2, 2);
        private readonly TftpServer _server;

        public TftpTests(TftpServer server)
        {
            _server = server;
        }

        private static TftpClient Fetch(IFramePort port, string name, DownloadBuffer sink, ushort blockSize = TftpClient.EthernetBlockSize, bool askSize = true)
        {
            NetInterface netif = new NetInterface(new SlirpNetDevice(port, Mac), new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), Gateway, new Ipv4Address(10, 0, 2, 3));
            TftpClient client = new TftpClient(netif, 40069, timeoutMs: 200);
            Assert.True(client.Start(Server, Encoding.ASCII.GetBytes(name), sink, blockSize, askSize));
            Stopwatch limit = Stopwatch.StartNew();
            while (!client.IsDone && limit.Elapsed < TimeSpan.FromSeconds(60))
            {
                netif.Poll();
                client.Poll();
            }

            return client;
        }

        [Fact]
        public void A_file_is_read_with_the_block_size_and_size_the_server_granted()
        {
            byte[] file = _server.AddFile("big.bin", 200_000, 1);
            using SlirpNetwork slirp = new SlirpNetwork();
            DownloadBuffer sink = new DownloadBuffer(1 << 20);
            TftpClient client = Fetch(slirp, "big.bin", sink);
            Assert.True(client.State == TftpState.Complete, Encoding.ASCII.GetString(client.ErrorMessage) + " log: " + _server.Log);
            Assert.Equal(TftpClient.EthernetBlockSize, client.BlockSize);
            Assert.Equal(file.Length, client.TransferSize);
            Assert.Equal(file, sink.Data.ToArray());
        }

        [Fact]
        public void Without_options_blocks_are_512_and_a_file_ending_on_a_block_boundary_ends_with_an_empty_block()
        {
            byte[] file = _server.AddFile("two-blocks.bin", 1024, 2);
            using SlirpNetwork slirp = new SlirpNetwork();
            DownloadBuffer sink = new DownloadBuffer(4096);
            TftpClient client = Fetch(slirp, "two-blocks.bin", sink, blockSize: 0, askSize: false);
            Assert.Equal(TftpState.Complete, client.State);
            Assert.Equal(512, client.BlockSize);
            Assert.Equal(-1, client.TransferSize);
            Assert.Equal(file, sink.Data.ToArray());
        }

        [Fact]
        public void An_empty_file_is_one_empty_block()
        {
            _server.AddFile("empty.bin", 0, 3);
            using SlirpNetwork slirp = new SlirpNetwork();
            DownloadBuffer sink = new DownloadBuffer(16);
            TftpClient client = Fetch(slirp, "empty.bin", sink);
            Assert.Equal(TftpState.Complete, client.State);
            Assert.Equal(0, sink.Length);
        }

        [Fact]
        public void A_missing_file_is_the_servers_error_with_its_code_and_message()
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            TftpClient client = Fetch(slirp, "no-such-file.bin", new DownloadBuffer(16));
            Assert.Equal(TftpState.Failed, client.State);
            Assert.Equal(TftpFailure.ServerError, client.Failure);
            Assert.Equal(TftpError.FileNotFound, client.ErrorCode);
            Assert.Contains("no-such-file.bin", Encoding.ASCII.GetString(client.ErrorMessage));
            Assert.Equal("file not found", Encoding.ASCII.GetString(TftpError.Describe(client.ErrorCode)));
        }

        [Fact]
        public void A_file_larger_than_the_buffer_is_refused_when_its_size_is_announced()
        {
            _server.AddFile("too-big.bin", 10_000, 4);
            using SlirpNetwork slirp = new SlirpNetwork();
            TftpClient client = Fetch(slirp, "too-big.bin", new DownloadBuffer(9_999));
            Assert.Equal(TftpFailure.TooLarge, client.Failure);
            Assert.Equal(10_000, client.TransferSize);
            Assert.Equal(0ul, client.BytesReceived);
        }

        [Fact]
        public void A_file_larger_than_the_buffer_is_refused_when_it_overflows_without_tsize()
        {
            _server.AddFile("too-big-plain.bin", 3_000, 5);
            using SlirpNetwork slirp = new SlirpNetwork();
            DownloadBuffer sink = new DownloadBuffer(2_000);
            TftpClient client = Fetch(slirp, "too-big-plain.bin", sink, blockSize: 0, askSize: false);
            Assert.Equal(TftpFailure.TooLarge, client.Failure);
            Assert.Equal(1536ul, client.BytesReceived);
        }

        [Theory]
        [InlineData(11)]
        [InlineData(12)]
        public void Lost_frames_are_retransmitted_and_the_file_arrives_intact(int seed)
        {
            byte[] file = _server.AddFile("lossy-" + seed + ".bin", 60_000, seed);
            using SlirpNetwork slirp = new SlirpNetwork();
            FaultProfile loss = new FaultProfile { Loss = 0.15 };
            FaultyLink link = new FaultyLink(slirp, seed, toNetwork: loss, toGuest: loss);
            DownloadBuffer sink = new DownloadBuffer(1 << 20);
            TftpClient client = Fetch(link, "lossy-" + seed + ".bin", sink);
            Assert.True(client.State == TftpState.Complete, "state " + client.State + " failure " + client.Failure);
            Assert.Equal(file, sink.Data.ToArray());
            Assert.True(link.ToGuestCounters.Lost > 0 && link.ToNetworkCounters.Lost > 0);
            Assert.True(client.Counters.Retransmits > 0);
        }

        [Fact]
        public void Duplicated_blocks_are_acknowledged_again_but_delivered_once()
        {
            byte[] file = _server.AddFile("dup.bin", 60_000, 21);
            using SlirpNetwork slirp = new SlirpNetwork();
            FaultyLink link = new FaultyLink(slirp, 21, toGuest: new FaultProfile { Duplication = 0.3 });
            DownloadBuffer sink = new DownloadBuffer(1 << 20);
            TftpClient client = Fetch(link, "dup.bin", sink);
            Assert.Equal(TftpState.Complete, client.State);
            Assert.Equal(file, sink.Data.ToArray());
            Assert.True(link.ToGuestCounters.Duplicated > 0);
            Assert.True(client.Counters.DuplicateBlocks > 0);
        }
    }
}
