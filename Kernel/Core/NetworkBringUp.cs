// Brings the boot NIC onto the network: an interface over the chosen NetDevice, then DHCP
// (unless `ip=` gives a static address: `ip=10.0.2.15 netmask=255.255.255.0 gateway=10.0.2.2
// dns=10.0.2.3`), reporting `@milestone name=dhcp ip=... gw=... dns=... mask=...` with what the
// server sent that a SAN boot uses (root path, initiator IQN).
using System;
using Bootstage.Boot;
using Bootstage.Drivers.Net;
using Bootstage.Kernel.Console;
using Bootstage.Kernel.Hardware;
using Bootstage.Net;
using Bootstage.Net.Dhcp;

namespace Bootstage.Kernel.Core
{
    internal sealed class NetworkBringUp : INetClock
    {
        private readonly Clock _clock;

        private NetworkBringUp(Clock clock)
        {
            _clock = clock;
        }

        public ulong Milliseconds => _clock.Microseconds / 1000;

        /// <summary>
        /// Configures an interface on <paramref name="device"/>; null when no address could be had.
        /// <paramref name="cachedAck"/>: the DHCPACK a PXE ROM received (empty if none), used instead
        /// of asking again when it was for this NIC.
        /// </summary>
        internal static NetInterface Configure(NetDevice device, Clock clock, ulong seed, ReadOnlySpan<byte> cachedAck, out DhcpLease lease)
        {
            lease = null;
            NetworkBringUp time = new NetworkBringUp(clock);
            NetInterface netif = new NetInterface(device, time);
            KernelCommandLine commandLine = new KernelCommandLine(Machine.CommandLine);
            if (commandLine.TryGet("ip"u8, out ReadOnlySpan<byte> ipText))
            {
                return ConfigureStatic(netif, commandLine, ipText);
            }

            DhcpClient dhcp = new DhcpClient(netif, (uint)(seed ^ (seed >> 32)));
            bool cached = !cachedAck.IsEmpty && AdoptCachedAck(dhcp, cachedAck);
            if (!cached)
            {
                dhcp.Start();
                while (!dhcp.IsDone)
                {
                    netif.Poll();
                    dhcp.Poll();
                }
            }

            if (dhcp.State != DhcpState.Bound)
            {
                Log.Milestone("dhcp").Text(" status=failed discovers=").Dec(dhcp.DiscoversSent).Text(" offers=").Dec(dhcp.OffersSeen).End();
                return null;
            }

            lease = dhcp.Lease;
            LogLine line = Log.Milestone("dhcp");
            Address(line, " ip=", lease.Address);
            Address(line, " gw=", lease.Router);
            Address(line, " dns=", lease.Dns);
            Address(line, " mask=", lease.Netmask);
            Address(line, " server=", lease.Server);
            if (!lease.RootPath.IsEmpty)
            {
                line.Text(" root-path=").Ascii(lease.RootPath);
            }

            if (!lease.InitiatorIqn.IsEmpty)
            {
                line.Text(" initiator-iqn=").Ascii(lease.InitiatorIqn);
            }

            line.Text(cached ? " source=pxe-cache" : " source=dhcp").End();
            return netif;
        }

        private static bool AdoptCachedAck(DhcpClient dhcp, ReadOnlySpan<byte> ack)
        {
            DhcpCachedStatus status = dhcp.AdoptCachedAck(ack);
            if (status != DhcpCachedStatus.Adopted)
            {
                Log.Begin(LogLevel.Info).Text("pxe: not using the ROM's DHCP answer (")
                    .Text(status == DhcpCachedStatus.OtherNic ? "it was for another NIC" : status == DhcpCachedStatus.NotAck ? "not an ACK" : "malformed")
                    .Text("); asking again").End();
            }

            return status == DhcpCachedStatus.Adopted;
        }

        private static NetInterface ConfigureStatic(NetInterface netif, KernelCommandLine commandLine, ReadOnlySpan<byte> ipText)
        {
            Ipv4Address netmask = new Ipv4Address(255, 255, 255, 0);
            Ipv4Address gateway = default;
            Ipv4Address dns = default;
            if (!Ipv4Address.TryParse(ipText, out Ipv4Address address)
                || (commandLine.TryGet("netmask"u8, out ReadOnlySpan<byte> text) && !Ipv4Address.TryParse(text, out netmask))
                || (commandLine.TryGet("gateway"u8, out text) && !Ipv4Address.TryParse(text, out gateway))
                || (commandLine.TryGet("dns"u8, out text) && !Ipv4Address.TryParse(text, out dns)))
            {
                Log.Error("ip=, netmask=, gateway= and dns= take dotted-quad IPv4 addresses");
                Log.Milestone("static-ip").Text(" status=invalid").End();
                return null;
            }

            netif.Configure(address, netmask, gateway, dns);
            LogLine line = Log.Milestone("static-ip");
            Address(line, " ip=", address);
            Address(line, " gw=", gateway);
            Address(line, " dns=", dns);
            Address(line, " mask=", netmask);
            line.End();
            return netif;
        }

        private static void Address(LogLine line, string label, Ipv4Address address)
        {
            Span<byte> text = stackalloc byte[15];
            line.Text(label).Ascii(text.Slice(0, address.Format(text)));
        }
    }
}
