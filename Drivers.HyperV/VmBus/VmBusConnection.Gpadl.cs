// GPADLs (guest physical address descriptor lists) and channel open/close messages of the VMBus
// connection (docs/hyperv.md §6–7). A GPADL describes one physically contiguous
// region as a single range of page frame numbers; the first message (GPADL_HEADER) carries as
// many PFNs as fit, GPADL_BODY messages carry the rest, so any size can be described.
using System;
using System.Buffers.Binary;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Platform;

namespace Bootstage.Drivers.HyperV.VmBus
{
    public sealed unsafe partial class VmBusConnection
    {
        private const int HeaderPfnCapacity = (HvHypervisor.MaxMessagePayload - VmBusMessage.GpadlHeaderPfns) / 8;
        private const int BodyPfnCapacity = (HvHypervisor.MaxMessagePayload - VmBusMessage.GpadlBodyPfns) / 8;

        /// <summary>Describes <paramref name="region"/> to the host for channel <paramref name="relId"/>.</summary>
        public HvStatus EstablishGpadl(uint relId, PhysicalRegion region, out uint gpadlId)
        {
            gpadlId = 0;
            if (region.IsEmpty)
            {
                return HvStatus.InvalidParameter;
            }

            uint id = _nextGpadl++;
            uint pages = region.PageCount;
            ulong firstPfn = region.PhysicalAddress / PhysicalRegion.PageSize;
            int headerPfns = pages < HeaderPfnCapacity ? (int)pages : HeaderPfnCapacity;

            Span<byte> header = Begin(VmBusMessage.GpadlHeader, VmBusMessage.GpadlHeaderPfns + headerPfns * 8);
            BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(VmBusMessage.GpadlRelId), relId);
            BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(VmBusMessage.GpadlId), id);
            // range_buflen counts the whole range (byte count, byte offset and every PFN), not only this message's part.
            BinaryPrimitives.WriteUInt16LittleEndian(header.Slice(VmBusMessage.GpadlRangeBufferLength), (ushort)(8 + pages * 8));
            BinaryPrimitives.WriteUInt16LittleEndian(header.Slice(VmBusMessage.GpadlRangeCount), 1);
            BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(VmBusMessage.GpadlRangeByteCount), (uint)region.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(VmBusMessage.GpadlRangeByteOffset), 0);
            for (int i = 0; i < headerPfns; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(header.Slice(VmBusMessage.GpadlHeaderPfns + i * 8), firstPfn + (ulong)i);
            }

            HvStatus status = Post(header);
            uint sent = (uint)headerPfns;
            uint messageNumber = 1;
            while (status == HvStatus.Success && sent < pages)
            {
                int count = pages - sent < BodyPfnCapacity ? (int)(pages - sent) : BodyPfnCapacity;
                Span<byte> body = Begin(VmBusMessage.GpadlBody, VmBusMessage.GpadlBodyPfns + count * 8);
                BinaryPrimitives.WriteUInt32LittleEndian(body.Slice(VmBusMessage.GpadlBodyMessageNumber), messageNumber++);
                BinaryPrimitives.WriteUInt32LittleEndian(body.Slice(VmBusMessage.GpadlBodyId), id);
                for (int i = 0; i < count; i++)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(body.Slice(VmBusMessage.GpadlBodyPfns + i * 8), firstPfn + sent + (ulong)i);
                }

                status = Post(body);
                sent += (uint)count;
            }

            if (status != HvStatus.Success)
            {
                return status;
            }

            status = WaitForStatus(VmBusMessage.GpadlCreated, VmBusMessage.GpadlId, id, VmBusMessage.GpadlCreatedStatus);
            if (status == HvStatus.Success)
            {
                gpadlId = id;
            }

            return status;
        }

        /// <summary>GPADL_TEARDOWN and wait for GPADL_TORNDOWN: afterwards the host no longer touches the pages.</summary>
        public HvStatus TeardownGpadl(uint relId, uint gpadlId)
        {
            Span<byte> message = Begin(VmBusMessage.GpadlTeardown, VmBusMessage.GpadlId + 4);
            BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(VmBusMessage.GpadlRelId), relId);
            BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(VmBusMessage.GpadlId), gpadlId);
            HvStatus status = Post(message);
            if (status != HvStatus.Success)
            {
                return status;
            }

            return WaitFor(VmBusMessage.GpadlTorndown, VmBusMessage.GpadlTorndownId, gpadlId, out _);
        }

        /// <summary>OPENCHANNEL over a ring GPADL; waits for OPENCHANNEL_RESULT with our open id.</summary>
        public HvStatus OpenChannel(uint relId, uint ringGpadl, uint downstreamPageOffset, ReadOnlySpan<byte> userData)
        {
            uint openId = _nextOpenId++;
            Span<byte> message = Begin(VmBusMessage.OpenChannel, VmBusMessage.OpenSize);
            BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(VmBusMessage.OpenRelId), relId);
            BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(VmBusMessage.OpenId), openId);
            BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(VmBusMessage.OpenGpadl), ringGpadl);
            BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(VmBusMessage.OpenTargetVp), 0);
            BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(VmBusMessage.OpenDownstreamPageOffset), downstreamPageOffset);
            if (userData.Length > VmBusMessage.OpenUserDataSize)
            {
                return HvStatus.InvalidParameter;
            }

            userData.CopyTo(message.Slice(VmBusMessage.OpenUserData));
            HvStatus status = Post(message);
            if (status != HvStatus.Success)
            {
                return status;
            }

            return WaitForStatus(VmBusMessage.OpenChannelResult, VmBusMessage.OpenId, openId, VmBusMessage.OpenResultStatus);
        }

        // Waits for a reply that carries a u32 status (0 = success) at statusOffset.
        private HvStatus WaitForStatus(uint type, int matchOffset, uint matchValue, int statusOffset)
        {
            HvStatus status = WaitFor(type, matchOffset, matchValue, out int length);
            if (status != HvStatus.Success)
            {
                return status;
            }

            if (length < statusOffset + 4 || BinaryPrimitives.ReadUInt32LittleEndian(_reply.AsSpan(statusOffset)) != 0)
            {
                return HvStatus.ProtocolError;
            }

            return HvStatus.Success;
        }

        /// <summary>CLOSECHANNEL (the host sends no reply).</summary>
        public HvStatus CloseChannel(uint relId)
        {
            Span<byte> message = Begin(VmBusMessage.CloseChannel, VmBusMessage.OpenRelId + 4);
            BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(VmBusMessage.OpenRelId), relId);
            return Post(message);
        }

        /// <summary>
        /// Tells the host a channel has data (protocols before WIN8): set the channel's bit in the
        /// guest-to-host half of the interrupt page, then signal the event connection. From WIN8 on
        /// the offer's own connection id is signalled instead.
        /// </summary>
        public HvStatus SignalChannel(in VmBusOffer offer)
        {
            if (_version != 0 && _version < VmBusVersion.Win8)
            {
                byte* sendHalf = (byte*)_interruptPage.VirtualAddress + PhysicalRegion.PageSize / 2;
                uint relId = offer.RelId;
                if (relId < (PhysicalRegion.PageSize / 2) * 8)
                {
                    sendHalf[relId / 8] |= (byte)(1 << (int)(relId % 8));
                }

                return _hypervisor.SignalEvent(EventConnectionId, 0);
            }

            return _hypervisor.SignalEvent(offer.ConnectionId, 0);
        }
    }
}
