// The RNDIS device behind the host model's netvsc backend (docs/hyperv.md §10 and
// §10): INITIALIZE → INIT_CMPLT (52 bytes), QUERY of the MAC addresses and the media
// connect status → QUERY_CMPLT with the information at offset 16, SET of the packet filter →
// SET_CMPLT, HALT without a reply, RESET and KEEPALIVE answered, and data PACKETs whose Ethernet
// frame goes to the L2 endpoint byte for byte. Replies and status indications travel to the guest as
// receive traffic (NetVscBackend.Receive.cs); the host never starts a KEEPALIVE (§10). With
// EmitMalformedStatus (every profile before WS2022) each INIT_CMPLT is followed, in the same
// transfer-page packet, by INDICATE_STATUS 0x40020006 whose MessageLength stops short of its
// NDIS_OFFLOAD buffer (docs/hyperv.md §10, §12).
using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace Bootstage.HyperV.HostModel
{
    public sealed partial class NetVscBackend
    {
        /// <summary>INIT_CMPLT PacketAlignmentFactor: messages in a transfer are aligned to 2^3 = 8 bytes.</summary>
        public const uint PacketAlignmentFactor = 3;

        /// <summary>
        /// Bytes of the NDIS_OFFLOAD that trails the offload-status indication: revision 1 of the
        /// structure (ntddndis.h: header, checksum, LSOv1, IPsecv1, LSOv2, flags) is 112 bytes.
        /// </summary>
        public const ushort MalformedStatusBufferSize = 112;

        private const int QueryRequestSize = 28;
        private const int InfoOffset = 16;

        private static readonly byte[] s_broadcast = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

        private readonly List<uint> _rndisMessages = new();

        /// <summary>RNDIS INITIALIZE was answered and no HALT came since.</summary>
        public bool RndisInitialized { get; private set; }

        /// <summary>The guest halted the RNDIS device (cleared by the next INITIALIZE or a reopen).</summary>
        public bool RndisHalted { get; private set; }

        /// <summary>OID_GEN_CURRENT_PACKET_FILTER as the guest last set it.</summary>
        public uint PacketFilter { get; private set; }

        /// <summary>RNDIS message types the guest sent, in order, across opens.</summary>
        public IReadOnlyList<uint> RndisMessagesReceived => _rndisMessages;

        /// <summary>
        /// Changes the link state. When it changes while the RNDIS device is initialised, the guest gets
        /// INDICATE_STATUS media connect (0x4001000B) or disconnect (0x4001000C).
        /// </summary>
        public void SetLink(bool up)
        {
            if (up == LinkUp)
            {
                return;
            }

            LinkUp = up;
            if (RndisInitialized)
            {
                QueueMessage(StatusIndication(up ? RndisProtocol.StatusMediaConnect : RndisProtocol.StatusMediaDisconnect), NvspProtocol.ChannelControl, false, false);
            }
        }

        private void ResetRndis()
        {
            RndisInitialized = false;
            RndisHalted = false;
            PacketFilter = 0;
        }

        /// <summary>Handles every RNDIS message in one transfer; returns the NVSP status for SEND_RNDIS_PKT_COMPLETE.</summary>
        private uint HandleRndisTransfer(byte[] transfer, uint channelType)
        {
            int at = 0;
            int handled = 0;
            uint status = NvspProtocol.StatusSuccess;
            while (transfer.Length - at >= RndisProtocol.HeaderSize)
            {
                uint type = U32(transfer, at);
                uint length = U32(transfer, at + 4);
                if (type == 0 && length == 0 && handled > 0)
                {
                    // Zero padding after the last message of the transfer.
                    break;
                }

                if (length < RndisProtocol.HeaderSize || length > transfer.Length - at)
                {
                    Violation($"RNDIS message type 0x{type:X} claims {length} bytes, {transfer.Length - at} present");
                    return NvspProtocol.StatusInvalidRndisPacket;
                }

                _rndisMessages.Add(type);
                if (!HandleRndisMessage(transfer.AsSpan(at, (int)length), type, channelType))
                {
                    status = NvspProtocol.StatusInvalidRndisPacket;
                }

                handled++;
                at += (int)length;
            }

            if (handled == 0)
            {
                Violation($"RNDIS transfer of {transfer.Length} bytes holds no message");
                return NvspProtocol.StatusInvalidRndisPacket;
            }

            if (handled > Options.MaxPacketsPerTransfer)
            {
                Violation($"{handled} RNDIS messages in one transfer, max_pkts_per_xfer is {Options.MaxPacketsPerTransfer}");
            }

            return status;
        }

        private bool HandleRndisMessage(ReadOnlySpan<byte> message, uint type, uint channelType)
        {
            uint expectedChannel = type == RndisProtocol.Packet ? NvspProtocol.ChannelData : NvspProtocol.ChannelControl;
            if (channelType != expectedChannel)
            {
                Violation($"RNDIS type 0x{type:X} sent on NVSP channel type {channelType}");
            }

            if (type != RndisProtocol.Initialize && type != RndisProtocol.Halt && !RndisInitialized)
            {
                Violation($"RNDIS type 0x{type:X} before INITIALIZE");
                return false;
            }

            switch (type)
            {
                case RndisProtocol.Packet:
                    return HandlePacket(message);
                case RndisProtocol.Initialize:
                    return HandleInitialize(message);
                case RndisProtocol.Halt:
                    RndisInitialized = false;
                    RndisHalted = true;
                    return true;
                case RndisProtocol.Query:
                    return HandleQuery(message);
                case RndisProtocol.Set:
                    return HandleSet(message);
                case RndisProtocol.Reset:
                    QueueControl(Rndis(RndisProtocol.ResetComplete, RndisProtocol.StatusSuccess, 0));
                    return true;
                case RndisProtocol.KeepAlive:
                    if (!RequireRndisLength(message, 12, type))
                    {
                        return false;
                    }

                    QueueControl(Rndis(RndisProtocol.KeepAliveComplete, U32(message, 8), RndisProtocol.StatusSuccess));
                    return true;
                default:
                    Violation($"RNDIS message type 0x{type:X} not expected from the guest");
                    return false;
            }
        }

        // INITIALIZE {id, major, minor, max_xfer} → INIT_CMPLT {id, status, major 1, minor 0, device_flags 1
        // (connectionless), medium 0 (802.3), max_pkts_per_xfer, max_xfer, pkt_align, rsvd[2]}.
        private bool HandleInitialize(ReadOnlySpan<byte> message)
        {
            if (!RequireRndisLength(message, 24, RndisProtocol.Initialize))
            {
                return false;
            }

            uint id = U32(message, 8);
            if (Options.Refuse == NetVscRefusal.RndisInitialize)
            {
                QueueControl(Rndis(RndisProtocol.InitializeComplete, id, RndisProtocol.StatusFailure, 1, 0, 1, 0, 0, 0, 0, 0, 0));
                return true;
            }

            RndisInitialized = true;
            RndisHalted = false;
            byte[] reply = Rndis(RndisProtocol.InitializeComplete, id, RndisProtocol.StatusSuccess, 1, 0, 1, 0, Options.MaxPacketsPerTransfer, Options.MaxTransferSize, PacketAlignmentFactor, 0, 0);
            QueueControl(reply);
            if (EmitMalformedStatus)
            {
                QueueMessage(MalformedStatus(), NvspProtocol.ChannelControl, joinPrevious: true, isFrame: false);
            }

            return true;
        }

        // QUERY {id, oid, info_len, info_offset, rsvd} → QUERY_CMPLT {id, status, info_len, info_offset} + info.
        private bool HandleQuery(ReadOnlySpan<byte> message)
        {
            if (!RequireRndisLength(message, QueryRequestSize, RndisProtocol.Query))
            {
                return false;
            }

            uint id = U32(message, 8);
            uint oid = U32(message, 12);
            uint infoLength = U32(message, 16);
            uint infoOffset = U32(message, 20);
            if (Options.Refuse == NetVscRefusal.RndisQuery)
            {
                QueueControl(Rndis(RndisProtocol.QueryComplete, id, RndisProtocol.StatusFailure, 0, 0));
                return true;
            }

            if (infoOffset == 0 || (ulong)RndisProtocol.HeaderSize + infoOffset + infoLength > (ulong)message.Length)
            {
                // Hyper-V fails a QUERY whose information buffer offset is 0 even when it carries no
                // input (FreeBSD hn_rndis.c, hn_rndis_query; docs/hyperv.md §10).
                Violation($"QUERY of OID 0x{oid:X8} with information buffer offset {infoOffset} and length {infoLength} in a {message.Length}-byte message");
                QueueControl(Rndis(RndisProtocol.QueryComplete, id, RndisProtocol.StatusFailure, 0, 0));
                return true;
            }

            byte[]? info = oid switch
            {
                RndisProtocol.OidPermanentAddress => MacAddress,
                RndisProtocol.OidCurrentAddress => MacAddress,
                RndisProtocol.OidMediaConnectStatus => Le32(LinkUp ? RndisProtocol.MediaStateConnected : RndisProtocol.MediaStateDisconnected),
                RndisProtocol.OidCurrentPacketFilter => Le32(PacketFilter),
                _ => null,
            };

            byte[] reply;
            if (info == null)
            {
                reply = Rndis(RndisProtocol.QueryComplete, id, RndisProtocol.StatusNotSupported, 0, 0);
            }
            else
            {
                reply = new byte[RndisProtocol.HeaderSize + InfoOffset + info.Length];
                Rndis(RndisProtocol.QueryComplete, id, RndisProtocol.StatusSuccess, (uint)info.Length, InfoOffset).CopyTo(reply, 0);
                BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(4), (uint)reply.Length);
                info.CopyTo(reply, RndisProtocol.HeaderSize + InfoOffset);
            }

            QueueControl(reply);
            return true;
        }

        // SET {id, oid, info_len, info_offset, rsvd} + info → SET_CMPLT {id, status}.
        private bool HandleSet(ReadOnlySpan<byte> message)
        {
            if (!RequireRndisLength(message, QueryRequestSize, RndisProtocol.Set))
            {
                return false;
            }

            uint id = U32(message, 8);
            uint oid = U32(message, 12);
            uint infoLength = U32(message, 16);
            uint infoOffset = U32(message, 20);
            ulong start = (ulong)RndisProtocol.HeaderSize + infoOffset;
            uint status;
            if (Options.Refuse == NetVscRefusal.RndisSet)
            {
                status = RndisProtocol.StatusFailure;
            }
            else if (start + infoLength > (ulong)message.Length)
            {
                Violation($"SET of OID 0x{oid:X8}: {infoLength} bytes at offset {infoOffset} overrun the {message.Length}-byte message");
                status = RndisProtocol.StatusFailure;
            }
            else if (oid != RndisProtocol.OidCurrentPacketFilter)
            {
                status = RndisProtocol.StatusNotSupported;
            }
            else if (infoLength < 4)
            {
                Violation($"packet filter SET with {infoLength} bytes");
                status = RndisProtocol.StatusFailure;
            }
            else
            {
                PacketFilter = U32(message, (int)start);
                status = RndisProtocol.StatusSuccess;
            }

            QueueControl(Rndis(RndisProtocol.SetComplete, id, status));
            return status != RndisProtocol.StatusFailure || Options.Refuse == NetVscRefusal.RndisSet;
        }

        // PACKET {data_off, data_len, oob..., ppi..., rsvd[2]}; data_off counts from byte 8.
        private bool HandlePacket(ReadOnlySpan<byte> message)
        {
            if (!RequireRndisLength(message, RndisProtocol.HeaderSize + RndisProtocol.PacketBodySize, RndisProtocol.Packet))
            {
                return false;
            }

            uint dataOffset = U32(message, 8);
            uint dataLength = U32(message, 12);
            ulong start = (ulong)RndisProtocol.HeaderSize + dataOffset;
            if (dataOffset < RndisProtocol.PacketBodySize || start + dataLength > (ulong)message.Length || dataLength < 14)
            {
                Violation($"RNDIS PACKET with data offset {dataOffset}, length {dataLength} in a {message.Length}-byte message");
                return false;
            }

            Counters.FramesFromGuest++;
            Endpoint.FrameFromGuest(message.Slice((int)start, (int)dataLength));
            return true;
        }

        /// <summary>Whether the guest's packet filter lets a frame with this destination through.</summary>
        private bool PassesFilter(ReadOnlySpan<byte> frame)
        {
            if (!Options.ApplyPacketFilter || (PacketFilter & RndisProtocol.FilterPromiscuous) != 0)
            {
                return true;
            }

            ReadOnlySpan<byte> destination = frame.Slice(0, 6);
            if (destination.SequenceEqual(s_broadcast))
            {
                return (PacketFilter & RndisProtocol.FilterBroadcast) != 0;
            }

            if ((destination[0] & 1) != 0)
            {
                return (PacketFilter & (RndisProtocol.FilterMulticast | RndisProtocol.FilterAllMulticast)) != 0;
            }

            return (PacketFilter & RndisProtocol.FilterDirected) != 0 && destination.SequenceEqual(_mac);
        }

        /// <summary>A data PACKET carrying <paramref name="frame"/> right after the 36-byte body.</summary>
        private static byte[] DataPacket(ReadOnlySpan<byte> frame)
        {
            byte[] message = new byte[RndisProtocol.HeaderSize + RndisProtocol.PacketBodySize + frame.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(message, RndisProtocol.Packet);
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), (uint)message.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), RndisProtocol.PacketBodySize);
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(12), (uint)frame.Length);
            frame.CopyTo(message.AsSpan(RndisProtocol.HeaderSize + RndisProtocol.PacketBodySize));
            return message;
        }

        /// <summary>INDICATE_STATUS {status, buf_len 0, buf_offset 0}.</summary>
        private static byte[] StatusIndication(uint status) => Rndis(RndisProtocol.IndicateStatus, status, 0, 0);

        /// <summary>
        /// INDICATE_STATUS 0x40020006 (NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG) carrying an NDIS_OFFLOAD
        /// at buf_offset 12 (byte 20), whose MessageLength says 20: the length covers the header fields
        /// but not the buffer. The transfer range that carries it covers the whole message.
        /// </summary>
        private static byte[] MalformedStatus()
        {
            byte[] message = new byte[20 + MalformedStatusBufferSize];
            Rndis(RndisProtocol.IndicateStatus, RndisProtocol.StatusWs2012R2Malformed, MalformedStatusBufferSize, 12).CopyTo(message, 0);

            // NDIS_OBJECT_HEADER {type NDIS_OBJECT_TYPE_OFFLOAD, revision 1, size}; the rest (no offloads) stays zero.
            message[20] = 0xA7;
            message[21] = 1;
            BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(22), MalformedStatusBufferSize);
            return message;
        }

        /// <summary>An RNDIS message {type, length, fields...} with the length filled in.</summary>
        private static byte[] Rndis(uint type, params uint[] fields)
        {
            byte[] message = new byte[RndisProtocol.HeaderSize + fields.Length * 4];
            BinaryPrimitives.WriteUInt32LittleEndian(message, type);
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), (uint)message.Length);
            for (int i = 0; i < fields.Length; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8 + i * 4), fields[i]);
            }

            return message;
        }

        private bool RequireRndisLength(ReadOnlySpan<byte> message, int length, uint type)
        {
            if (message.Length >= length)
            {
                return true;
            }

            Violation($"RNDIS type 0x{type:X} of {message.Length} bytes, needs {length}");
            return false;
        }

        private static byte[] Le32(uint value)
        {
            byte[] bytes = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
            return bytes;
        }
    }
}
