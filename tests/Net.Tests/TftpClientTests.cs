// TftpClient rules that need more packets than a real server would send in a test's time, fed
// straight to the client's receive path: block numbers wrap from 65535 to 0 in a transfer longer
// than 65535 blocks (RFC 1350's 16-bit block field; the convention of RFC 2347-era servers such
// as dnsmasq), and datagrams from a host other than the server are not taken.
using System;
using System.Buffers.Binary;
using Bootstage.Net.Tftp;

namespace Bootstage.Net.Tests
{
    public class TftpClientTests
    {
        private static readonly Ipv4Address Server = new Ipv4Address(0x0A000202);

        private sealed class CheckingSink : IDownloadSink
        {
            public ulong Next { get; private set; }

            public bool Ordered { get; private set; } = true;

            public void Reset() => Next = 0;

            public bool Expect(ulong size) => true;

            public bool Write(ulong offset, ReadOnlySpan<byte> data)
            {
                Ordered &= offset == Next && data[0] == (byte)(offset / 512);
                Next = offset + (ulong)data.Length;
                return true;
            }
        }

        private static byte[] Data(ushort block, int length, byte fill)
        {
            byte[] packet = new byte[4 + length];
            BinaryPrimitives.WriteUInt16BigEndian(packet, TftpOpcode.Data);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), block);
            packet.AsSpan(4).Fill(fill);
            return packet;
        }

        private static (NetInterface Interface, TftpClient Client) Started(IDownloadSink sink)
        {
            NetInterface netif = new NetInterface(new ScriptedDevice(Frames.OurMac), new ManualClock());
            netif.Configure(new Ipv4Address(0x0A00020F), new Ipv4Address(0xFFFFFF00), Server, Server);
            TftpClient client = new TftpClient(netif, 40069);
            Assert.True(client.Start(Server, "big"u8, sink, blockSize: 0, askSize: false));
            return (netif, client);
        }

        [Fact]
        public void Block_numbers_wrap_after_65535_in_a_long_transfer()
        {
            CheckingSink sink = new CheckingSink();
            (NetInterface netif, TftpClient client) = Started(sink);
            const int Blocks = 65536 + 10;
            for (int i = 1; i <= Blocks; i++)
            {
                client.Receive(netif, Server, 2000, 40069, Data((ushort)i, 512, (byte)(i - 1)));
                Assert.Equal(TftpState.Receiving, client.State);
            }

            client.Receive(netif, Server, 2000, 40069, Data(unchecked((ushort)(Blocks + 1)), 0, 0));
            Assert.Equal(TftpState.Complete, client.State);
            Assert.Equal((ulong)Blocks * 512, client.BytesReceived);
            Assert.True(sink.Ordered);
            Assert.Equal(0ul, client.Counters.DuplicateBlocks);
        }

        [Fact]
        public void Datagrams_from_another_host_are_not_taken()
        {
            CheckingSink sink = new CheckingSink();
            (NetInterface netif, TftpClient client) = Started(sink);
            client.Receive(netif, new Ipv4Address(0x0A000299), 2000, 40069, Data(1, 10, 0));
            Assert.Equal(TftpState.Requesting, client.State);
            Assert.Equal(1ul, client.Counters.ForeignPackets);
            client.Receive(netif, Server, 2000, 40069, Data(1, 10, 0));
            Assert.Equal(TftpState.Complete, client.State);
        }
    }
}
