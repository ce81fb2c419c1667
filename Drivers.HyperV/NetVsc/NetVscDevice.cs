// The Hyper-V synthetic NIC (netvsc) as a NetDevice: NetVSP over a VMBus channel carries RNDIS
// (docs/hyperv.md §9–10; Linux's hyperv_net split of netvsc/rndis as the model).
// Bring-up: open the channel, negotiate NVSP, announce the NDIS version, hand the host a receive
// buffer through a GPADL, then RNDIS initialise, read the MAC and link state, set the filter.
// Transmit copies a frame after an RNDIS PACKET header into a preallocated slot and sends it
// GPA-direct; receive hands frames to the sink as views into the receive buffer. This file holds
// the lifecycle and NVSP transactions; RNDIS control and the data paths are in the partial files.
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.Drivers.Net;
using Bootstage.Platform;

namespace Bootstage.Drivers.HyperV.NetVsc
{
    public sealed unsafe partial class NetVscDevice : NetDevice
    {
        public const uint RingPages = 16;
        public const uint ReceiveBufferPages = 128;
        public const ushort ReceiveBufferId = 0xCAFE;
        public const int TransmitSlots = 32;
        public const int TransmitSlotSize = 2048;

        /// <summary>1 s per NVSP or RNDIS transaction, as iPXE allows.</summary>
        public const ulong TransactionTimeout100ns = 10_000_000;

        private const ulong NvspTransactionId = 0x4E565350; // "NVSP"
        private const uint EthernetHeaderSize = 14;
        private const ulong TransmitTransactionBase = 0x54580000;

        private readonly VmBusDevice _device;
        private readonly IPlatform _platform;
        private readonly byte[] _name = new byte[7 + VmBusGuid.TextLength];
        private readonly byte[] _nvsp = new byte[NvspMessage.Size];
        private readonly byte[] _completion = new byte[64];
        private readonly bool[] _slotBusy = new bool[TransmitSlots];
        private PhysicalRegion _receiveBuffer;
        private PhysicalRegion _transmitBuffer;
        private PhysicalRegion _controlBuffer;
        private uint _receiveGpadl;
        private uint _nvspVersion;
        private bool _awaitingNvsp;
        private bool _nvspDone;
        private int _completionLength;
        private ulong _resets;
        private bool _macChangedOnReset;
        private bool _receiveBufferSent;
        private NetVscStep _step;
        private NetVscStep _failedStep;

        public NetVscDevice(VmBusDevice device)
        {
            _device = device;
            _platform = device.Connection.Hypervisor.Platform;
            "netvsc-"u8.CopyTo(_name);
            device.Offer.InstanceId.Format(_name.AsSpan(7));
        }

        public override ReadOnlySpan<byte> Name => _name;

        public VmBusDevice VmBusDevice => _device;

        public uint NvspVersion => _nvspVersion;

        /// <summary>The receive buffer the host writes into; received frames are views into it.</summary>
        public PhysicalRegion ReceiveBuffer => _receiveBuffer;

        public ulong Resets => _resets;

        /// <summary>The step the last bring-up failed at; None after a successful one.</summary>
        public NetVscStep FailedStep => _failedStep;

        /// <summary>Set when a reset found a different MAC than before (the device object keeps the old one).</summary>
        public bool MacChangedOnReset => _macChangedOnReset;

        public override NetStatus Open()
        {
            if (IsOpen)
            {
                return NetStatus.Success;
            }

            NetStatus status = BringUp(isReset: false);
            IsOpen = status == NetStatus.Success;
            return status;
        }

        /// <summary>Re-opens after a reclaim: same pages, new channel and GPADLs, same MAC, filter and statistics.</summary>
        public NetStatus Reset()
        {
            _resets++;
            if (!IsOpen)
            {
                return NetStatus.Success;
            }

            for (int i = 0; i < TransmitSlots; i++)
            {
                // Frames in flight were lost with the old channel; their slots are free again.
                if (_slotBusy[i])
                {
                    _slotBusy[i] = false;
                    Statistics.TxErrors++;
                }
            }

            NetStatus status = BringUp(isReset: true);
            IsOpen = status == NetStatus.Success;
            return status;
        }

