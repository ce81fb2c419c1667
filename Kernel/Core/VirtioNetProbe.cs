// The boot-time virtio-net probe (QEMU/KVM): finds the first transitional virtio-net function
// (1af4:1000) among the enumerated PCI devices, turns on its I/O decoding and bus mastering, opens
// the driver on I/O BAR0 and reports the NIC as a milestone. `nettest=arp` then proves both data
// paths against a real peer before any network stack exists: a hand-built ARP request
// (RFC 826: who-has 10.0.2.2 tell 10.0.2.15, QEMU user networking's gateway and guest) goes out,
// and received frames are searched for the gateway's reply until a deadline.
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.Net;
using Bootstage.Drivers.Virtio;
using Bootstage.Kernel.Console;
using Bootstage.Kernel.Hardware;
using Bootstage.Net;
using Bootstage.Platform;

namespace Bootstage.Kernel.Core
{
    internal sealed class VirtioNetProbe : IFrameSink
    {
        internal const ulong ArpTimeoutMicroseconds = 2_000_000;
        internal const ulong ArpRetryMicroseconds = 500_000;

        private const int ArpPacketSize = 28;
        private const ushort ArpHardwareEthernet = 1;
        private const ushort ArpRequest = 1;
        private const ushort ArpReply = 2;

        private static readonly Ipv4Address s_guest = new Ipv4Address(10, 0, 2, 15);
        private static readonly Ipv4Address s_gateway = new Ipv4Address(10, 0, 2, 2);

        private bool _replied;
        private MacAddress _replySender;
        private ulong _otherFrames;

        /// <summary>
        /// Opens the first virtio-net device (at <paramref name="where"/>, which the iBFT publishes);
        /// null when there is none or it failed (reported either way).
        /// </summary>
        internal static VirtioNetDevice Probe(IPlatform platform, PciBus bus, ReadOnlySpan<PciDevice> devices, out PciAddress where)
        {
            where = default;
            for (int i = 0; i < devices.Length; i++)
            {
                PciDevice device = devices[i];
                if (device.VendorId != VirtioNetDevice.VendorId || device.DeviceId != VirtioNetDevice.TransitionalDeviceId)
                {
                    continue;
                }

                PciAddress address = device.Address;
                if (!bus.TryGetIoBar(address, 0, out ushort ioBase))
                {
                    Log.Error("virtio-net: BAR0 is not an assigned I/O BAR; only the legacy transport is supported");
                    Log.Milestone("virtio-net").Text(" status=failed reason=no-io-bar").End();
                    return null;
                }

                ushort command = bus.EnableCommand(address, PciBus.CommandIoSpace | PciBus.CommandBusMaster);
                VirtioNetDevice nic = new VirtioNetDevice(platform, ioBase);
                NetStatus status = nic.Open();
                Log.Begin(LogLevel.Info).Ascii(nic.Name).Text(" pci ").Hex(address.Bus, 2).Char(':').Hex(address.Device, 2)
                    .Char('.').Hex(address.Function).Text(" io=0x").Hex(ioBase, 4).Text(" command=0x").Hex(command, 4)
                    .Text(" features=0x").Hex(nic.DeviceFeatures, 8).Text(" accepted=0x").Hex(nic.NegotiatedFeatures, 8)
                    .Text(" rx-queue=").Dec(nic.ReceiveQueueSize).Text(" tx-queue=").Dec(nic.TransmitQueueSize)
                    .Text(" rx-buffers=").Dec((ulong)nic.ReceiveBufferCount).Text(" tx-slots=").Dec((ulong)nic.TransmitSlotCount).End();
                if (status != NetStatus.Success)
                {
                    Log.Milestone("virtio-net").Text(" status=failed reason=").Dec((ulong)status).End();
                    return null;
                }

                Span<byte> mac = stackalloc byte[MacAddress.TextLength];
                nic.Mac.Format(mac);
                Log.Milestone("virtio-net").Text(" mac=").Ascii(mac)
                    .Text(nic.Link == LinkState.Up ? " link=up" : " link=down").End();
                where = address;
                return nic;
            }

            return null;
        }

