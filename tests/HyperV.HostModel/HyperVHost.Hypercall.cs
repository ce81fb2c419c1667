// Hypercalls of the host model (TLFS "Hypercall Interface", HvCallPostMessage, HvCallSignalEvent;
// docs/hyperv.md §3). Every call is checked against the enabled
// hypercall page and GUEST_OS_ID first, then against its own input rules; each parameter block must
// lie in guest memory, be 8-byte aligned and not cross a page. The host's work loop runs after
// every call, so the reply to a posted message is in the SIMP slot when the call returns.
using System;
using System.Buffers.Binary;
using Bootstage.Platform;

namespace Bootstage.HyperV.HostModel
{
    public unsafe partial class HyperVHost
    {
        // HvPostMessage input: u32 ConnectionId; u32 RsvdZ; u32 MessageType; u32 PayloadSize; u8 Message[240].
        private const int PostMessageInputSize = 256;
        private const int PostMessageHeaderSize = 16;

        // HvSignalEvent input: u32 ConnectionId; u16 FlagNumber; u16 RsvdZ.
        private const int SignalEventInputSize = 8;

        public override ulong Hypercall(void* hypercallPage, ulong control, ulong inputPhysical, ulong outputPhysical)
        {
            lock (_gate)
            {
                Trace.Counters.Hypercalls++;
                ushort code = (ushort)control;
                ushort status = Dispatch(hypercallPage, control, inputPhysical, out string detail);
                AddTrace(TraceDirection.GuestToHost, status == HvStatus.Success ? TraceKind.Hypercall : TraceKind.Fault, code, $"status {status}: {detail}");

                // Posted messages are answered at once; signalled rings are read on a later turn.
                Pump(drainRings: false);
                return status;
            }
        }

        private ushort Dispatch(void* hypercallPage, ulong control, ulong input, out string detail)
        {
            // Without an enabled page there is no stub to call; the answer is the one a machine without
            // a hypervisor gives (SimulatedPlatform): the call code is not recognised.
            if (!HypercallEnabled || GuestOsId == 0 || VirtualToPhysical(hypercallPage) != HypercallPageAddress)
            {
                detail = !HypercallEnabled ? "hypercall page disabled" : GuestOsId == 0 ? "GUEST_OS_ID is 0" : "not the hypercall page";
                return HvStatus.InvalidHypercallCode;
            }

            if ((control & HvCallCode.ReservedMask) != 0 || (control >> 32 & 0xFFF) != 0 || (control >> 48 & 0xFFF) != 0)
            {
                // Both calls are simple: a rep count or start index is as wrong as a reserved bit.
                detail = $"control 0x{control:X} has reserved or rep bits set";
                return HvStatus.InvalidHypercallInput;
            }

            bool fast = (control & HvCallCode.FastBit) != 0;
            switch ((ushort)control)
            {
                case HvCallCode.PostMessage:
                    return PostMessage(fast, input, out detail);
                case HvCallCode.SignalEvent:
                    return SignalEvent(fast, input, out detail);
                default:
                    detail = "unknown call code";
                    return HvStatus.InvalidHypercallCode;
            }
        }

        private ushort PostMessage(bool fast, ulong input, out string detail)
        {
            if ((_privileges & HvFeature.PostMessages) == 0)
            {
                detail = "no PostMessages privilege";
                return HvStatus.AccessDenied;
            }

            if (fast)
            {
                // A 256-byte block cannot travel in two registers.
                detail = "HvPostMessage has no fast form";
                return HvStatus.InvalidHypercallInput;
            }

            Span<byte> block = stackalloc byte[PostMessageInputSize];
            ushort status = ReadInputBlock(input, block, out detail);
            if (status != HvStatus.Success)
            {
                return status;
            }

            uint connectionId = BinaryPrimitives.ReadUInt32LittleEndian(block);
            uint messageType = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(8));
            uint payloadSize = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(12));
            if (!AcceptsConnection(connectionId, block.Slice(PostMessageHeaderSize), out detail))
            {
                return HvStatus.InvalidConnectionId;
            }

            if (messageType != VmBusConstants.SynIcMessageType)
            {
                detail = $"message type {messageType} is not the VMBus type 1";
                return HvStatus.InvalidParameter;
            }

            if (payloadSize > SynIcLayout.MaxPayload)
            {
                detail = $"payload size {payloadSize} exceeds 240";
                return HvStatus.InvalidParameter;
            }

