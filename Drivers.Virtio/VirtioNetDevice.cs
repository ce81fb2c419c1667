// virtio-net over the legacy PCI transport as a NetDevice (Virtio 1.1 numbering: §5.1 "Network
// Device", §3.1.1 "Driver Requirements: Device Initialization" with its legacy note §3.1.2,
// §2.6.4.3 "Legacy Interface: Message Framing" and the network device's legacy framing rule in
// §5.1.6). Bring-up: reset, ACKNOWLEDGE, DRIVER, accept only VIRTIO_NET_F_MAC and
// VIRTIO_NET_F_STATUS, give queue 0 (receive) and queue 1 (transmit) their rings, read the MAC
// and link status from the device configuration, post the receive buffers, DRIVER_OK. Without VIRTIO_F_ANY_LAYOUT the 10-byte virtio_net_hdr must be a
// descriptor of its own, so every buffer is a two-descriptor chain over one 2048-byte slot:
// [header | frame]. Received frames go to the sink as views into their slot, which is made
// available again only after the sink returns; transmitted frames are copied into a
// preallocated slot after a zeroed header. Nothing is allocated per frame. Everything the device
// writes (used ids, used lengths, the used index) is checked before it is used.
using System;
using Bootstage.Drivers.Net;
using Bootstage.Platform;

namespace Bootstage.Drivers.Virtio
{
    public sealed unsafe class VirtioNetDevice : NetDevice
    {
        public const ushort VendorId = 0x1AF4;

        /// <summary>Transitional virtio-net PCI device id (legacy id 0x1000 = 0x1000 + device type 1 - 1).</summary>
        public const ushort TransitionalDeviceId = 0x1000;

        public const uint FeatureMac = 1u << 5;
        public const uint FeatureStatus = 1u << 16;

        /// <summary>The features this driver understands; everything else the device offers is declined.</summary>
        public const uint SupportedFeatures = FeatureMac | FeatureStatus;

        public const ushort ReceiveQueue = 0;
        public const ushort TransmitQueue = 1;

        /// <summary>Legacy struct virtio_net_hdr without VIRTIO_NET_F_MRG_RXBUF: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset.</summary>
        public const int HeaderSize = 10;

        public const int BufferSize = 2048;
        public const int MaxFrameSize = BufferSize - HeaderSize;
        public const int MinFrameSize = 14;
        public const int MaxReceiveBuffers = 64;
        public const int MaxTransmitSlots = 32;

        // Device configuration (§5.1.4): mac[6], then status (u16) when VIRTIO_NET_F_STATUS.
        public const int ConfigMacOffset = 0;
        public const int ConfigStatusOffset = 6;
        public const ushort LinkUpBit = 1;

        private const int DescriptorsPerBuffer = 2;

        private readonly VirtioPciLegacy _transport;
        private readonly IPlatform _platform;
        private readonly byte[] _name = new byte[15];
        private readonly bool[] _receivePosted = new bool[MaxReceiveBuffers];
        private readonly bool[] _transmitBusy = new bool[MaxTransmitSlots];
        private VirtQueue? _receive;
        private VirtQueue? _transmit;
        private PhysicalRegion _receiveBuffers;
        private PhysicalRegion _transmitBuffers;
        private int _receiveCount;
        private int _transmitCount;
        private uint _deviceFeatures;
        private uint _features;
        private ulong _badUsedEntries;