        /// <summary>`nettest=arp`: ARP for the slirp gateway and wait for its answer. False on timeout or transmit failure.</summary>
        internal static bool RunArpTest(IPlatform platform, VirtioNetDevice nic, Clock clock)
        {
            VirtioNetProbe probe = new VirtioNetProbe();
            Span<byte> request = stackalloc byte[EtherType.MinimumFrame];
            BuildArpRequest(nic.Mac, request);

            ulong start = clock.Microseconds;
            ulong nextSend = start;
            int sent = 0;
            while (!probe._replied)
            {
                ulong now = clock.Microseconds;
                if (now - start >= ArpTimeoutMicroseconds)
                {
                    break;
                }

                if (now >= nextSend)
                {
                    NetStatus status = nic.Transmit(request);
                    if (status == NetStatus.Success)
                    {
                        sent++;
                    }
                    else if (status != NetStatus.Busy)
                    {
                        Log.Milestone("arp-test").Text(" result=tx-failed status=").Dec((ulong)status).End();
                        return false;
                    }

                    nextSend = now + ArpRetryMicroseconds;
                }

                if (nic.Poll(probe, 16) == 0)
                {
                    platform.Pause();
                }
            }

            ulong elapsed = clock.Microseconds - start;
            ref NetDeviceStatistics stats = ref nic.Statistics;
            LogLine line = Log.Milestone("arp-test");
            if (probe._replied)
            {
                Span<byte> mac = stackalloc byte[MacAddress.TextLength];
                probe._replySender.Format(mac);
                line.Text(" result=reply mac=").Ascii(mac);
            }
            else
            {
                line.Text(" result=timeout");
            }

            line.Text(" requests=").Dec((ulong)sent).Text(" elapsed-us=").Dec(elapsed)
                .Text(" rx-frames=").Dec(stats.RxFrames).Text(" tx-frames=").Dec(stats.TxFrames)
                .Text(" other-frames=").Dec(probe._otherFrames).Text(" rx-errors=").Dec(stats.RxErrors)
                .Text(" bad-used=").Dec(nic.BadUsedEntries).End();
            return probe._replied;
        }

        // Broadcast ARP request, padded with zeros to the 60-byte Ethernet minimum.
        private static void BuildArpRequest(MacAddress source, Span<byte> frame)
        {
            frame.Clear();
            frame.Slice(EtherType.DestinationOffset, MacAddress.Size).Fill(0xFF);
            source.Write(frame.Slice(EtherType.SourceOffset));
            BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(EtherType.TypeOffset), EtherType.Arp);

            Span<byte> arp = frame.Slice(EtherType.HeaderSize, ArpPacketSize);
            BinaryPrimitives.WriteUInt16BigEndian(arp, ArpHardwareEthernet);
            BinaryPrimitives.WriteUInt16BigEndian(arp.Slice(2), EtherType.Ipv4);
            arp[4] = MacAddress.Size;
            arp[5] = Ipv4Address.Size;
            BinaryPrimitives.WriteUInt16BigEndian(arp.Slice(6), ArpRequest);
            source.Write(arp.Slice(8));
            s_guest.Write(arp.Slice(14));
            // Target hardware address (18..23) stays zero: that is the question.
            s_gateway.Write(arp.Slice(24));
        }

        public void Receive(NetDevice device, ReadOnlySpan<byte> frame)
        {
            if (frame.Length < EtherType.HeaderSize + ArpPacketSize
                || BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(EtherType.TypeOffset)) != EtherType.Arp)
            {
                _otherFrames++;
                return;
            }

            ReadOnlySpan<byte> arp = frame.Slice(EtherType.HeaderSize, ArpPacketSize);
            if (BinaryPrimitives.ReadUInt16BigEndian(arp) != ArpHardwareEthernet
                || BinaryPrimitives.ReadUInt16BigEndian(arp.Slice(2)) != EtherType.Ipv4
                || arp[4] != MacAddress.Size || arp[5] != Ipv4Address.Size
                || BinaryPrimitives.ReadUInt16BigEndian(arp.Slice(6)) != ArpReply
                || Ipv4Address.Read(arp.Slice(14)) != s_gateway
                || Ipv4Address.Read(arp.Slice(24)) != s_guest)
            {
                _otherFrames++;
                return;
            }

            _replySender = MacAddress.Read(arp.Slice(8));
            _replied = true;
        }
    }
}
