// The VMBus host's GPADL and channel messages (docs/hyperv.md §6–7):
// GPADL_HEADER/BODY → GPADL_CREATED once every PFN is in, GPADL_TEARDOWN → GPADL_TORNDOWN (unknown
// ids ignored), OPENCHANNEL → OPENCHANNEL_RESULT with the open id echoed, CLOSECHANNEL without a
// reply and tolerated for channels that are not open. Every field comes from the guest and is
// checked before use; a refusal is a non-zero status in the reply, never an exception.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using Bootstage.Platform;

namespace Bootstage.HyperV.HostModel
{
    public sealed partial class VmBusHost
    {
        private const int GpadlHeaderFixedSize = 20;
        private const int GpadlBodyFixedSize = 16;
        private const int OpenChannelFixedSize = 28;
        private const int OpenUserDataSize = 120;

        private readonly Dictionary<uint, HostGpadl> _gpadls = new();
        private readonly Dictionary<uint, HostGpadl> _pendingGpadls = new();

        /// <summary>GPADL ids the host currently holds (created and not torn down).</summary>
        public IReadOnlyCollection<uint> LiveGpadlIds => _gpadls.Keys;

        public bool TryGetGpadl(uint id, out HostGpadl gpadl)
        {
            if (_gpadls.TryGetValue(id, out HostGpadl? found))
            {
                gpadl = found;
                return true;
            }

            gpadl = null!;
            return false;
        }

        private void ClearGpadls()
        {
            _gpadls.Clear();
            _pendingGpadls.Clear();
        }

        private void HandleGpadlHeader(byte[] message)
        {
            if (message.Length < GpadlHeaderFixedSize)
            {
                Refuse(VmBusMessageType.GpadlHeader, $"GPADL_HEADER of {message.Length} bytes ignored");
                return;
            }

            ReadOnlySpan<byte> span = message;
            uint relId = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(8));
            uint id = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(12));
            ushort rangeBufferLength = BinaryPrimitives.ReadUInt16LittleEndian(span.Slice(16));
            ushort rangeCount = BinaryPrimitives.ReadUInt16LittleEndian(span.Slice(18));
            if (_gpadls.ContainsKey(id) || _pendingGpadls.ContainsKey(id))
            {
                // A duplicate id is ignored without a reply, as QEMU's host does.
                Refuse(VmBusMessageType.GpadlHeader, $"GPADL id {id} already in use; ignored");
                return;
            }