        // Each step records itself in _step first, so a failure names it; whatever the failed
        // attempt acquired is handed back before returning (Unwind).
        private NetStatus BringUp(bool isReset)
        {
            _failedStep = NetVscStep.None;
            _step = NetVscStep.AllocateBuffers;
            if (_receiveBuffer.IsEmpty && !AllocateBuffers())
            {
                return Fail(NetStatus.NoMemory, isReset);
            }

            _step = NetVscStep.OpenChannel;
            if (_device.Channel.Open(RingPages, RingPages, default) != HvStatus.Success)
            {
                return Fail(NetStatus.DeviceError, isReset);
            }

            NetStatus status = NegotiateNvsp();
            if (status == NetStatus.Success)
            {
                status = SendReceiveBuffer();
            }

            if (status == NetStatus.Success)
            {
                status = InitializeRndis(isReset);
            }

            return status == NetStatus.Success ? status : Fail(status, isReset);
        }

        private bool AllocateBuffers()
        {
            return _platform.AllocatePages(ReceiveBufferPages, out _receiveBuffer) == PlatformStatus.Success
                && _platform.AllocatePages(TransmitSlots * TransmitSlotSize / PhysicalRegion.PageSize, out _transmitBuffer) == PlatformStatus.Success
                && _platform.AllocatePages(1, out _controlBuffer) == PlatformStatus.Success;
        }

        private NetStatus Fail(NetStatus status, bool isReset)
        {
            _failedStep = _step;
            Unwind(releasePages: !isReset);
            return status;
        }

        // Hands back what a bring-up (or a session) holds, newest first: the receive buffer
        // (revoked, then its GPADL torn down), the channel (closed, ring GPADL torn down) and, for
        // a device that never came up, its pages. A reset keeps the pages: upper layers hold
        // the device, and the next reset reuses them.
        private void Unwind(bool releasePages)
        {
            if (_receiveBufferSent)
            {
                BuildNvsp(NvspMessage.RevokeReceiveBuffer);
                BinaryPrimitives.WriteUInt16LittleEndian(_nvsp.AsSpan(4), ReceiveBufferId);
                NvspTransaction();
                _receiveBufferSent = false;
            }

            if (_receiveGpadl != 0)
            {
                _device.Connection.TeardownGpadl(_device.Offer.RelId, _receiveGpadl);
                _receiveGpadl = 0;
            }

            _device.Channel.Close();
            if (releasePages)
            {
                _device.Channel.ReleaseRings();
                Free(ref _receiveBuffer);
                Free(ref _transmitBuffer);
                Free(ref _controlBuffer);
            }
        }

        private void Free(ref PhysicalRegion region)
        {
            if (!region.IsEmpty)
            {
                _platform.FreePages(region);
                region = default;
            }
        }

        /// <summary>The offer is gone (rescind, or absent after a reclaim): stop using the channel.</summary>
        public void MarkRemoved()
        {
            IsOpen = false;
            SetLink(LinkState.Down);
        }

        public override void Close()
        {
            if (!IsOpen)
            {
                return;
            }

            IsOpen = false;
            HaltRndis();

            // Revoke, tear the receive-buffer GPADL down, then close the channel (Linux's order
            // for hosts before VMBus 4.0, which we always are at 0.13). Pages stay for a re-open.
            Unwind(releasePages: false);
            SetLink(LinkState.Unknown);
        }

        // INIT with each version we know, newest first, until the host accepts one.
        private NetStatus NegotiateNvsp()
        {
            _step = NetVscStep.NegotiateNvsp;
            _nvspVersion = 0;
            uint version = 0;
            for (int attempt = 0; attempt < 4 && _nvspVersion == 0; attempt++)
            {
                version = attempt == 0 ? NvspMessage.Version5 : attempt == 1 ? NvspMessage.Version4 : attempt == 2 ? NvspMessage.Version2 : NvspMessage.Version1;
                BuildNvsp(NvspMessage.Init);
                BinaryPrimitives.WriteUInt32LittleEndian(_nvsp.AsSpan(4), version);
                BinaryPrimitives.WriteUInt32LittleEndian(_nvsp.AsSpan(8), version);
                NetStatus status = NvspTransaction();
                if (status != NetStatus.Success)
                {
                    return status;
                }

                if (_completionLength >= 16 && BinaryPrimitives.ReadUInt32LittleEndian(_completion) == NvspMessage.InitComplete
                    && BinaryPrimitives.ReadUInt32LittleEndian(_completion.AsSpan(12)) == NvspMessage.StatusSuccess)
                {
                    _nvspVersion = version;
                }
            }

            if (_nvspVersion == 0)
            {
                return NetStatus.ProtocolError;
            }

            _step = NetVscStep.NdisConfig;
            if (_nvspVersion >= NvspMessage.Version2)
            {
                NetStatus config = SendNdisConfig();
                if (config != NetStatus.Success)
                {
                    return config;
                }
            }

            // NDIS 6.30 with NVSP 5 and later, 6.1 before (what Windows hosts expect of Linux and iPXE).
            _step = NetVscStep.NdisVersion;
            BuildNvsp(NvspMessage.SendNdisVersion);
            BinaryPrimitives.WriteUInt32LittleEndian(_nvsp.AsSpan(4), 6);
            BinaryPrimitives.WriteUInt32LittleEndian(_nvsp.AsSpan(8), _nvspVersion >= NvspMessage.Version5 ? 30u : 1u);
            return NvspTransaction();
        }

