// A test-only netvsc guest, built by hand from docs/hyperv.md §8–10: it opens a
// channel to the host model's NetVscBackend through a real HyperVHost (ring GPADL, OPENCHANNEL), sends
// NVSP messages as INBAND packets and RNDIS messages GPA_DIRECT from a scratch page, registers a
// receive buffer, and parses the host's transfer-page packets straight out of that buffer. It shares
// no code with the driver under test, so the backend's behaviour is checked on its own.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using Bootstage.Platform;

namespace Bootstage.HyperV.HostModel.Tests
{
    /// <summary>One host→guest transfer-page packet as the guest sees it.</summary>
    internal sealed record TransferPacket(ulong Transaction, ushort Flags, ushort PageSet, uint NvspType, uint ChannelType, uint SectionIndex, TransferRange[] Ranges, byte[][] Messages, int Length);

    internal sealed unsafe class NetVscGuest : IDisposable
    {
        public const ushort PageSetId = 0xCAFE;
        public const uint ReceiveGpadlId = 0x200;
        public const uint ScratchOffset = 0x40;

        public static readonly byte[] Mac = { 0x00, 0x15, 0x5D, 0x12, 0x34, 0x56 };

        private ulong _nextTransaction = 0x1000;
        private uint _nextRequest = 1;

        private NetVscGuest(HyperVHost host, NetVscBackend backend, FrameRecorder recorder, uint ringPages)
        {
            Host = host;
            Backend = backend;
            Recorder = recorder;
            Channel = host.AddChannel(HostDeviceClasses.NetVsc, Guid.NewGuid(), backend);
            Guest = new RawGuest(host);
            Guest.Boot();
            Rings = Guest.BringUp(Channel, HostProfiles.MaxVmBusVersion(host.Profile), ringPages);
            Scratch = Guest.Allocate(4);
        }

        public HyperVHost Host { get; }

        public NetVscBackend Backend { get; }

        public FrameRecorder Recorder { get; }

        public HostChannel Channel { get; }

        public RawGuest Guest { get; }

        public GuestRings Rings { get; }

        /// <summary>Pages the guest builds outgoing RNDIS messages in.</summary>
        public PhysicalRegion Scratch { get; }

        public PhysicalRegion ReceiveBuffer { get; private set; }

        public static NetVscGuest Start(HostProfile profile = HostProfile.WS2016, NetVscOptions? options = null, uint ringPages = 8)
        {
            HyperVHost host = new HyperVHost(profile);
            FrameRecorder recorder = new FrameRecorder();
            NetVscBackend backend = new NetVscBackend(host, recorder, options ?? new NetVscOptions { MacAddress = Mac });
            return new NetVscGuest(host, backend, recorder, ringPages);
        }

        public void Dispose() => Host.Dispose();

        // ---- NVSP ----

        /// <summary>An NVSP message {type, u32 fields...} padded to 32 bytes, as iPXE sends them.</summary>
        public static byte[] Nvsp(uint type, params uint[] fields)
        {
            byte[] message = new byte[32];
            BinaryPrimitives.WriteUInt32LittleEndian(message, type);
            for (int i = 0; i < fields.Length; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4 + i * 4), fields[i]);
            }