            HostGpadl gpadl = new HostGpadl(id, relId, rangeCount, rangeBufferLength);
            gpadl.Append(span.Slice(GpadlHeaderFixedSize));
            if (gpadl.IsComplete)
            {
                FinishGpadl(gpadl);
            }
            else
            {
                _pendingGpadls[id] = gpadl;
            }
        }

        private void HandleGpadlBody(byte[] message)
        {
            if (message.Length < GpadlBodyFixedSize)
            {
                Refuse(VmBusMessageType.GpadlBody, $"GPADL_BODY of {message.Length} bytes ignored");
                return;
            }

            ReadOnlySpan<byte> span = message;
            uint id = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(12));
            if (!_pendingGpadls.TryGetValue(id, out HostGpadl? gpadl))
            {
                Refuse(VmBusMessageType.GpadlBody, $"GPADL_BODY for GPADL {id} that awaits no body; ignored");
                return;
            }

            gpadl.BodyMessages++;
            int taken = gpadl.Append(span.Slice(GpadlBodyFixedSize));
            if (taken < span.Length - GpadlBodyFixedSize)
            {
                _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, (uint)VmBusMessageType.GpadlBody, $"GPADL {id}: {span.Length - GpadlBodyFixedSize - taken} bytes beyond range_buflen ignored");
            }

            if (gpadl.IsComplete)
            {
                _pendingGpadls.Remove(id);
                FinishGpadl(gpadl);
            }
        }

        private void FinishGpadl(HostGpadl gpadl)
        {
            uint status = 0;
            if (!gpadl.TryParse(out string error) || !PagesAreGuestMemory(gpadl, out error))
            {
                status = VmBusConstants.FailureStatus;
                Refuse(VmBusMessageType.GpadlHeader, $"GPADL {gpadl.Id} refused: {error}");
            }
            else
            {
                _gpadls[gpadl.Id] = gpadl;
            }

            byte[] reply = NewMessage(VmBusMessageType.GpadlCreated, 20);
            BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(8), gpadl.RelId);
            BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(12), gpadl.Id);
            BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(16), status);
            _host.SendVmBusMessage(reply);
        }

        private bool PagesAreGuestMemory(HostGpadl gpadl, out string error)
        {
            foreach (ulong pfn in gpadl.Pfns)
            {
                if (pfn > ulong.MaxValue / VmBusConstants.PageSize || !_host.IsGuestMemory(pfn * VmBusConstants.PageSize, PhysicalRegion.PageSize))
                {
                    error = $"PFN 0x{pfn:X} is not guest memory";
                    return false;
                }
            }

            error = string.Empty;
            return true;
        }

        private void HandleGpadlTeardown(byte[] message)
        {
            if (message.Length < 16)
            {
                Refuse(VmBusMessageType.GpadlTeardown, $"GPADL_TEARDOWN of {message.Length} bytes ignored");
                return;
            }

            _host.Trace.Counters.TeardownsReceived++;
            uint id = BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(12));
            _pendingGpadls.Remove(id);
            if (!_gpadls.Remove(id))
            {
                // Unknown (or already dropped by a reset): no answer, the guest must not wait for one.
                Refuse(VmBusMessageType.GpadlTeardown, $"GPADL {id} unknown; ignored");
                return;
            }

            foreach (HostChannel channel in _channels)
            {
                if (channel.IsOpen && channel.RingGpadlId == id)
                {
                    _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, (uint)VmBusMessageType.GpadlTeardown, $"GPADL {id} torn down under open channel {channel.RelId}; channel closed");
                    channel.CloseHostSide("ring GPADL torn down");
                }
            }

            byte[] reply = NewMessage(VmBusMessageType.GpadlTorndown, 12);
            BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(8), id);
            _host.SendVmBusMessage(reply);
        }

        private void HandleOpenChannel(byte[] message)
        {
            if (message.Length < OpenChannelFixedSize)
            {
                Refuse(VmBusMessageType.OpenChannel, $"OPENCHANNEL of {message.Length} bytes ignored");
                return;
            }

            ReadOnlySpan<byte> span = message;
            uint relId = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(8));
            uint openId = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(12));
            uint gpadlId = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(16));
            uint targetVp = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(20));
            uint downstreamOffset = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(24));
            byte[] userData = span.Slice(OpenChannelFixedSize, Math.Min(OpenUserDataSize, span.Length - OpenChannelFixedSize)).ToArray();

            HostChannel? channel = FindChannel(relId);
            string? error = channel switch
            {
                null => $"no channel {relId}",
                { IsRescinded: true } => $"channel {relId} was rescinded",
                { IsOffered: false } => $"channel {relId} was not offered on this connection",
                { IsOpen: true } => $"channel {relId} is already open",
                _ => null,
            };
            if (error == null && !_gpadls.TryGetValue(gpadlId, out _))
            {
                error = $"GPADL {gpadlId} does not exist";
            }

            if (error == null && channel != null)
            {
                channel.TryOpen(_gpadls[gpadlId], openId, downstreamOffset, targetVp, userData, out error);
            }

            uint status = error == null ? 0 : VmBusConstants.FailureStatus;
            if (error != null)
            {
                Refuse(VmBusMessageType.OpenChannel, $"open of channel {relId} refused: {error}");
            }

            byte[] reply = NewMessage(VmBusMessageType.OpenChannelResult, 20);
            BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(8), relId);
            BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(12), openId);
            BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(16), status);
            _host.SendVmBusMessage(reply);
            if (error == null && channel != null)
            {
                // The backend starts after the result is queued, so anything it sends comes behind it.
                channel.Device.OnOpen(channel);
                channel.Flush();
            }
        }

        private void HandleCloseChannel(byte[] message)
        {
            if (message.Length < 12)
            {
                Refuse(VmBusMessageType.CloseChannel, $"CLOSECHANNEL of {message.Length} bytes ignored");
                return;
            }

            uint relId = BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(8));
            HostChannel? channel = FindChannel(relId);
            if (channel == null || !channel.IsOpen)
            {
                // A guest reconnecting after a reset closes channels the host already forgot: fine, no reply.
                _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Lifecycle, relId, "CLOSECHANNEL for a channel that is not open; tolerated");
                return;
            }

            channel.CloseHostSide("CLOSECHANNEL");
        }

        private void HandleRelIdReleased(byte[] message)
        {
            if (message.Length < 12)
            {
                Refuse(VmBusMessageType.RelIdReleased, $"RELID_RELEASED of {message.Length} bytes ignored");
                return;
            }

            uint relId = BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(8));
            HostChannel? channel = FindChannel(relId);
            if (channel != null && channel.IsRescinded)
            {
                if (channel.IsOpen)
                {
                    channel.CloseHostSide("RELID_RELEASED");
                }

                _channels.Remove(channel);
                _host.AddTrace(TraceDirection.Host, TraceKind.Lifecycle, relId, "rescinded channel released");
                return;
            }

            Refuse(VmBusMessageType.RelIdReleased, $"RELID_RELEASED for channel {relId} that was not rescinded; ignored");
        }

        private void Refuse(VmBusMessageType type, string detail) => _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, (uint)type, detail);
    }
}