        public VirtioNetDevice(IPlatform platform, ushort ioBase)
        {
            _platform = platform;
            _transport = new VirtioPciLegacy(platform, ioBase);
            "virtio-net-"u8.CopyTo(_name);
            for (int i = 0; i < 4; i++)
            {
                int nibble = (ioBase >> (12 - 4 * i)) & 0xF;
                _name[11 + i] = (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
            }
        }

        /// <summary>"virtio-net-" and the I/O base in hex, e.g. "virtio-net-c000".</summary>
        public override ReadOnlySpan<byte> Name => _name;

        public VirtioPciLegacy Transport => _transport;

        /// <summary>What the device offered at the last bring-up.</summary>
        public uint DeviceFeatures => _deviceFeatures;

        /// <summary>What the driver accepted (a subset of <see cref="SupportedFeatures"/>).</summary>
        public uint NegotiatedFeatures => _features;

        public ushort ReceiveQueueSize => _receive != null ? _receive.Size : (ushort)0;

        public ushort TransmitQueueSize => _transmit != null ? _transmit.Size : (ushort)0;

        /// <summary>Receive buffers kept available to the device.</summary>
        public int ReceiveBufferCount => _receiveCount;

        public int TransmitSlotCount => _transmitCount;

        /// <summary>The slots received frames live in (frames are views into this region).</summary>
        public PhysicalRegion ReceiveBuffers => _receiveBuffers;

        /// <summary>Used-ring entries naming a chain we had not made available, or a length beyond the buffer; skipped.</summary>
        public ulong BadUsedEntries => _badUsedEntries;

        /// <summary>Used-index overruns on either queue (the device claimed more completions than were outstanding).</summary>
        public ulong UsedOverruns => (_receive != null ? _receive.Overruns : 0) + (_transmit != null ? _transmit.Overruns : 0);

        public override NetStatus Open()
        {
            if (IsOpen)
            {
                return NetStatus.Success;
            }

            NetStatus status = BringUp();
            if (status != NetStatus.Success)
            {
                // Tell the device we gave up; it stops using whatever it was given.
                _transport.AddStatus(VirtioPciLegacy.StatusFailed);
                return status;
            }

            IsOpen = true;
            return NetStatus.Success;
        }

        /// <summary>Resets the device, which forgets the queues; memory is kept for the next Open. Frames in flight are lost.</summary>
        public override void Close()
        {
            if (!IsOpen)
            {
                return;
            }

            IsOpen = false;
            _transport.Reset();
            new Span<bool>(_receivePosted).Clear();
            new Span<bool>(_transmitBusy).Clear();
            SetLink(LinkState.Unknown);
        }

        private NetStatus BringUp()
        {
            if (!_transport.Reset())
            {
                return NetStatus.DeviceError;
            }

            _transport.AddStatus(VirtioPciLegacy.StatusAcknowledge);
            _transport.AddStatus(VirtioPciLegacy.StatusDriver);
            _deviceFeatures = _transport.ReadDeviceFeatures();
            _features = _deviceFeatures & SupportedFeatures;
            _transport.WriteGuestFeatures(_features);

            NetStatus status = SetUpQueue(ReceiveQueue, ref _receive);
            if (status == NetStatus.Success)
            {
                status = SetUpQueue(TransmitQueue, ref _transmit);
            }

            if (status == NetStatus.Success)
            {
                status = AllocateBuffers();
            }

            if (status != NetStatus.Success)
            {
                return status;
            }

            VirtQueue receive = _receive!;
            VirtQueue transmit = _transmit!;
            _receiveCount = Math.Min(MaxReceiveBuffers, receive.Size / DescriptorsPerBuffer);
            _transmitCount = Math.Min(MaxTransmitSlots, transmit.Size / DescriptorsPerBuffer);
            receive.AvailFlags = VirtQueue.AvailNoInterrupt;
            transmit.AvailFlags = VirtQueue.AvailNoInterrupt;

            ReadMac();
            ReadLink();

            // Receive chains never change: header descriptor (device-writable) then frame descriptor.
            for (int i = 0; i < _receiveCount; i++)
            {
                ulong physical = _receiveBuffers.PhysicalAddress + (ulong)i * BufferSize;
                int head = i * DescriptorsPerBuffer;
                receive.SetDescriptor(head, physical, HeaderSize, VirtQueue.DescriptorWrite | VirtQueue.DescriptorNext, (ushort)(head + 1));
                receive.SetDescriptor(head + 1, physical + HeaderSize, MaxFrameSize, VirtQueue.DescriptorWrite, 0);
                _receivePosted[i] = receive.Publish((ushort)head);
            }

            for (int i = 0; i < _transmitCount; i++)
            {
                ulong physical = _transmitBuffers.PhysicalAddress + (ulong)i * BufferSize;
                int head = i * DescriptorsPerBuffer;
                transmit.SetDescriptor(head, physical, HeaderSize, VirtQueue.DescriptorNext, (ushort)(head + 1));
                transmit.SetDescriptor(head + 1, physical + HeaderSize, 0, 0, 0);
                _transmitBusy[i] = false;
            }

            _transport.AddStatus(VirtioPciLegacy.StatusDriverOk);
            if ((_transport.ReadStatus() & VirtioPciLegacy.StatusFailed) != 0)
            {
                return NetStatus.DeviceError;
            }

            _transport.Notify(ReceiveQueue);
            return NetStatus.Success;
        }

        // Selects the queue, checks the size the device fixes, (re)uses rings of that size and hands them over.
        private NetStatus SetUpQueue(ushort index, ref VirtQueue? queue)
        {
            ushort size = _transport.SelectQueue(index);
            if (!VirtQueue.IsValidSize(size) || size < DescriptorsPerBuffer)
            {
                return NetStatus.DeviceError;
            }

            if (queue != null && queue.Size != size)
            {
                queue.Free(_platform);
                queue = null;
            }

            if (queue == null)
            {
                PlatformStatus status = VirtQueue.Create(_platform, index, size, out queue);
                if (status != PlatformStatus.Success)
                {
                    return status == PlatformStatus.OutOfMemory ? NetStatus.NoMemory : NetStatus.DeviceError;
                }
            }
            else
            {
                queue.Clear();
            }

            _transport.WriteQueueAddress(queue!.PageFrame);
            return NetStatus.Success;
        }

        private NetStatus AllocateBuffers()
        {
            if (_receiveBuffers.IsEmpty
                && _platform.AllocatePages(MaxReceiveBuffers * BufferSize / PhysicalRegion.PageSize, out _receiveBuffers) != PlatformStatus.Success)
            {
                return NetStatus.NoMemory;
            }

            if (_transmitBuffers.IsEmpty
                && _platform.AllocatePages(MaxTransmitSlots * BufferSize / PhysicalRegion.PageSize, out _transmitBuffers) != PlatformStatus.Success)
            {
                return NetStatus.NoMemory;
            }

            return NetStatus.Success;
        }

        // The MAC from the configuration when offered; otherwise a locally administered one (02:...).
        private void ReadMac()
        {
            Span<byte> mac = stackalloc byte[MacAddress.Size];
            if ((_features & FeatureMac) != 0)
            {
                for (int i = 0; i < MacAddress.Size; i++)
                {
                    mac[i] = _transport.ReadConfigByte(ConfigMacOffset + i);
                }
            }
            else
            {
                ulong seed = _platform.ReadTimestampCounter();
                mac[0] = 0x02;
                for (int i = 1; i < MacAddress.Size; i++)
                {
                    mac[i] = (byte)(seed >> (8 * i));
                }
            }

            Mac = MacAddress.Read(mac);
        }

        // The link from the status field when VIRTIO_NET_F_STATUS was negotiated; otherwise always up.
        private void ReadLink()
        {
            if ((_features & FeatureStatus) == 0)
            {
                SetLink(LinkState.Up);
                return;
            }

            ushort status = _transport.ReadConfigWord(ConfigStatusOffset);
            SetLink((status & LinkUpBit) != 0 ? LinkState.Up : LinkState.Down);
        }

        public override NetStatus Transmit(ReadOnlySpan<byte> frame)
        {
            if (!IsOpen)
            {
                return NetStatus.NotOpen;
            }

            if (frame.Length > MaxFrameSize || frame.Length < MinFrameSize)
            {
                Statistics.TxErrors++;
                return NetStatus.TooLong;
            }

            ReclaimTransmitted();
            int slot = -1;
            for (int i = 0; i < _transmitCount; i++)
            {
                if (!_transmitBusy[i])
                {
                    slot = i;
                    break;
                }
            }

            if (slot < 0)
            {
                Statistics.TxBusy++;
                return NetStatus.Busy;
            }

            VirtQueue transmit = _transmit!;
            byte* buffer = (byte*)_transmitBuffers.VirtualAddress + slot * BufferSize;
            new Span<byte>(buffer, HeaderSize).Clear();
            frame.CopyTo(new Span<byte>(buffer + HeaderSize, MaxFrameSize));

            int head = slot * DescriptorsPerBuffer;
            ulong physical = _transmitBuffers.PhysicalAddress + (ulong)slot * BufferSize;
            transmit.SetDescriptor(head, physical, HeaderSize, VirtQueue.DescriptorNext, (ushort)(head + 1));
            transmit.SetDescriptor(head + 1, physical + HeaderSize, (uint)frame.Length, 0, 0);
            if (!transmit.Publish((ushort)head))
            {
                Statistics.TxBusy++;
                return NetStatus.Busy;
            }

            _transmitBusy[slot] = true;
            _transport.Notify(TransmitQueue);
            Statistics.TxFrames++;
            Statistics.TxBytes += (ulong)frame.Length;
            return NetStatus.Success;
        }

        public override int Poll(IFrameSink sink, int budget)
        {
            if (!IsOpen)
            {
                return 0;
            }

            ReclaimTransmitted();
            PollLink();

            VirtQueue receive = _receive!;
            byte* buffers = (byte*)_receiveBuffers.VirtualAddress;
            int delivered = 0;
            // Slots go back to the device only after the loop, so within one poll each slot can
            // complete at most once: a second completion naming it is caught as a duplicate.
            for (int taken = 0; delivered < budget && taken < _receiveCount; taken++)
            {
                if (!receive.TryTakeUsed(out uint id, out uint length))
                {
                    break;
                }

                if (!TryOwnedSlot(id, _receivePosted, _receiveCount, out int slot))
                {
                    _badUsedEntries++;
                    Statistics.RxErrors++;
                    continue;
                }

                _receivePosted[slot] = false;
                if (length > BufferSize || length < HeaderSize)
                {
                    _badUsedEntries++;
                    Statistics.RxErrors++;
                }
                else if (length < HeaderSize + MinFrameSize)
                {
                    // Well-formed completion, but no Ethernet frame in it.
                    Statistics.RxErrors++;
                }
                else
                {
                    int frameLength = (int)length - HeaderSize;
                    Statistics.RxFrames++;
                    Statistics.RxBytes += (ulong)frameLength;
                    delivered++;
                    sink.Receive(this, new ReadOnlySpan<byte>(buffers + slot * BufferSize + HeaderSize, frameLength));
                }
            }

            RepostReceiveBuffers();
            return delivered;
        }

        // Every sink call has returned: make each slot we hold available again, then tell the device once.
        private void RepostReceiveBuffers()
        {
            VirtQueue receive = _receive!;
            bool reposted = false;
            for (int slot = 0; slot < _receiveCount; slot++)
            {
                if (!_receivePosted[slot])
                {
                    _receivePosted[slot] = receive.Publish((ushort)(slot * DescriptorsPerBuffer));
                    reposted |= _receivePosted[slot];
                }
            }

            if (reposted)
            {
                _transport.Notify(ReceiveQueue);
            }
        }

        // Frees the slots of frames the device has sent.
        private void ReclaimTransmitted()
        {
            VirtQueue transmit = _transmit!;
            while (transmit.TryTakeUsed(out uint id, out _))
            {
                if (!TryOwnedSlot(id, _transmitBusy, _transmitCount, out int slot))
                {
                    _badUsedEntries++;
                    Statistics.TxErrors++;
                    continue;
                }

                _transmitBusy[slot] = false;
            }
        }

        // A used id is good when it is the head of one of our chains and that chain is with the device.
        private static bool TryOwnedSlot(uint id, bool[] withDevice, int count, out int slot)
        {
            slot = -1;
            if (id % DescriptorsPerBuffer != 0 || id / DescriptorsPerBuffer >= (uint)count)
            {
                return false;
            }

            int candidate = (int)(id / DescriptorsPerBuffer);
            if (!withDevice[candidate])
            {
                return false;
            }

            slot = candidate;
            return true;
        }

        // A configuration change (ISR bit 1) may be a link change: read the status field again.
        private void PollLink()
        {
            if ((_features & FeatureStatus) == 0)
            {
                return;
            }

            if ((_transport.ReadIsr() & VirtioPciLegacy.IsrConfigChange) != 0)
            {
                ReadLink();
            }
        }
    }
}
