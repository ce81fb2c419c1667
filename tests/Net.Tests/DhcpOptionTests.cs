// DHCP replies built by hand through a scripted device: the options a SAN boot reads (root path,
// initiator IQN, iPXE's encapsulated 175.x), and truncated option lists refused as malformed.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using Bootstage.Net.Dhcp;

namespace Bootstage.Net.Tests
{
    public class DhcpOptionTests
    {
        private const uint Server = 0x0A000202;

        // A BOOTP reply for the client's transaction, carrying the given option bytes after type 53.
        private static byte[] Reply(byte[] discover, byte type, byte[] options)
        {
            byte[] dhcp = new byte[240 + 3 + options.Length + 1];
            dhcp[0] = 2;
            dhcp[1] = 1;
            dhcp[2] = 6;
            Array.Copy(discover, 42 + 4, dhcp, 4, 4);          // xid from the client's message
            BinaryPrimitives.WriteUInt32BigEndian(dhcp.AsSpan(16), 0x0A00020F);
            Array.Copy(Frames.OurMac, 0, dhcp, 28, 6);
            BinaryPrimitives.WriteUInt32BigEndian(dhcp.AsSpan(236), 0x63825363);
            dhcp[240] = 53;
            dhcp[241] = 1;
            dhcp[242] = type;
            options.CopyTo(dhcp, 243);
            dhcp[^1] = 255;
            return Frames.Udp(Server, 0xFFFFFFFF, 67, 68, dhcp);
        }

        private static byte[] Option(byte code, byte[] data)
        {
            byte[] option = new byte[2 + data.Length];
            option[0] = code;
            option[1] = (byte)data.Length;
            data.CopyTo(option, 2);
            return option;
        }

        private static byte[] Concat(params byte[][] parts)
        {
            List<byte> all = new();
            foreach (byte[] part in parts)
            {
                all.AddRange(part);
            }

            return all.ToArray();
        }

        private static (ScriptedDevice Device, NetInterface Interface, DhcpClient Client) Started()
        {
            ScriptedDevice device = new ScriptedDevice(Frames.OurMac);
            NetInterface netif = new NetInterface(device, new ManualClock { Milliseconds = 1000 });
            DhcpClient client = new DhcpClient(netif, 99);
            client.Start();
            return (device, netif, client);
        }

        [Fact]
        public void Root_path_initiator_iqn_and_encapsulated_san_options_reach_the_lease()
        {
            (ScriptedDevice device, NetInterface netif, DhcpClient client) = Started();
            byte[] common = Concat(
                Option(54, new byte[] { 10, 0, 2, 2 }),
                Option(1, new byte[] { 255, 255, 255, 0 }),
                Option(3, new byte[] { 10, 0, 2, 2 }),
                Option(17, Encoding.ASCII.GetBytes("iscsi:10.0.2.2:::1:iqn.2026-11.test:disk")),
                Option(203, Encoding.ASCII.GetBytes("iqn.2026-11.test:initiator\0")),
                Option(175, Concat(
                    new byte[] { 0 },
                    Option(8, new byte[] { 1 }),
                    Option(187, new byte[] { 4 }),
                    Option(190, Encoding.ASCII.GetBytes("user")),
                    Option(191, Encoding.ASCII.GetBytes("secret")),
                    new byte[] { 255 })));
            device.Inject(Reply(device.Sent[0], 2, common));
            netif.Poll();
            Assert.Equal(DhcpState.Requesting, client.State);
            device.Inject(Reply(device.Sent[^1], 5, common));
            netif.Poll();

            Assert.Equal(DhcpState.Bound, client.State);
            DhcpLease lease = client.Lease;
            Assert.Equal("iscsi:10.0.2.2:::1:iqn.2026-11.test:disk", Encoding.ASCII.GetString(lease.RootPath));
            Assert.Equal("iqn.2026-11.test:initiator", Encoding.ASCII.GetString(lease.InitiatorIqn));
            Assert.True(lease.KeepSan);
            Assert.False(lease.SkipSanBoot);
            Assert.Equal(4, lease.SanRetries);
            Assert.Equal("user", Encoding.ASCII.GetString(lease.Username));
            Assert.Equal("secret", Encoding.ASCII.GetString(lease.Password));
            Assert.Equal(new Ipv4Address(10, 0, 2, 15), netif.Address);
        }