            if (Faults.PostRefusal != 0 && TimeRefCount < Faults.PostRefusalUntil)
            {
                detail = $"refused by the fault knob until {Faults.PostRefusalUntil}";
                Trace.Counters.RefusedPosts++;
                return Faults.PostRefusal;
            }

            if (_posted.Count >= Options.PostQueueCapacity)
            {
                detail = $"{_posted.Count} posts already queued";
                Trace.Counters.RefusedPosts++;
                return HvStatus.InsufficientBuffers;
            }

            if (Options.PostBurstCapacity > 0 && _postsThisTurn >= Options.PostBurstCapacity)
            {
                detail = $"{_postsThisTurn} posts since the guest last polled";
                Trace.Counters.RefusedPosts++;
                return HvStatus.InsufficientBuffers;
            }

            _postsThisTurn++;

            byte[] message = block.Slice(PostMessageHeaderSize, (int)payloadSize).ToArray();
            VmBusMessageType vmBusType = (VmBusMessageType)ReadType(message);
            Trace.Counters.CountPosted(vmBusType);
            _posted.Enqueue((connectionId, message));
            detail = $"posted {vmBusType} ({payloadSize} bytes)";
            return HvStatus.Success;
        }

        /// <summary>
        /// Message connections (docs/hyperv.md §5): 1 on every host; 4 only on hosts of VMBus 5.0 and
        /// later, where a 5.x INITIATE_CONTACT goes to it. While a 5.x connection stands, every other
        /// message must use the msg_conn_id the VERSION_RESPONSE named; on older connections, 1.
        /// </summary>
        private bool AcceptsConnection(uint connectionId, ReadOnlySpan<byte> message, out string detail)
        {
            bool v5Host = HostProfiles.MaxVmBusVersion(Profile) >= VmBusVersion.Win10V5;
            if (connectionId != VmBusConstants.MessageConnectionId && (connectionId != VmBusConstants.MessageConnectionId4 || !v5Host))
            {
                detail = $"connection {connectionId} is not a VMBus message connection of {Profile}";
                return false;
            }

            VmBusMessageType type = message.Length >= 4 ? (VmBusMessageType)BinaryPrimitives.ReadUInt32LittleEndian(message) : 0;
            if (type != VmBusMessageType.InitiateContact && VmBus.IsConnected && connectionId != VmBus.MessageConnectionId)
            {
                detail = $"{type} on connection {connectionId}; this connection's messages go to {VmBus.MessageConnectionId}";
                return false;
            }

            detail = string.Empty;
            return true;
        }

        private ushort SignalEvent(bool fast, ulong input, out string detail)
        {
            if ((_privileges & HvFeature.SignalEvents) == 0)
            {
                detail = "no SignalEvents privilege";
                return HvStatus.AccessDenied;
            }

            uint connectionId;
            ushort flagNumber;
            if (fast)
            {
                // Fast form: the input block itself travels in the input register.
                connectionId = (uint)input;
                flagNumber = (ushort)(input >> 32);
            }
            else
            {
                Span<byte> block = stackalloc byte[SignalEventInputSize];
                ushort status = ReadInputBlock(input, block, out detail);
                if (status != HvStatus.Success)
                {
                    return status;
                }

                connectionId = BinaryPrimitives.ReadUInt32LittleEndian(block);
                flagNumber = BinaryPrimitives.ReadUInt16LittleEndian(block.Slice(4));
            }

            if (flagNumber != 0)
            {
                // VMBus event connections have a single flag.
                detail = $"flag number {flagNumber} on connection {connectionId}";
                return HvStatus.InvalidParameter;
            }

            ushort result = VmBus.OnGuestSignal(connectionId, out detail);
            if (result == HvStatus.Success)
            {
                Trace.Counters.GuestSignals++;
            }

            return result;
        }

        /// <summary>Copies a memory-form input block after the TLFS alignment, page and ownership checks.</summary>
        private ushort ReadInputBlock(ulong input, Span<byte> block, out string detail)
        {
            if ((input & 7) != 0)
            {
                detail = $"input 0x{input:X} is not 8-byte aligned";
                return HvStatus.InvalidAlignment;
            }

            if ((input & (PhysicalRegion.PageSize - 1)) + (ulong)block.Length > PhysicalRegion.PageSize)
            {
                detail = $"input 0x{input:X} crosses a page";
                return HvStatus.InvalidAlignment;
            }

            if (!TryReadGuest(input, block))
            {
                detail = $"input 0x{input:X} is not guest memory";
                return HvStatus.InvalidParameter;
            }

            detail = string.Empty;
            return HvStatus.Success;
        }
    }
}
