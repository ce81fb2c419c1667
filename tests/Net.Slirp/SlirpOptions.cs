// Settings of a SlirpNetwork: the SlirpConfig fields (libslirp.h, libslirp 4.7.0) a test may want to
// change, with QEMU user-mode networking's usual addresses as defaults, plus the managed side's queue
// size and clock.
using System;
using System.Net;

namespace Bootstage.Net.Slirp
{
    public sealed class SlirpOptions
    {
        /// <summary>vnetwork: 10.0.2.0.</summary>
        public IPAddress Network { get; init; } = IPAddress.Parse("10.0.2.0");

        /// <summary>vnetmask: 255.255.255.0.</summary>
        public IPAddress Netmask { get; init; } = IPAddress.Parse("255.255.255.0");

        /// <summary>vhost: slirp's own address, the gateway; connections to it reach the host's 127.0.0.1.</summary>
        public IPAddress Host { get; init; } = IPAddress.Parse("10.0.2.2");

        /// <summary>vdhcp_start: the first address the DHCP server hands out.</summary>
        public IPAddress DhcpStart { get; init; } = IPAddress.Parse("10.0.2.15");

        /// <summary>vnameserver: the DNS forwarder's address.</summary>
        public IPAddress Nameserver { get; init; } = IPAddress.Parse("10.0.2.3");

        /// <summary>restricted: isolate the guest from the host (false: NAT to host sockets works).</summary>
        public bool Restricted { get; init; }

        /// <summary>in6_enabled with prefix fec0::/64, host fec0::2, nameserver fec0::3. Off by default.</summary>
        public bool EnableIpv6 { get; init; }

        /// <summary>if_mtu and if_mru; frames to the guest are at most 14 + this many bytes.</summary>
        public int Mtu { get; init; } = 1500;

        /// <summary>tftp_path: directory the built-in TFTP server serves (null: no TFTP).</summary>
        public string? TftpPath { get; init; }

        /// <summary>bootfile: the DHCP boot file name (null: none).</summary>
        public string? BootFile { get; init; }

        /// <summary>Frames the to-guest queue holds; more are dropped and counted.</summary>
        public int QueueCapacity { get; init; } = 256;

        /// <summary>clock_get_ns: nanoseconds of a monotonic clock. Null: real time since the network was created.</summary>
        public Func<long>? ClockNs { get; init; }
    }
}