            return message;
        }

        /// <summary>SEND_NDIS_CONFIG {mtu, reserved, capabilities} padded to 32 bytes.</summary>
        public static byte[] NdisConfig(uint mtu, ulong capabilities = 0) => Nvsp(NvspProtocol.SendNdisConfig, mtu, 0, (uint)capabilities, (uint)(capabilities >> 32));

        /// <summary>An NVSP message {type, [u32 gpadl], u16 id} (the buffer messages).</summary>
        public static byte[] NvspBuffer(uint type, uint? gpadl, ushort id)
        {
            byte[] message = Nvsp(type);
            int at = 4;
            if (gpadl.HasValue)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), gpadl.Value);
                at = 8;
            }

            BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(at), id);
            return message;
        }

        /// <summary>Writes an INBAND packet and signals; returns its transaction id.</summary>
        public ulong SendInband(byte[] message, bool completion = true)
        {
            ulong transaction = _nextTransaction++;
            Rings.Write(VmBusPacketType.DataInband, completion ? VmBusConstants.CompletionRequested : (ushort)0, transaction, message);
            Assert.Equal(HvStatus.Success, Guest.Signal(Channel.ConnectionId));
            return transaction;
        }

        /// <summary>Sends an NVSP message asking for completion and returns the COMP's payload.</summary>
        public byte[] Transact(byte[] message)
        {
            ulong transaction = SendInband(message);
            return ExpectCompletion(transaction);
        }

        public byte[] ExpectCompletion(ulong transaction)
        {
            Assert.True(Rings.TryRead(out byte[] packet, out _), "no packet from the host");
            Assert.Equal(VmBusPacketType.Completion, GuestRings.TypeOf(packet));
            Assert.Equal(transaction, GuestRings.TransactionOf(packet));
            return GuestRings.PayloadOf(packet).ToArray();
        }

        public uint Init(uint min, uint max, out uint negotiated)
        {
            byte[] reply = Transact(Nvsp(NvspProtocol.Init, min, max));
            Assert.Equal(NvspProtocol.InitComplete, U32(reply, 0));
            negotiated = U32(reply, 4);
            return U32(reply, 12);
        }

        /// <summary>Allocates a receive buffer, makes a GPADL of it and registers it; returns the SEND_RECV_BUF_COMPLETE payload.</summary>
        public byte[] RegisterReceiveBuffer(uint pages = 16)
        {
            ReceiveBuffer = Guest.Allocate(pages);
            Assert.Equal(0u, Guest.CreateGpadl(Channel.RelId, ReceiveGpadlId, ReceiveBuffer));
            byte[] reply = Transact(NvspBuffer(NvspProtocol.SendReceiveBuffer, ReceiveGpadlId, PageSetId));
            Assert.Equal(NvspProtocol.SendReceiveBufferComplete, U32(reply, 0));
            return reply;
        }

        /// <summary>INIT (version 2), NDIS 6.1, a receive buffer: what an iPXE-like guest does first.</summary>
        public void BringUpNvsp(uint receivePages = 16)
        {
            Assert.Equal(NvspProtocol.StatusSuccess, Init(NvspProtocol.Version1, NvspProtocol.Version1, out _));
            Assert.Empty(Transact(Nvsp(NvspProtocol.SendNdisVersion, 6, 1)));
            Assert.Equal(NvspProtocol.StatusSuccess, U32(RegisterReceiveBuffer(receivePages), 4));
        }

        /// <summary>NVSP bring-up, RNDIS INITIALIZE and a packet filter (directed + broadcast).</summary>
        public void BringUpAll(uint receivePages = 16, uint filter = RndisProtocol.FilterDirected | RndisProtocol.FilterBroadcast)
        {
            BringUpNvsp(receivePages);
            foreach (TransferPacket packet in ControlExchange(Initialize()))
            {
                Complete(packet.Transaction);
            }

            byte[] done = Control(SetRequest(RndisProtocol.OidCurrentPacketFilter, Le32(filter)));
            Assert.Equal(RndisProtocol.StatusSuccess, U32(done, 12));
        }

        // ---- RNDIS, guest → host ----

        /// <summary>A GPA_DIRECT header with one range over <paramref name="pfns"/>.</summary>
        public static byte[] GpaHeader(uint byteCount, uint byteOffset, params ulong[] pfns)
        {
            byte[] header = new byte[16 + pfns.Length * 8];
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 1);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), byteCount);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), byteOffset);
            for (int i = 0; i < pfns.Length; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(16 + i * 8), pfns[i]);
            }

            return header;
        }

        /// <summary>Copies an RNDIS message into the scratch pages at <paramref name="offset"/> and sends it GPA_DIRECT with NVSP 107.</summary>
        public ulong SendRndis(byte[] rndis, uint channelType, uint offset = ScratchOffset)
        {
            rndis.CopyTo(new Span<byte>((byte*)Scratch.VirtualAddress + offset, rndis.Length));
            ulong firstPfn = (Scratch.PhysicalAddress >> 12) + offset / 4096;
            uint inPage = offset % 4096;
            int pages = (int)((inPage + (uint)rndis.Length + 4095) / 4096);
            ulong[] pfns = new ulong[pages];
            for (int i = 0; i < pages; i++)
            {
                pfns[i] = firstPfn + (ulong)i;
            }

            return SendGpaDirect(GpaHeader((uint)rndis.Length, inPage, pfns), channelType);
        }

        public ulong SendGpaDirect(byte[] gpaHeader, uint channelType)
        {
            ulong transaction = _nextTransaction++;
            byte[] nvsp = Nvsp(NvspProtocol.SendRndisPacket, channelType, NvspProtocol.NoSection, 0);
            Rings.Write(VmBusPacketType.DataUsingGpaDirect, VmBusConstants.CompletionRequested, transaction, nvsp, gpaHeader);
            Assert.Equal(HvStatus.Success, Guest.Signal(Channel.ConnectionId));
            return transaction;
        }

        /// <summary>Reads the SEND_RNDIS_PKT_COMPLETE for <paramref name="transaction"/>; returns its status.</summary>
        public uint ExpectRndisCompletion(ulong transaction)
        {
            byte[] reply = ExpectCompletion(transaction);
            Assert.Equal(NvspProtocol.SendRndisPacketComplete, U32(reply, 0));
            return U32(reply, 4);
        }

        /// <summary>Sends a control message, checks its COMP (status 1) and returns the transfer-page packets that followed.</summary>
        public List<TransferPacket> ControlExchange(byte[] request)
        {
            ulong transaction = SendRndis(request, NvspProtocol.ChannelControl);
            Assert.Equal(NvspProtocol.StatusSuccess, ExpectRndisCompletion(transaction));
            return ReadTransfers();
        }

        /// <summary>Sends a control message and returns its one reply (one packet, one range), completing the packet.</summary>
        public byte[] Control(byte[] request)
        {
            TransferPacket packet = Assert.Single(ControlExchange(request));
            byte[] reply = Assert.Single(packet.Messages);
            Assert.Equal(NvspProtocol.ChannelControl, packet.ChannelType);
            Complete(packet.Transaction);
            return reply;
        }

        public byte[] Initialize() => Rndis(RndisProtocol.Initialize, NextRequest(), 1, 0, 0x4000);

        public byte[] QueryRequest(uint oid) => Rndis(RndisProtocol.Query, NextRequest(), oid, 0, 20, 0);

        public byte[] SetRequest(uint oid, byte[] info)
        {
            byte[] head = Rndis(RndisProtocol.Set, NextRequest(), oid, (uint)info.Length, 20, 0);
            byte[] message = new byte[head.Length + info.Length];
            head.CopyTo(message, 0);
            info.CopyTo(message, head.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), (uint)message.Length);
            return message;
        }

        /// <summary>An RNDIS PACKET with the frame at data offset 36 (counted from byte 8).</summary>
        public static byte[] DataPacket(byte[] frame)
        {
            byte[] message = new byte[44 + frame.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(message, RndisProtocol.Packet);
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), (uint)message.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), 36);
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(12), (uint)frame.Length);
            frame.CopyTo(message, 44);
            return message;
        }

        public static byte[] Rndis(uint type, params uint[] fields)
        {
            byte[] message = new byte[8 + fields.Length * 4];
            BinaryPrimitives.WriteUInt32LittleEndian(message, type);
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), (uint)message.Length);
            for (int i = 0; i < fields.Length; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8 + i * 4), fields[i]);
            }

            return message;
        }

        // ---- host → guest ----

        /// <summary>Runs the host, then reads every packet in the host→guest ring; each must be a transfer-page packet.</summary>
        public List<TransferPacket> ReadTransfers()
        {
            Host.RunHost();
            List<TransferPacket> packets = new();
            while (Rings.TryRead(out byte[] raw, out _))
            {
                packets.Add(ParseTransfer(raw));
            }

            return packets;
        }

        public TransferPacket ParseTransfer(byte[] raw)
        {
            Assert.Equal(VmBusPacketType.DataUsingTransferPages, GuestRings.TypeOf(raw));
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(6));
            ushort pageSet = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(16));
            uint count = U32(raw, 20);
            TransferRange[] ranges = new TransferRange[count];
            byte[][] messages = new byte[count][];
            for (int i = 0; i < count; i++)
            {
                ranges[i] = new TransferRange(U32(raw, 24 + i * 8), U32(raw, 28 + i * 8));
                Assert.True((ulong)ranges[i].ByteOffset + ranges[i].ByteCount <= ReceiveBuffer.Length, "range outside the receive buffer");
                messages[i] = ReadRange(ranges[i]);
            }

            byte[] nvsp = GuestRings.PayloadOf(raw).ToArray();
            return new TransferPacket(GuestRings.TransactionOf(raw), flags, pageSet, U32(nvsp, 0), U32(nvsp, 4), U32(nvsp, 8), ranges, messages, raw.Length);
        }

        /// <summary>The bytes a range names in the receive buffer, as they are now.</summary>
        public byte[] ReadRange(TransferRange range)
        {
            return new ReadOnlySpan<byte>((byte*)ReceiveBuffer.VirtualAddress + range.ByteOffset, (int)range.ByteCount).ToArray();
        }

        /// <summary>The guest's COMP for a transfer-page packet: no payload (as iPXE sends it) or NVSP 108.</summary>
        public void Complete(ulong transaction, bool withNvspPayload = false)
        {
            byte[] payload = withNvspPayload ? Nvsp(NvspProtocol.SendRndisPacketComplete, NvspProtocol.StatusSuccess) : Array.Empty<byte>();
            Rings.Write(VmBusPacketType.Completion, 0, transaction, payload);
            Assert.Equal(HvStatus.Success, Guest.Signal(Channel.ConnectionId));
        }

        /// <summary>An Ethernet frame to <paramref name="destination"/> with a recognisable body.</summary>
        public static byte[] Frame(byte[] destination, int length, byte seed)
        {
            byte[] frame = new byte[length];
            destination.CopyTo(frame, 0);
            new byte[] { 0x52, 0x54, 0x00, 0xAA, 0xBB, 0xCC }.CopyTo(frame, 6);
            frame[12] = 0x08;
            frame[13] = 0x00;
            for (int i = 14; i < length; i++)
            {
                frame[i] = (byte)(seed + i);
            }

            return frame;
        }

        public static byte[] Le32(uint value)
        {
            byte[] bytes = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
            return bytes;
        }

        public static uint U32(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(offset));

        private uint NextRequest() => _nextRequest++;
    }
}
