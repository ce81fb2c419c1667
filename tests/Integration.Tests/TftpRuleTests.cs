// TFTP client rules a well-behaved server never exercises, against a scripted server: two UDP
// sockets on 127.0.0.2 (reached through slirp) that answer our requests as each test dictates.
// A stranger's packets get "unknown transfer ID" (RFC 1350 §4), an OACK granting more than we
// asked or an option we never asked for is refused with error 8 (RFC 2347, RFC 2348), a silent
// server means MaxAttempts requests and then a timeout, and a repeated last block is
// acknowledged again after the transfer is complete.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Bootstage.Net;
using Bootstage.Net.Slirp;
using Bootstage.Net.Tftp;

namespace Bootstage.Integration.Tests
{
    public sealed class TftpRuleTests : IDisposable
    {
        private static readonly byte[] Mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x59 };
        private readonly UdpClient _listen = new UdpClient(new IPEndPoint(IPAddress.Parse(TftpServer.Address), 0));
        private readonly UdpClient _transfer = new UdpClient(new IPEndPoint(IPAddress.Parse(TftpServer.Address), 0));
        private readonly UdpClient _stranger = new UdpClient(new IPEndPoint(IPAddress.Parse(TftpServer.Address), 0));
        private readonly SlirpNetwork _slirp = new SlirpNetwork();
        private readonly NetInterface _netif;
        private readonly TftpClient _client;

