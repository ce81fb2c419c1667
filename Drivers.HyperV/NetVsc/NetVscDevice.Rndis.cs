// RNDIS control over netvsc: INITIALIZE, QUERY, SET and HALT travel as SEND_RNDIS_PKT on the
// control channel type, GPA-direct from a control page; answers come back as receive traffic
// and are matched by request id. Transmit wraps frames in RNDIS PACKET messages in preallocated
// slots (no allocation per frame).
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.Rndis;
using Bootstage.Drivers.Net;
using Bootstage.Platform;

namespace Bootstage.Drivers.HyperV.NetVsc
{
    public sealed unsafe partial class NetVscDevice
    {
        private const ulong ControlTransactionId = 0x524E4453; // "RNDS"
        private const uint MaxTransferSize = 0x4000;
        private const uint PacketFilter = RndisMessage.FilterDirected | RndisMessage.FilterMulticast | RndisMessage.FilterBroadcast;

        private readonly byte[] _controlReply = new byte[256];
        private readonly byte[] _nvspRndis = new byte[NvspMessage.Size];
        private uint _requestId = 1;
        private uint _awaitedRequest;
        private bool _controlDone;
        private int _controlReplyLength;

        private NetStatus InitializeRndis(bool isReset)
        {
            _step = NetVscStep.RndisInitialize;
            Span<byte> request = ControlRequest(RndisMessage.Initialize, RndisMessage.InitializeSize);
            BinaryPrimitives.WriteUInt32LittleEndian(request.Slice(12), 1);
            BinaryPrimitives.WriteUInt32LittleEndian(request.Slice(16), 0);
            BinaryPrimitives.WriteUInt32LittleEndian(request.Slice(20), MaxTransferSize);
            NetStatus status = ControlTransaction(request.Length);
            if (status != NetStatus.Success)
            {
                return status;
            }

            _step = NetVscStep.QueryMac;
            Span<byte> value = stackalloc byte[8];
            status = Query(RndisMessage.OidPermanentAddress, value.Slice(0, MacAddress.Size));
            if (status != NetStatus.Success)
            {
                return status;
            }

            MacAddress permanent = MacAddress.Read(value);
            if (Query(RndisMessage.OidCurrentAddress, value.Slice(0, MacAddress.Size)) == NetStatus.Success)
            {
                permanent = MacAddress.Read(value);
            }

            if (isReset && permanent != Mac)
            {
                _macChangedOnReset = true;
            }
            else
            {
                Mac = permanent;
            }

            if (Query(RndisMessage.OidMediaConnectStatus, value.Slice(0, 4)) == NetStatus.Success)
            {
                SetLink(BinaryPrimitives.ReadUInt32LittleEndian(value) == RndisMessage.MediaConnected ? LinkState.Up : LinkState.Down);
            }

            _step = NetVscStep.SetPacketFilter;
            Span<byte> set = ControlRequest(RndisMessage.Set, RndisMessage.QuerySize + 4);
            BinaryPrimitives.WriteUInt32LittleEndian(set.Slice(RndisMessage.QueryOid), RndisMessage.OidCurrentPacketFilter);
            BinaryPrimitives.WriteUInt32LittleEndian(set.Slice(RndisMessage.QueryInfoLength), 4);
            BinaryPrimitives.WriteUInt32LittleEndian(set.Slice(RndisMessage.QueryInfoOffset), RndisMessage.QuerySize - RndisMessage.RequestId);
            BinaryPrimitives.WriteUInt32LittleEndian(set.Slice(RndisMessage.QuerySize), PacketFilter);
            return ControlTransaction(set.Length);
        }

        private NetStatus Query(uint oid, Span<byte> value)
        {
            Span<byte> request = ControlRequest(RndisMessage.Query, RndisMessage.QuerySize);
            BinaryPrimitives.WriteUInt32LittleEndian(request.Slice(RndisMessage.QueryOid), oid);

            // No input, but the offset must still point just past the body: Hyper-V fails a QUERY
            // whose offset is 0 (docs/hyperv.md §10).
            BinaryPrimitives.WriteUInt32LittleEndian(request.Slice(RndisMessage.QueryInfoOffset), RndisMessage.QuerySize - RndisMessage.RequestId);
            NetStatus status = ControlTransaction(request.Length);
            if (status != NetStatus.Success)
            {
                return status;
            }

            if (_controlReplyLength < RndisMessage.QueryCompleteInfoOffset + 4)
            {
                return NetStatus.ProtocolError;
            }

            ReadOnlySpan<byte> reply = new ReadOnlySpan<byte>(_controlReply, 0, _controlReplyLength);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(reply.Slice(RndisMessage.QueryCompleteInfoLength));
            ulong start = RndisMessage.RequestId + (ulong)BinaryPrimitives.ReadUInt32LittleEndian(reply.Slice(RndisMessage.QueryCompleteInfoOffset));
            if (length < value.Length || start + (ulong)value.Length > (ulong)reply.Length)
            {
                return NetStatus.ProtocolError;
            }

            reply.Slice((int)start, value.Length).CopyTo(value);
            return NetStatus.Success;
        }