        // NVSP 2 and later: the host wants the frame MTU (payload plus Ethernet header) and our
        // capabilities (none: no VLAN tagging, SR-IOV or teaming) before the NDIS version
        // (docs/hyperv.md §9). Sent without a completion request, as Linux does; ring order keeps
        // it ahead of SEND_NDIS_VER.
        private NetStatus SendNdisConfig()
        {
            BuildNvsp(NvspMessage.SendNdisConfig);
            BinaryPrimitives.WriteUInt32LittleEndian(_nvsp.AsSpan(4), (uint)Mtu + EthernetHeaderSize);
            BinaryPrimitives.WriteUInt64LittleEndian(_nvsp.AsSpan(12), 0);
            return _device.Channel.SendInband(_nvsp, NvspTransactionId, requestCompletion: false) == HvStatus.Success
                ? NetStatus.Success
                : NetStatus.DeviceError;
        }

        private NetStatus SendReceiveBuffer()
        {
            _step = NetVscStep.ReceiveBufferGpadl;
            if (_device.Connection.EstablishGpadl(_device.Offer.RelId, _receiveBuffer, out _receiveGpadl) != HvStatus.Success)
            {
                _receiveGpadl = 0;
                return NetStatus.DeviceError;
            }

            _step = NetVscStep.ReceiveBuffer;
            BuildNvsp(NvspMessage.SendReceiveBuffer);
            BinaryPrimitives.WriteUInt32LittleEndian(_nvsp.AsSpan(4), _receiveGpadl);
            BinaryPrimitives.WriteUInt16LittleEndian(_nvsp.AsSpan(8), ReceiveBufferId);
            NetStatus status = NvspTransaction();
            if (status != NetStatus.Success)
            {
                return status;
            }

            if (_completionLength < 8 || BinaryPrimitives.ReadUInt32LittleEndian(_completion) != NvspMessage.SendReceiveBufferComplete
                || BinaryPrimitives.ReadUInt32LittleEndian(_completion.AsSpan(4)) != NvspMessage.StatusSuccess)
            {
                return NetStatus.ProtocolError;
            }

            _receiveBufferSent = true;
            return NetStatus.Success;
        }

        private void BuildNvsp(uint type)
        {
            new Span<byte>(_nvsp).Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(_nvsp, type);
        }

        // Sends _nvsp inband asking for a completion and waits for it; its payload lands in _completion.
        private NetStatus NvspTransaction()
        {
            _awaitingNvsp = true;
            _nvspDone = false;
            if (_device.Channel.SendInband(_nvsp, NvspTransactionId, requestCompletion: true) != HvStatus.Success)
            {
                _awaitingNvsp = false;
                return NetStatus.DeviceError;
            }

            NetStatus status = WaitUntil(ref _nvspDone);
            _awaitingNvsp = false;
            return status;
        }

        // Processes the channel (without a frame sink) until the flag is set or the timeout passes.
        private NetStatus WaitUntil(ref bool done)
        {
            HvHypervisor hypervisor = _device.Connection.Hypervisor;
            ulong start = hypervisor.ReferenceTime;
            while (!done)
            {
                if (ProcessPacket(null) == 0)
                {
                    if (hypervisor.ReferenceTime - start >= TransactionTimeout100ns)
                    {
                        return NetStatus.Timeout;
                    }

                    _platform.Pause();
                }
            }

            return NetStatus.Success;
        }
    }
}