        public TftpRuleTests()
        {
            _netif = new NetInterface(new SlirpNetDevice(_slirp, Mac), new WallClock());
            _netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), new Ipv4Address(10, 0, 2, 3));
            _client = new TftpClient(_netif, 40070, timeoutMs: 50);
        }

        public void Dispose()
        {
            _slirp.Dispose();
            _listen.Dispose();
            _transfer.Dispose();
            _stranger.Dispose();
        }

        private ushort ListenPort => (ushort)((IPEndPoint)_listen.Client.LocalEndPoint!).Port;

        private void Start(ushort blockSize, DownloadBuffer sink)
        {
            Assert.True(_client.Start(new Ipv4Address(127, 0, 0, 2), "file"u8, sink, blockSize, askSize: false, port: ListenPort));
        }

        // Polls our side until the socket has a datagram (or the client is done); returns it.
        private byte[]? Await(UdpClient socket, out IPEndPoint from)
        {
            from = new IPEndPoint(IPAddress.Any, 0);
            Stopwatch limit = Stopwatch.StartNew();
            while (limit.Elapsed < TimeSpan.FromSeconds(20))
            {
                if (socket.Available > 0)
                {
                    return socket.Receive(ref from);
                }

                _netif.Poll();
                _client.Poll();
            }

            return null;
        }

        private void PollUntilDone()
        {
            Stopwatch limit = Stopwatch.StartNew();
            while (!_client.IsDone && limit.Elapsed < TimeSpan.FromSeconds(20))
            {
                _netif.Poll();
                _client.Poll();
            }
        }

        private static byte[] Data(ushort block, int length, byte fill)
        {
            byte[] packet = new byte[4 + length];
            packet[1] = 3;
            packet[2] = (byte)(block >> 8);
            packet[3] = (byte)block;
            Array.Fill(packet, fill, 4, length);
            return packet;
        }

        private static byte[] OptionAck(params string[] pairs)
        {
            List<byte> packet = new List<byte> { 0, 6 };
            foreach (string text in pairs)
            {
                packet.AddRange(Encoding.ASCII.GetBytes(text));
                packet.Add(0);
            }

            return packet.ToArray();
        }

        [Fact]
        public void A_stranger_gets_unknown_transfer_id_and_its_data_is_not_taken()
        {
            DownloadBuffer sink = new DownloadBuffer(4096);
            Start(0, sink);
            Assert.NotNull(Await(_listen, out IPEndPoint client));
            _transfer.Send(Data(1, 512, 0xA1), client);
            Assert.Equal(new byte[] { 0, 4, 0, 1 }, Await(_transfer, out _));
            _stranger.Send(Data(2, 10, 0xEE), client);
            byte[]? error = Await(_stranger, out _);
            Assert.NotNull(error);
            Assert.Equal(new byte[] { 0, 5, 0, (byte)TftpError.UnknownTransferId }, error![..4]);
            _transfer.Send(Data(2, 10, 0xB2), client);
            PollUntilDone();
            Assert.Equal(TftpState.Complete, _client.State);
            Assert.Equal(522, sink.Length);
            Assert.Equal(0xB2, sink.Data[521]);
            Assert.Equal(1ul, _client.Counters.ForeignPackets);
        }

        [Theory]
        [InlineData("blksize", "1024")]
        [InlineData("blksize", "7")]
        [InlineData("timeout", "5")]
        public void An_option_ack_granting_what_we_did_not_ask_is_refused_with_error_8(string name, string value)
        {
            Start(512, new DownloadBuffer(4096));
            Assert.NotNull(Await(_listen, out IPEndPoint client));
            _transfer.Send(OptionAck(name, value), client);
            byte[]? error = Await(_transfer, out _);
            Assert.NotNull(error);
            Assert.Equal(new byte[] { 0, 5, 0, (byte)TftpError.OptionRefused }, error![..4]);
            Assert.Equal(TftpFailure.BadOptionAck, _client.Failure);
        }

        [Fact]
        public void A_lower_block_size_granted_is_used()
        {
            DownloadBuffer sink = new DownloadBuffer(4096);
            Start(1024, sink);
            Assert.NotNull(Await(_listen, out IPEndPoint client));
            _transfer.Send(OptionAck("BLKSIZE", "600"), client);
            Assert.Equal(new byte[] { 0, 4, 0, 0 }, Await(_transfer, out _));
            _transfer.Send(Data(1, 600, 1), client);
            Assert.Equal(new byte[] { 0, 4, 0, 1 }, Await(_transfer, out _));
            _transfer.Send(Data(2, 599, 2), client);
            PollUntilDone();
            Assert.Equal(TftpState.Complete, _client.State);
            Assert.Equal(600, _client.BlockSize);
            Assert.Equal(1199, sink.Length);
        }

        [Fact]
        public void A_silent_server_gets_the_request_max_attempts_times_then_the_client_gives_up()
        {
            Start(0, new DownloadBuffer(16));
            int requests = 0;
            Stopwatch limit = Stopwatch.StartNew();
            while (!_client.IsDone && limit.Elapsed < TimeSpan.FromSeconds(20))
            {
                _netif.Poll();
                _client.Poll();
                while (_listen.Available > 0)
                {
                    IPEndPoint from = new IPEndPoint(IPAddress.Any, 0);
                    byte[] request = _listen.Receive(ref from);
                    Assert.Equal(1, request[1]);
                    requests++;
                }
            }

            Assert.Equal(TftpFailure.TimedOut, _client.Failure);
            Assert.Equal(TftpClient.MaxAttempts, requests);
            Assert.Equal((ulong)(TftpClient.MaxAttempts - 1), _client.Counters.Retransmits);
        }

        [Fact]
        public void A_repeated_last_block_is_acknowledged_again_after_completion()
        {
            Start(0, new DownloadBuffer(4096));
            Assert.NotNull(Await(_listen, out IPEndPoint client));
            _transfer.Send(Data(1, 3, 7), client);
            Assert.Equal(new byte[] { 0, 4, 0, 1 }, Await(_transfer, out _));
            Assert.Equal(TftpState.Complete, _client.State);
            _transfer.Send(Data(1, 3, 7), client);
            Assert.Equal(new byte[] { 0, 4, 0, 1 }, Await(_transfer, out _));
            Assert.Equal(1ul, _client.Counters.DuplicateBlocks);
            Assert.Equal(TftpState.Complete, _client.State);
        }

        [Fact]
        public void A_file_name_too_long_for_a_request_is_refused_before_sending()
        {
            Assert.False(_client.Start(new Ipv4Address(127, 0, 0, 2), new byte[TftpClient.MaxFileName + 1], new DownloadBuffer(16), port: ListenPort));
            Assert.Equal(TftpFailure.BadRequest, _client.Failure);
            Assert.False(_client.Start(new Ipv4Address(127, 0, 0, 2), "a\0b"u8, new DownloadBuffer(16), port: ListenPort));
            Assert.Equal(TftpFailure.BadRequest, _client.Failure);
        }

        [Fact]
        public void A_server_error_ends_the_transfer_with_its_code_and_message()
        {
            Start(0, new DownloadBuffer(16));
            Assert.NotNull(Await(_listen, out IPEndPoint client));
            _transfer.Send(Encoding.ASCII.GetBytes("\0\u0005\0\u0002no access here\0"), client);
            PollUntilDone();
            Assert.Equal(TftpFailure.ServerError, _client.Failure);
            Assert.Equal(TftpError.AccessViolation, _client.ErrorCode);
            Assert.Equal("no access here", Encoding.ASCII.GetString(_client.ErrorMessage));
        }
    }
}