        private void HaltRndis()
        {
            Span<byte> request = ControlRequest(RndisMessage.Halt, 12);
            SendControl(request.Length);
        }

        // Starts a control message in the control page: type, length, request id.
        private Span<byte> ControlRequest(uint type, int length)
        {
            Span<byte> request = new Span<byte>(_controlBuffer.VirtualAddress, length);
            request.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(request, type);
            BinaryPrimitives.WriteUInt32LittleEndian(request.Slice(4), (uint)length);
            BinaryPrimitives.WriteUInt32LittleEndian(request.Slice(RndisMessage.RequestId), _requestId);
            return request;
        }

        private HvStatus SendControl(int length)
        {
            new Span<byte>(_nvspRndis).Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(_nvspRndis, NvspMessage.SendRndisPacket);
            BinaryPrimitives.WriteUInt32LittleEndian(_nvspRndis.AsSpan(4), NvspMessage.RndisChannelControl);
            BinaryPrimitives.WriteUInt32LittleEndian(_nvspRndis.AsSpan(8), NvspMessage.NoSendBufferSection);
            return _device.Channel.SendGpaDirect(_nvspRndis, _controlBuffer.PhysicalAddress, (uint)length, ControlTransactionId, requestCompletion: true);
        }

        private NetStatus ControlTransaction(int length)
        {
            _awaitedRequest = _requestId++;
            _controlDone = false;
            if (SendControl(length) != HvStatus.Success)
            {
                return NetStatus.DeviceError;
            }

            NetStatus status = WaitUntil(ref _controlDone);
            _awaitedRequest = 0;
            if (status != NetStatus.Success)
            {
                return status;
            }

            return BinaryPrimitives.ReadUInt32LittleEndian(_controlReply.AsSpan(RndisMessage.CompleteStatus)) == RndisMessage.StatusSuccess
                ? NetStatus.Success
                : NetStatus.DeviceError;
        }

        private void HandleControlCompletion(ReadOnlySpan<byte> message)
        {
            if (message.Length < RndisMessage.CompleteStatus + 4)
            {
                Statistics.RxErrors++;
                return;
            }

            uint id = BinaryPrimitives.ReadUInt32LittleEndian(message.Slice(RndisMessage.RequestId));
            if (id != _awaitedRequest || _awaitedRequest == 0)
            {
                // A late answer to a request that already timed out.
                _unsolicitedPackets++;
                return;
            }

            int length = message.Length < _controlReply.Length ? message.Length : _controlReply.Length;
            message.Slice(0, length).CopyTo(_controlReply);
            _controlReplyLength = length;
            _controlDone = true;
        }

        public override NetStatus Transmit(ReadOnlySpan<byte> frame)
        {
            if (!IsOpen)
            {
                return NetStatus.NotOpen;
            }

            if (frame.Length > TransmitSlotSize - RndisMessage.PacketHeaderSize || frame.Length < 14)
            {
                Statistics.TxErrors++;
                return NetStatus.TooLong;
            }

            // No slot free: Busy, and the caller polls. Completions share the channel with received
            // frames, so reaping them here would have to drop the frames it meets (no sink).
            int slot = -1;
            for (int i = 0; i < TransmitSlots; i++)
            {
                if (!_slotBusy[i])
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

            int length = RndisMessage.PacketHeaderSize + frame.Length;
            byte* start = (byte*)_transmitBuffer.VirtualAddress + slot * TransmitSlotSize;
            Span<byte> message = new Span<byte>(start, length);
            message.Slice(0, RndisMessage.PacketHeaderSize).Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(message, RndisMessage.Packet);
            BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(4), (uint)length);
            BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(RndisMessage.PacketDataOffset), RndisMessage.PacketHeaderSize - RndisMessage.RequestId);
            BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(RndisMessage.PacketDataLength), (uint)frame.Length);
            frame.CopyTo(message.Slice(RndisMessage.PacketHeaderSize));

            new Span<byte>(_nvspRndis).Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(_nvspRndis, NvspMessage.SendRndisPacket);
            BinaryPrimitives.WriteUInt32LittleEndian(_nvspRndis.AsSpan(4), NvspMessage.RndisChannelData);
            BinaryPrimitives.WriteUInt32LittleEndian(_nvspRndis.AsSpan(8), NvspMessage.NoSendBufferSection);
            ulong physical = _transmitBuffer.PhysicalAddress + (ulong)(slot * TransmitSlotSize);
            HvStatus status = _device.Channel.SendGpaDirect(_nvspRndis, physical, (uint)length, TransmitTransactionBase + (ulong)slot, requestCompletion: true);
            if (status == HvStatus.RingFull)
            {
                Statistics.TxBusy++;
                return NetStatus.Busy;
            }

            if (status != HvStatus.Success)
            {
                Statistics.TxErrors++;
                return NetStatus.DeviceError;
            }

            _slotBusy[slot] = true;
            Statistics.TxFrames++;
            Statistics.TxBytes += (ulong)frame.Length;
            return NetStatus.Success;
        }
    }
}
