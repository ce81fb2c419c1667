// What an iSCSI Boot Firmware Table (iBFT, table revision 1, as laid down by IBM/Microsoft's
// "iSCSI Boot Firmware Table (iBFT) as Defined in ACPI 3.0b Specification") says about one boot:
// the initiator's name, the boot NIC with its IPv4 configuration, and the one target with its
// LUN and CHAP credentials. It is a plain carrier filled in once the SAN login has succeeded;
// IbftTable turns it into bytes. Text fields are ASCII without a terminating NUL, and an empty
// array means "absent". Addresses are IPv4 only (the stack is IPv4-only); a zero address is
// written as absent.
using System;
using Bootstage.Net;

namespace Bootstage.Boot.Ibft
{
    public sealed class IbftDescription
    {
        /// <summary>ACPI OEM ID, at most 6 bytes; shorter values are padded with NULs.</summary>
        public byte[] OemId = new byte[] { (byte)'B', (byte)'S', (byte)'T', (byte)'A', (byte)'G', (byte)'E' };

        /// <summary>ACPI OEM table ID, at most 8 bytes; shorter values are padded with NULs.</summary>
        public byte[] OemTableId = new byte[] { (byte)'B', (byte)'O', (byte)'O', (byte)'T', (byte)'S', (byte)'T', (byte)'G', (byte)'E' };

        /// <summary>The initiator IQN the session logged in with (required).</summary>
        public byte[] InitiatorName = new byte[0];

        /// <summary>The boot NIC's MAC address: exactly 6 bytes.</summary>
        public byte[] Mac = new byte[0];

        /// <summary>The boot NIC's own address (required).</summary>
        public Ipv4Address Ip;

        /// <summary>Subnet mask as a prefix length, 0 to 32 (0 means unknown).</summary>
        public byte PrefixLength;

        public Ipv4Address Gateway;
        public Ipv4Address PrimaryDns;
        public Ipv4Address SecondaryDns;
        public Ipv4Address DhcpServer;

        /// <summary>True when the address came from DHCP, false when it was configured statically.</summary>
        public bool FromDhcp;

        /// <summary>VLAN ID of the boot NIC; 0 when untagged.</summary>
        public ushort Vlan;

        /// <summary>PCI location of the NIC; all zero for a NIC that is not on PCI (a VMBus netvsc).</summary>
        public byte PciBus;

        /// <summary>PCI device number, 0 to 31.</summary>
        public byte PciDevice;

        /// <summary>PCI function number, 0 to 7.</summary>
        public byte PciFunction;

        /// <summary>Optional host name of this machine.</summary>
        public byte[] HostName = new byte[0];

        /// <summary>The target portal's address and TCP port (both required).</summary>
        public Ipv4Address TargetIp;
        public ushort TargetPort = 3260;

        /// <summary>
        /// The boot LUN as <see cref="Bootstage.Boot.Iscsi.IscsiRootPath.LunValue"/> holds it: the 8-byte
        /// SAM LUN read as one big-endian number, so LUN 1 is 0x0001_0000_0000_0000.
        /// </summary>
        public ulong Lun;

        /// <summary>The target IQN (required).</summary>
        public byte[] TargetName = new byte[0];

        /// <summary>One-way CHAP: the name and secret the initiator proved itself with; both or neither.</summary>
        public byte[] ChapName = new byte[0];
        public byte[] ChapSecret = new byte[0];

        /// <summary>Mutual CHAP: the name and secret the target proved itself with; both or neither, and only with one-way CHAP.</summary>
        public byte[] ReverseChapName = new byte[0];
        public byte[] ReverseChapSecret = new byte[0];
    }
}