        [Fact]
        public void An_offer_whose_option_runs_past_the_message_is_malformed()
        {
            (ScriptedDevice device, NetInterface netif, DhcpClient client) = Started();
            // Option 17 claims 200 bytes but only 3 follow before the end of the message.
            device.Inject(Reply(device.Sent[0], 2, new byte[] { 17, 200, (byte)'a', (byte)'b' }));
            netif.Poll();
            Assert.Equal(DhcpState.Selecting, client.State);
            Assert.Equal(1UL, client.Malformed);
        }

        [Fact]
        public void A_truncated_encapsulated_option_makes_the_offer_malformed()
        {
            (ScriptedDevice device, NetInterface netif, DhcpClient client) = Started();
            device.Inject(Reply(device.Sent[0], 2, Option(175, new byte[] { 190, 9, (byte)'u' })));
            netif.Poll();
            Assert.Equal(DhcpState.Selecting, client.State);
            Assert.Equal(1UL, client.Malformed);
        }

        // The DHCP payload of a reply (what PXENV_GET_CACHED_INFO hands over: no Ethernet/IP/UDP).
        private static byte[] CachedAck(byte type, byte[] mac, byte[] options)
        {
            byte[] frame = Reply(new byte[64], type, options);
            byte[] dhcp = frame.AsSpan(42).ToArray();
            mac.CopyTo(dhcp, 28);
            return dhcp;
        }

        [Fact]
        public void A_pxe_roms_cached_ack_for_this_nic_configures_the_interface_without_a_discover()
        {
            ScriptedDevice device = new ScriptedDevice(Frames.OurMac);
            NetInterface netif = new NetInterface(device, new ManualClock { Milliseconds = 1000 });
            DhcpClient client = new DhcpClient(netif, 7);
            byte[] ack = CachedAck(5, Frames.OurMac, Concat(
                Option(54, new byte[] { 10, 0, 2, 2 }),
                Option(1, new byte[] { 255, 255, 255, 0 }),
                Option(3, new byte[] { 10, 0, 2, 2 }),
                Option(17, Encoding.ASCII.GetBytes("iscsi:10.0.2.2:::1:iqn.2026-12.test:pxe"))));

            Assert.Equal(DhcpCachedStatus.Adopted, client.AdoptCachedAck(ack));

            Assert.Equal(DhcpState.Bound, client.State);
            Assert.DoesNotContain(device.Sent, frame => frame.Length > 37 && frame[23] == 17 && frame[36] == 0 && frame[37] == 67);
            Assert.Equal(0x0A00020Fu, client.Lease.Address.Value);
            Assert.Equal(0x0A00020Fu, netif.Address.Value);
            Assert.Equal(0xFFFFFF00u, netif.Netmask.Value);
            Assert.Equal("iscsi:10.0.2.2:::1:iqn.2026-12.test:pxe", Encoding.ASCII.GetString(client.Lease.RootPath));
        }

        [Fact]
        public void A_cached_ack_for_another_nic_an_offer_or_garbage_is_refused_and_dhcp_runs_as_usual()
        {
            ScriptedDevice device = new ScriptedDevice(Frames.OurMac);
            NetInterface netif = new NetInterface(device, new ManualClock { Milliseconds = 1000 });
            DhcpClient client = new DhcpClient(netif, 7);
            byte[] other = (byte[])Frames.OurMac.Clone();
            other[5] ^= 1;
            byte[] options = Option(54, new byte[] { 10, 0, 2, 2 });

            Assert.Equal(DhcpCachedStatus.OtherNic, client.AdoptCachedAck(CachedAck(5, other, options)));
            Assert.Equal(DhcpCachedStatus.NotAck, client.AdoptCachedAck(CachedAck(2, Frames.OurMac, options)));
            byte[] noCookie = CachedAck(5, Frames.OurMac, options);
            noCookie[236] = 0;
            Assert.Equal(DhcpCachedStatus.Malformed, client.AdoptCachedAck(noCookie));
            Assert.Equal(DhcpCachedStatus.Malformed, client.AdoptCachedAck(new byte[100]));
            byte[] truncated = CachedAck(5, Frames.OurMac, new byte[] { 17, 40, (byte)'i' });
            Assert.Equal(DhcpCachedStatus.Malformed, client.AdoptCachedAck(truncated.AsSpan(0, truncated.Length - 1)));
            Assert.Equal(DhcpState.Idle, client.State);
            Assert.True(netif.Address.IsZero);

            client.Start();
            Assert.Single(device.Sent);
        }
    }
}
