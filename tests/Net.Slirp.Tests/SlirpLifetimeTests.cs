// SlirpNetwork's resources: timers libslirp creates through timer_new (IPv6 router advertisements,
// driven here by a virtual clock) are fired from Poll and freed by slirp_cleanup; Dispose closes the
// host sockets slirp opened; create/dispose in a loop leaks neither timers nor descriptors; a
// disposed network refuses calls. Follows libslirp.h 4.7.0 (timer_new/timer_mod/timer_free).
using System;
using System.IO;
using System.Net;
using System.Net.Sockets;

namespace Bootstage.Net.Slirp.Tests
{
    [Collection(SlirpCollection.Name)]
    public class SlirpLifetimeTests
    {
        private static readonly byte[] Gateway = Packets.Ip("10.0.2.2");

        private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;

        [Fact]
        public void Timers_are_created_fired_from_poll_on_the_virtual_clock_and_freed_by_dispose()
        {
            long now = 10_000_000_000L;
            SlirpNetwork network = new SlirpNetwork(new SlirpOptions { EnableIpv6 = true, ClockNs = () => now });
            try
            {
                Assert.True(network.TimersCreated >= 1, "libslirp creates its router-advertisement timer with IPv6 on");
                Assert.Equal(network.TimersCreated, network.ActiveTimers);
                network.Poll(0);
                long firedBefore = network.TimersFired;
                long framesBefore = network.FramesToGuest;

                // An hour of virtual time later every armed timer is due.
                now += 3_600_000_000_000L;
                network.Poll(0);
                Assert.True(network.TimersFired > firedBefore, "a due timer fired");
                Assert.True(network.FramesToGuest > framesBefore, "the router advertisement went to the guest");
                byte[] buffer = new byte[network.MaxFrameSize];
                bool sawIpv6 = false;
                while (network.TryTakeToGuest(buffer, out int length))
                {
                    sawIpv6 |= new Parsed(buffer.AsSpan(0, length).ToArray()).EtherType == EtherTypes.Ipv6;
                }

                Assert.True(sawIpv6, "an IPv6 frame (the router advertisement) was queued");
            }
            finally
            {
                network.Dispose();
            }

            Assert.Equal(0, network.ActiveTimers);
            Assert.Equal(network.TimersCreated, network.TimersFreed);
            Assert.Equal(0, network.TimersLeakedAtCleanup);
        }

        [Fact]
        public void Without_ipv6_no_timer_fires_and_none_is_left_after_dispose()
        {
            long now = 10_000_000_000L;
            SlirpNetwork network = new SlirpNetwork(new SlirpOptions { ClockNs = () => now });
            now += 3_600_000_000_000L;
            network.Poll(0);
            network.Dispose();
            Assert.Equal(0, network.ActiveTimers);
            Assert.Equal(network.TimersCreated, network.TimersFreed);
            Assert.Equal(0, network.TimersLeakedAtCleanup);
        }

        [Fact]
        public void Dispose_closes_the_host_sockets_slirp_opened()
        {
            TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                ushort port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
                SlirpNetwork network = new SlirpNetwork();
                TestGuest guest = new TestGuest(network);
                guest.Send(Packets.ArpRequest(guest.Mac, guest.Ip, Gateway));
                byte[] gatewayMac = guest.WaitFor(f => f.IsArp && f.ArpOperation == 2, "the gateway's ARP reply").ArpSenderMac;
                guest.Send(Packets.Ethernet(gatewayMac, guest.Mac, EtherTypes.Ipv4,
                    Packets.Tcp(guest.Ip, Gateway, 50000, port, 7, 0, TcpFlags.Syn, default, mss: 1460)));
                guest.WaitFor(f => f.IsTcp && (f.Flags & TcpFlags.Syn) != 0, "a SYN-ACK");
                guest.PollUntil(() => listener.Pending(), "the listener to see the connection");
                using Socket host = listener.AcceptSocket();
                Assert.True(network.RegisteredSockets >= 1 || network.LastPollFdCount >= 1, "slirp holds a socket for the connection");

                network.Dispose();
                Assert.Equal(0, network.RegisteredSockets);
                host.ReceiveTimeout = 5000;
                byte[] buffer = new byte[16];
                int read;
                try
                {
                    read = host.Receive(buffer);
                }
                catch (SocketException error) when (error.SocketErrorCode == SocketError.ConnectionReset)
                {
                    read = 0;
                }

                Assert.Equal(0, read);
            }
            finally
            {
                listener.Stop();
            }
        }

        [Fact]
        public void Repeated_create_and_dispose_leaks_neither_timers_nor_descriptors()
        {
            // Warm up (first P/Invoke binding, lazily opened descriptors) before counting.
            using (SlirpNetwork warm = new SlirpNetwork(new SlirpOptions { EnableIpv6 = true }))
            {
                warm.Poll(0);
            }

            int descriptors = OpenDescriptors();
            long created = 0;
            for (int i = 0; i < 200; i++)
            {
                SlirpNetwork network = new SlirpNetwork(new SlirpOptions { EnableIpv6 = i % 2 == 0 });
                TestGuest guest = new TestGuest(network);
                guest.Send(Packets.ArpRequest(guest.Mac, guest.Ip, Gateway));
                network.Poll(0);
                guest.Drain();
                network.Dispose();
                Assert.True(network.IsDisposed);
                Assert.Equal(0, network.ActiveTimers);
                Assert.Equal(network.TimersCreated, network.TimersFreed);
                Assert.Equal(0, network.TimersLeakedAtCleanup);
                created += network.TimersCreated;
            }

            Assert.True(created >= 100, $"timers were created ({created}), so freeing them was exercised");
            int after = OpenDescriptors();
            Assert.True(after <= descriptors + 4, $"descriptors grew from {descriptors} to {after}");
        }

        [Fact]
        public void A_disposed_network_refuses_calls_and_disposes_again_quietly()
        {
            SlirpNetwork network = new SlirpNetwork();
            network.Dispose();
            network.Dispose();
            Assert.Throws<ObjectDisposedException>(() => network.Send(new byte[60]));
            Assert.Throws<ObjectDisposedException>(() => network.Poll(0));
            Assert.Throws<ObjectDisposedException>(() => network.TryTakeToGuest(new byte[1514], out _));
        }

        [Fact]
        public void A_network_never_disposed_is_cleaned_up_by_the_finalizer_without_crashing()
        {
            static void Abandon()
            {
                SlirpNetwork network = new SlirpNetwork(new SlirpOptions { EnableIpv6 = true });
                network.Poll(0);
            }

            for (int i = 0; i < 20; i++)
            {
                Abandon();
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }
    }
}
