// The host side of Hyper-V's synthetic NIC: a netvsc backend behind one VMBus channel of the host
// model (docs/hyperv.md §8–10). This part holds construction, the
// state tests read, and NVSP: version negotiation, the NDIS version, receive/send buffer registration
// and revocation, and SEND_RNDIS_PKT. Every INBAND or GPA_DIRECT packet that asks for a completion
// gets a COMP with its transaction id (§8). The RNDIS device is in NetVscBackend.Rndis.cs, the
// path to the guest (transfer-page packets into its receive buffer) in NetVscBackend.Receive.cs.
// Whatever the guest sends is checked; a bad value is counted and refused, never thrown.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace Bootstage.HyperV.HostModel
{
    public sealed partial class NetVscBackend : IHostDevice
    {
        /// <summary>INIT_COMPLETE max_mdl_chain_len (no public source gives a value; guests ignore it).</summary>
        public const uint MaxMdlChainLength = 32;

        private readonly HyperVHost _host;
        private readonly uint[] _versions;
        private readonly List<uint> _nvspMessages = new();
        private readonly List<string> _violations = new();
        private byte[] _mac;
        private HostChannel? _channel;
        private uint _sendGpadl;
        private uint _sendSections;

        /// <summary>A backend for one channel of <paramref name="host"/>; frames the guest sends go to <paramref name="endpoint"/>.</summary>
        public NetVscBackend(HyperVHost host, IL2Endpoint? endpoint = null, NetVscOptions? options = null)
        {
            _host = host ?? throw new ArgumentNullException(nameof(host));
            Endpoint = endpoint ?? new FrameRecorder();
            Options = options ?? new NetVscOptions();
            if (Options.ReceiveSubAllocationSize == 0 || Options.MaxMessagesPerPacket < 1 || Options.SendSectionSize == 0)
            {
                throw new ArgumentException("Sub-allocation size, send section size and messages per packet must be positive.", nameof(options));
            }

            _versions = new uint[Options.NvspVersions.Count];
            for (int i = 0; i < _versions.Length; i++)
            {
                _versions[i] = Options.NvspVersions[i];
            }

            _mac = Options.MacAddress != null ? CheckMac(Options.MacAddress) : RandomMac();
            EmitMalformedStatus = Options.EmitMalformedStatus ?? HostProfiles.MiscountsStatusLength(host.Profile);
            LinkUp = Options.LinkUp;
        }

        public IL2Endpoint Endpoint { get; }

        public NetVscOptions Options { get; }

        public NetVscCounters Counters { get; } = new();

        /// <summary>NVSP versions INIT accepts.</summary>
        public IReadOnlyList<uint> SupportedNvspVersions => _versions;

        /// <summary>The permanent and current MAC address (a copy); setting it changes what later queries return.</summary>
        public byte[] MacAddress
        {
            get => (byte[])_mac.Clone();
            set => _mac = CheckMac(value);
        }

        /// <summary>Send INDICATE_STATUS 0x40020006 with a short MessageLength right after each INIT_CMPLT (WS2012R2, §10).</summary>
        public bool EmitMalformedStatus { get; set; }

        /// <summary>Link state: what OID_GEN_MEDIA_CONNECT_STATUS reports. Change it with <see cref="SetLink"/>.</summary>
        public bool LinkUp { get; private set; }

        /// <summary>The channel while it is open.</summary>
        public HostChannel? Channel => _channel;

        /// <summary>The NVSP version INIT settled on; 0 before a successful INIT.</summary>
        public uint NegotiatedNvspVersion { get; private set; }

        /// <summary>The NDIS version from SEND_NDIS_VER, if the guest sent one.</summary>
        public (uint Major, uint Minor)? NdisVersion { get; private set; }

        /// <summary>SEND_NDIS_CONFIG {mtu, capabilities} as the guest sent it (NVSP 2 and later); null before.</summary>
        public (uint Mtu, ulong Capabilities)? NdisConfig { get; private set; }

        public bool ReceiveBufferRegistered { get; private set; }

        /// <summary>The guest revoked its receive buffer (cleared when it registers a new one or the channel reopens).</summary>
        public bool ReceiveBufferRevoked { get; private set; }

        public uint ReceiveBufferGpadl { get; private set; }

        public ushort ReceiveBufferId { get; private set; }

        /// <summary>Sub-allocations the registered receive buffer holds (num_sub_allocs in SEND_RECV_BUF_COMPLETE).</summary>
        public int ReceiveSubAllocationCount => _slots?.Count ?? 0;

        public bool SendBufferRegistered { get; private set; }

        public ushort SendBufferId { get; private set; }

        /// <summary>NVSP message types the guest sent, in order, across opens (INBAND and GPA_DIRECT; not COMPs).</summary>
        public IReadOnlyList<uint> NvspMessagesReceived => _nvspMessages;

        /// <summary>What each counted protocol violation was, in order.</summary>
        public IReadOnlyList<string> Violations => _violations;

        void IHostDevice.OnOpen(HostChannel channel)
        {
            _channel = channel;
            ResetSession();
        }

        void IHostDevice.OnClose(HostChannel channel)
        {
            if (channel == _channel)
            {
                ResetSession();
                _channel = null;
            }
        }

        bool IHostDevice.OnPacket(HostChannel channel, GuestPacket packet)
        {
            switch (packet.Type)
            {
                case VmBusPacketType.Completion:
                    OnGuestCompletion(packet);
                    break;
                case VmBusPacketType.DataInband:
                case VmBusPacketType.DataUsingGpaDirect:
                    OnNvspPacket(channel, packet);
                    break;
                case VmBusPacketType.CancelRequest:
                    // Sent by guests on close (§8); nothing of ours to cancel.
                    break;
                default:
                    Violation($"unexpected {packet.Type} packet (transaction {packet.TransactionId})");
                    if (packet.CompletionRequested)
                    {
                        channel.SendCompletion(packet.TransactionId);
                    }

                    break;
            }

            FlushReceive(channel);
            return true;
        }

        void IHostDevice.OnPoll(HostChannel channel) => FlushReceive(channel);

        private void OnNvspPacket(HostChannel channel, GuestPacket packet)
        {
            ReadOnlySpan<byte> message = packet.Payload;
            byte[]? reply;
            if (message.Length < 4)
            {
                Violation($"NVSP message of {message.Length} bytes (transaction {packet.TransactionId})");
                reply = null;
            }
            else
            {
                uint type = U32(message, 0);
                _nvspMessages.Add(type);
                if (packet.Type == VmBusPacketType.DataUsingGpaDirect && type != NvspProtocol.SendRndisPacket)
                {
                    Violation($"NVSP type {type} in a GPA_DIRECT packet");
                }

                reply = HandleNvsp(channel, packet, type, message);
            }

            if (packet.CompletionRequested)
            {
                channel.SendCompletion(packet.TransactionId, reply ?? ReadOnlySpan<byte>.Empty);
            }
        }

        private byte[]? HandleNvsp(HostChannel channel, GuestPacket packet, uint type, ReadOnlySpan<byte> message)
        {
            if (type != NvspProtocol.Init && NegotiatedNvspVersion == 0)
            {
                Violation($"NVSP type {type} before a successful INIT");
                return FailureReply(type);
            }

            switch (type)
            {
                case NvspProtocol.Init:
                    return HandleInit(message);
                case NvspProtocol.SendNdisConfig:
                    HandleNdisConfig(message);
                    return null;
                case NvspProtocol.SendNdisVersion:
                    if (RequireLength(message, 12, type))
                    {
                        NdisVersion = (U32(message, 4), U32(message, 8));
                    }

                    return null;
                case NvspProtocol.SendReceiveBuffer:
                    return HandleSendReceiveBuffer(channel, message);
                case NvspProtocol.RevokeReceiveBuffer:
                    HandleRevokeReceiveBuffer(message);
                    return null;
                case NvspProtocol.SendSendBuffer:
                    return HandleSendSendBuffer(channel, message);
                case NvspProtocol.RevokeSendBuffer:
                    if (RequireLength(message, 6, type))
                    {
                        if (!SendBufferRegistered || BinaryPrimitives.ReadUInt16LittleEndian(message.Slice(4)) != SendBufferId)
                        {
                            Violation("REVOKE_SEND_BUF for a send buffer that is not registered");
                        }

                        SendBufferRegistered = false;
                    }

                    return null;
                case NvspProtocol.SendRndisPacket:
                    return HandleSendRndisPacket(channel, packet, message);
                default:
                    Counters.UnhandledNvspMessages++;
                    return null;
            }
        }

        // INIT {u32 min; u32 max} → INIT_COMPLETE {u32 negotiated; u32 max_mdl_chain_len; u32 status}.
        private byte[] HandleInit(ReadOnlySpan<byte> message)
        {
            if (!RequireLength(message, 12, NvspProtocol.Init))
            {
                return Nvsp(NvspProtocol.InitComplete, 0, 0, NvspProtocol.StatusFailure);
            }

            uint min = U32(message, 4);
            uint max = U32(message, 8);
            if (Options.Refuse == NetVscRefusal.Init)
            {
                return Nvsp(NvspProtocol.InitComplete, 0, 0, NvspProtocol.StatusFailure);
            }

            uint chosen = 0;
            foreach (uint version in _versions)
            {
                if (version >= min && version <= max && version > chosen)
                {
                    chosen = version;
                }
            }

            NegotiatedNvspVersion = chosen;
            return chosen == 0
                ? Nvsp(NvspProtocol.InitComplete, 0, 0, NvspProtocol.StatusFailure)
                : Nvsp(NvspProtocol.InitComplete, chosen, MaxMdlChainLength, NvspProtocol.StatusSuccess);
        }

        // SEND_NDIS_CONFIG {u32 mtu; u32 reserved; u64 capabilities (at byte 12)}: NVSP 2 and later only, before NDIS_VER.
        private void HandleNdisConfig(ReadOnlySpan<byte> message)
        {
            if (!RequireLength(message, 16, NvspProtocol.SendNdisConfig))
            {
                return;
            }

            if (NegotiatedNvspVersion < NvspProtocol.Version2)
            {
                Violation($"SEND_NDIS_CONFIG at NVSP 0x{NegotiatedNvspVersion:X}, which does not have it");
                return;
            }

            if (NdisVersion != null)
            {
                Violation("SEND_NDIS_CONFIG after SEND_NDIS_VER");
            }

            uint mtu = U32(message, 4);
            if (mtu < NvspProtocol.MinimumNdisMtu)
            {
                Violation($"SEND_NDIS_CONFIG with MTU {mtu}");
                return;
            }

            NdisConfig = (mtu, BinaryPrimitives.ReadUInt64LittleEndian(message.Slice(12)));
        }

        // SEND_RECV_BUF {u32 gpadl; u16 id} → {102, status, num_sections, section {offset, sub_alloc_size, num_sub_allocs, end_offset}}.
        private byte[] HandleSendReceiveBuffer(HostChannel channel, ReadOnlySpan<byte> message)
        {
            byte[] failure = FailureReply(NvspProtocol.SendReceiveBuffer)!;
            if (!RequireLength(message, 10, NvspProtocol.SendReceiveBuffer))
            {
                return failure;
            }

            uint gpadlId = U32(message, 4);
            ushort id = BinaryPrimitives.ReadUInt16LittleEndian(message.Slice(8));
            if (Options.Refuse == NetVscRefusal.ReceiveBuffer)
            {
                return failure;
            }

            if (NegotiatedNvspVersion >= NvspProtocol.Version2 && NdisConfig == null)
            {
                // From NVSP 2 on the NDIS configuration (MTU, capabilities) precedes everything else
                // (Linux netvsc.c negotiate_nvsp_ver, FreeBSD hn_nvs_conf_ndis; docs/hyperv.md §9).
                Violation($"SEND_RECV_BUF at NVSP 0x{NegotiatedNvspVersion:X} without SEND_NDIS_CONFIG");
                return failure;
            }

            if (ReceiveBufferRegistered)
            {
                Violation($"SEND_RECV_BUF (GPADL {gpadlId}) while receive buffer {ReceiveBufferGpadl} is registered");
                return failure;
            }

            if (!TryFindGpadl(channel, gpadlId, out ulong length))
            {
                return failure;
            }

            ulong count = length / Options.ReceiveSubAllocationSize;
            if (count == 0 || count > int.MaxValue)
            {
                Violation($"receive buffer GPADL {gpadlId} of {length} bytes does not hold a {Options.ReceiveSubAllocationSize}-byte sub-allocation");
                return failure;
            }

            RegisterReceiveBuffer(gpadlId, id, (int)count);
            uint end = (uint)count * Options.ReceiveSubAllocationSize;
            return Nvsp(NvspProtocol.SendReceiveBufferComplete, NvspProtocol.StatusSuccess, 1, 0, Options.ReceiveSubAllocationSize, (uint)count, end);
        }

        // REVOKE_RECV_BUF {u16 id}: stop using the buffer at once.
        private void HandleRevokeReceiveBuffer(ReadOnlySpan<byte> message)
        {
            if (!RequireLength(message, 6, NvspProtocol.RevokeReceiveBuffer))
            {
                return;
            }

            ushort id = BinaryPrimitives.ReadUInt16LittleEndian(message.Slice(4));
            if (!ReceiveBufferRegistered || id != ReceiveBufferId)
            {
                Violation($"REVOKE_RECV_BUF for id {id}, registered: {(ReceiveBufferRegistered ? ReceiveBufferId.ToString() : "none")}");
                return;
            }

            DropReceiveBuffer();
            ReceiveBufferRevoked = true;
        }

        // SEND_SEND_BUF {u32 gpadl; u16 id} → {105, status, section_size}.
        private byte[] HandleSendSendBuffer(HostChannel channel, ReadOnlySpan<byte> message)
        {
            byte[] failure = FailureReply(NvspProtocol.SendSendBuffer)!;
            if (!RequireLength(message, 10, NvspProtocol.SendSendBuffer))
            {
                return failure;
            }

            uint gpadlId = U32(message, 4);
            if (SendBufferRegistered)
            {
                Violation($"SEND_SEND_BUF (GPADL {gpadlId}) while a send buffer is registered");
                return failure;
            }

            if (!TryFindGpadl(channel, gpadlId, out ulong length))
            {
                return failure;
            }

            ulong sections = length / Options.SendSectionSize;
            if (sections == 0)
            {
                Violation($"send buffer GPADL {gpadlId} of {length} bytes holds no {Options.SendSectionSize}-byte section");
                return failure;
            }

            _sendGpadl = gpadlId;
            _sendSections = (uint)Math.Min(sections, uint.MaxValue - 1);
            SendBufferId = BinaryPrimitives.ReadUInt16LittleEndian(message.Slice(8));
            SendBufferRegistered = true;
            return Nvsp(NvspProtocol.SendSendBufferComplete, NvspProtocol.StatusSuccess, Options.SendSectionSize);
        }

        // SEND_RNDIS_PKT {u32 channel_type; u32 section index; u32 section size} → {108, status}.
        private byte[] HandleSendRndisPacket(HostChannel channel, GuestPacket packet, ReadOnlySpan<byte> message)
        {
            if (!RequireLength(message, 16, NvspProtocol.SendRndisPacket))
            {
                return RndisPacketReply(NvspProtocol.StatusFailure);
            }

            uint channelType = U32(message, 4);
            uint section = U32(message, 8);
            uint sectionSize = U32(message, 12);
            if (channelType != NvspProtocol.ChannelData && channelType != NvspProtocol.ChannelControl)
            {
                Violation($"SEND_RNDIS_PKT channel type {channelType}");
                return RndisPacketReply(NvspProtocol.StatusFailure);
            }

            byte[]? rndis;
            string error;
            if (section != NvspProtocol.NoSection)
            {
                rndis = ReadSendSection(channel, section, sectionSize, out error);
            }
            else if (packet.Type == VmBusPacketType.DataUsingGpaDirect)
            {
                rndis = ReadGpaRanges(packet.GpaRanges, out error);
            }
            else
            {
                rndis = null;
                error = "SEND_RNDIS_PKT names neither a send-buffer section nor GPA ranges";
            }

            if (rndis == null)
            {
                Violation(error);
                return RndisPacketReply(NvspProtocol.StatusFailure);
            }

            return RndisPacketReply(HandleRndisTransfer(rndis, channelType));
        }

        /// <summary>Copies an RNDIS transfer out of the packet's GPA ranges, refusing anything outside guest memory or too long.</summary>
        private byte[]? ReadGpaRanges(IReadOnlyList<GpadlRange> ranges, out string error)
        {
            if (ranges.Count == 0)
            {
                error = "SEND_RNDIS_PKT GPA_DIRECT packet without ranges";
                return null;
            }

            ulong total = 0;
            foreach (GpadlRange range in ranges)
            {
                if (range.ByteCount == 0 || range.ByteOffset >= VmBusConstants.PageSize)
                {
                    error = $"GPA range with byte_count {range.ByteCount}, byte_offset {range.ByteOffset}";
                    return null;
                }

                total += range.ByteCount;
            }

            if (total > Options.MaxTransferSize)
            {
                error = $"RNDIS transfer of {total} bytes exceeds max_xfer {Options.MaxTransferSize}";
                return null;
            }

            byte[] data = new byte[total];
            int at = 0;
            foreach (GpadlRange range in ranges)
            {
                uint offset = range.ByteOffset;
                uint left = range.ByteCount;
                for (int page = 0; left > 0; page++)
                {
                    ulong pfn = range.Pfns[page];
                    int chunk = (int)Math.Min(VmBusConstants.PageSize - offset, left);
                    if (pfn > ulong.MaxValue / VmBusConstants.PageSize || !_host.TryReadGuest(pfn * VmBusConstants.PageSize + offset, data.AsSpan(at, chunk)))
                    {
                        error = $"GPA range page 0x{pfn:X} is not guest memory";
                        return null;
                    }

                    at += chunk;
                    left -= (uint)chunk;
                    offset = 0;
                }
            }

            error = string.Empty;
            return data;
        }

        private byte[]? ReadSendSection(HostChannel channel, uint section, uint size, out string error)
        {
            if (!SendBufferRegistered)
            {
                error = $"SEND_RNDIS_PKT names send-buffer section {section} but no send buffer is registered";
                return null;
            }

            if (section >= _sendSections || size == 0 || size > Options.SendSectionSize)
            {
                error = $"send-buffer section {section} of {size} bytes (buffer: {_sendSections} sections of {Options.SendSectionSize})";
                return null;
            }

            byte[] data = new byte[size];
            if (!channel.TryReadGpadl(_sendGpadl, (ulong)section * Options.SendSectionSize, data))
            {
                error = $"send buffer GPADL {_sendGpadl} is no longer readable";
                return null;
            }

            error = string.Empty;
            return data;
        }

        private bool TryFindGpadl(HostChannel channel, uint gpadlId, out ulong length)
        {
            length = 0;
            if (!_host.VmBus.TryGetGpadl(gpadlId, out HostGpadl gpadl))
            {
                Violation($"GPADL {gpadlId} is unknown");
                return false;
            }

            if (gpadl.RelId != channel.RelId)
            {
                Violation($"GPADL {gpadlId} belongs to channel {gpadl.RelId}, not {channel.RelId}");
                return false;
            }

            length = gpadl.ByteLength;
            return true;
        }

        /// <summary>Forgets everything about the guest's session (open or close); counters and link state stay.</summary>
        private void ResetSession()
        {
            NegotiatedNvspVersion = 0;
            NdisVersion = null;
            NdisConfig = null;
            DropReceiveBuffer();
            ReceiveBufferRevoked = false;
            _retired.Clear();
            SendBufferRegistered = false;
            ResetRndis();
        }

        private bool RequireLength(ReadOnlySpan<byte> message, int length, uint type)
        {
            if (message.Length >= length)
            {
                return true;
            }

            Violation($"NVSP type {type} of {message.Length} bytes, needs {length}");
            return false;
        }

        private void Violation(string detail)
        {
            Counters.ProtocolViolations++;
            _violations.Add(detail);
            _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, _channel?.RelId ?? 0, $"netvsc: {detail}");
        }

        /// <summary>The failure form of the reply a message type has, or null when it has none (empty COMP).</summary>
        private static byte[]? FailureReply(uint type) => type switch
        {
            NvspProtocol.Init => Nvsp(NvspProtocol.InitComplete, 0, 0, NvspProtocol.StatusFailure),
            NvspProtocol.SendReceiveBuffer => Nvsp(NvspProtocol.SendReceiveBufferComplete, NvspProtocol.StatusFailure),
            NvspProtocol.SendSendBuffer => Nvsp(NvspProtocol.SendSendBufferComplete, NvspProtocol.StatusFailure),
            NvspProtocol.SendRndisPacket => RndisPacketReply(NvspProtocol.StatusFailure),
            _ => null,
        };

        private static byte[] RndisPacketReply(uint status) => Nvsp(NvspProtocol.SendRndisPacketComplete, status);

        /// <summary>An NVSP message {type, fields...} padded to <see cref="NvspProtocol.MessageSize"/>.</summary>
        internal static byte[] Nvsp(uint type, params uint[] fields)
        {
            byte[] message = new byte[Math.Max(NvspProtocol.MessageSize, 4 + fields.Length * 4)];
            BinaryPrimitives.WriteUInt32LittleEndian(message, type);
            for (int i = 0; i < fields.Length; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4 + i * 4), fields[i]);
            }

            return message;
        }

        private static byte[] CheckMac(byte[] mac)
        {
            if (mac == null || mac.Length != 6)
            {
                throw new ArgumentException("A MAC address is 6 bytes.", nameof(mac));
            }

            return (byte[])mac.Clone();
        }

        private static byte[] RandomMac()
        {
            byte[] mac = { 0x00, 0x15, 0x5D, 0, 0, 0 };
            Random.Shared.NextBytes(mac.AsSpan(3));
            return mac;
        }

        private static uint U32(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(offset));
    }
}
