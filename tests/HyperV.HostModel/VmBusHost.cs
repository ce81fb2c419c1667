// The VMBus host: the state machine behind the message connection (docs/hyperv.md
// §5–6). It reads the guest's channel messages in the order posted, answers
// them through the SynIC, and owns the channel list and the live GPADLs. INITIATE_CONTACT is accepted
// in any state and wipes the bus first (channels closed, GPADLs dropped, offers reset) without a
// teardown message for anything it drops. This part: connection, enumeration, signals; GPADLs and
// open/close are in VmBusHost.Channels.cs.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Threading;

namespace Bootstage.HyperV.HostModel
{
    /// <summary>Who holds the VMBus connection.</summary>
    public enum BusOwner
    {
        None,
        Guest,
        Loader,

        /// <summary>An outside party (a fault: <see cref="HostResetKind.ContactFromElsewhere"/>).</summary>
        Other,
    }

    public sealed unsafe partial class VmBusHost
    {
        // OFFERCHANNEL: 8-byte header, two GUIDs, ..., child_relid at 184, then (from the Win7
        // protocol on) monitor id at 188, monitor_allocated at 189 and connection_id at 192: 196
        // bytes; a 0.13 connection gets the 188-byte form (docs/hyperv.md §6).
        private const int OfferSize = 196;
        private const int Ws2008OfferSize = 188;
        private const int InitiateContactSize = 40;

        private readonly HyperVHost _host;
        private readonly List<HostChannel> _channels = new();
        private bool _lateOfferArmed;
        private uint _nextRelId = 1;
        private byte[]? _heldUnloadResponse;
        private ulong _unloadResponseDue;

        internal VmBusHost(HyperVHost host)
        {
            _host = host;
        }

        public bool IsConnected { get; private set; }

        /// <summary>Where the guest's messages go on this connection: 4 from VMBus 5.0 on, else 1.</summary>
        public uint MessageConnectionId => VmBusVersion.UsesContactConnection4(NegotiatedVersion) ? VmBusConstants.MessageConnectionId4 : VmBusConstants.MessageConnectionId;

        /// <summary>The version of the current connection; 0 when disconnected.</summary>
        public uint NegotiatedVersion { get; private set; }

        public BusOwner Owner { get; private set; }

        /// <summary>INITIATE_CONTACT messages from the guest the host accepted.</summary>
        public int ContactCount { get; private set; }

        /// <summary>INITIATE_CONTACT messages answered with version_supported = 0.</summary>
        public int RefusedContactCount { get; private set; }

        /// <summary>UNLOAD messages answered.</summary>
        public int UnloadCount { get; private set; }

        /// <summary>Bus resets for any reason (contact, unload, loader, fault).</summary>
        public int ResetCount { get; private set; }

        /// <summary>The interrupt page the guest named in INITIATE_CONTACT (used below VMBus 2.4).</summary>
        public ulong InterruptPage { get; private set; }

        public ulong MonitorPage1 { get; private set; }

        public ulong MonitorPage2 { get; private set; }

        public IReadOnlyList<HostChannel> Channels => _channels;

        public HostChannel? FindChannel(uint relId)
        {
            foreach (HostChannel channel in _channels)
            {
                if (channel.RelId == relId)
                {
                    return channel;
                }
            }

            return null;
        }

        internal HyperVHost Host => _host;

        internal HostChannel AddChannel(Guid classId, Guid instanceId, IHostDevice device, bool lateOffer)
        {
            HostChannel channel = new HostChannel(this, _nextRelId++, classId, instanceId, device, lateOffer);
            channel.MaxPacketSize = _host.Options.MaxHostPacketSize;
            _channels.Add(channel);
            return channel;
        }

        /// <summary>Handles one message the guest posted (payload of the SynIC message, header included).</summary>
        internal void Process(byte[] message, uint connectionId = VmBusConstants.MessageConnectionId)
        {
            if (message.Length < VmBusConstants.MessageHeaderSize)
            {
                _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, HyperVHost.ReadType(message), $"message of {message.Length} bytes has no VMBus header");
                return;
            }

            VmBusMessageType type = (VmBusMessageType)HyperVHost.ReadType(message);
            _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Message, (uint)type, VmBusMessageText.Describe(message));
            if (_lateOfferArmed)
            {
                // The late offer goes out ahead of whatever this message provokes, so it reaches the guest
                // while it waits for that answer rather than during enumeration.
                _lateOfferArmed = false;
                SendLateOffers();
            }

            if (_host.Faults.TakeReset(type, out HostResetKind kind))
            {
                _host.AddTrace(TraceDirection.Host, TraceKind.Fault, (uint)type, $"host reset ({kind}) before handling the guest's message");
                uint version = NegotiatedVersion;
                Reset($"fault {kind}");
                if (kind == HostResetKind.ContactFromElsewhere && version != 0)
                {
                    Connect(BusOwner.Other, version);
                }
            }

            switch (type)
            {
                case VmBusMessageType.InitiateContact:
                    HandleInitiateContact(message, connectionId);
                    return;
                case VmBusMessageType.Unload:
                    HandleUnload();
                    return;
            }

            if (!IsConnected)
            {
                _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, (uint)type, "ignored: no VMBus connection");
                return;
            }

            switch (type)
            {
                case VmBusMessageType.RequestOffers:
                    HandleRequestOffers();
                    break;
                case VmBusMessageType.GpadlHeader:
                    HandleGpadlHeader(message);
                    break;
                case VmBusMessageType.GpadlBody:
                    HandleGpadlBody(message);
                    break;
                case VmBusMessageType.GpadlTeardown:
                    HandleGpadlTeardown(message);
                    break;
                case VmBusMessageType.OpenChannel:
                    HandleOpenChannel(message);
                    break;
                case VmBusMessageType.CloseChannel:
                    HandleCloseChannel(message);
                    break;
                case VmBusMessageType.RelIdReleased:
                    HandleRelIdReleased(message);
                    break;
                default:
                    _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, (uint)type, "ignored: not a message a guest sends to this host");
                    break;
            }
        }

        /// <summary>
        /// Drops everything the connection held: channels closed host-side (their backends are told), GPADLs
        /// freed, offers forgotten, rescinded channels gone. The guest is told nothing.
        /// </summary>
        internal void Reset(string reason)
        {
            foreach (HostChannel channel in _channels)
            {
                if (channel.IsOpen)
                {
                    channel.CloseHostSide(reason);
                }

                channel.IsOffered = false;
            }

            _channels.RemoveAll(channel => channel.IsRescinded);
            ClearGpadls();
            IsConnected = false;
            NegotiatedVersion = 0;
            Owner = BusOwner.None;
            InterruptPage = 0;
            MonitorPage1 = 0;
            MonitorPage2 = 0;
            _lateOfferArmed = false;
            ResetCount++;
            _host.AddTrace(TraceDirection.Host, TraceKind.Lifecycle, 0, $"bus reset: {reason}");
        }

        /// <summary>Marks the bus connected by someone other than the guest's INITIATE_CONTACT (loader, fault).</summary>
        internal void Connect(BusOwner owner, uint version)
        {
            IsConnected = true;
            NegotiatedVersion = version;
            Owner = owner;
        }

        internal void SendOffer(HostChannel channel)
        {
            bool longForm = NegotiatedVersion >= VmBusVersion.Win7;
            byte[] offer = NewMessage(VmBusMessageType.OfferChannel, longForm ? OfferSize : Ws2008OfferSize);
            Span<byte> span = offer;
            channel.ClassId.TryWriteBytes(span.Slice(8, 16));
            channel.InstanceId.TryWriteBytes(span.Slice(24, 16));
            BinaryPrimitives.WriteUInt16LittleEndian(span.Slice(56), channel.ChannelFlags);
            channel.UserDefined.AsSpan(0, Math.Min(channel.UserDefined.Length, 120)).CopyTo(span.Slice(60));
            BinaryPrimitives.WriteUInt32LittleEndian(span.Slice(184), channel.RelId);
            if (longForm)
            {
                // Real hosts offer synthetic devices monitored: the guest may set the channel's bit in
                // the child→parent monitor page instead of calling HvSignalEvent; both are honoured.
                span[188] = channel.MonitorId;
                span[189] = channel.Monitored ? (byte)1 : (byte)0;
                BinaryPrimitives.WriteUInt32LittleEndian(span.Slice(192), channel.ConnectionId);
            }

            channel.IsOffered = true;
            _host.SendVmBusMessage(offer);
        }

        internal void Rescind(HostChannel channel)
        {
            if (channel.IsRescinded)
            {
                return;
            }

            channel.IsRescinded = true;
            byte[] message = NewMessage(VmBusMessageType.RescindChannelOffer, 12);
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), channel.RelId);
            _host.SendVmBusMessage(message);
        }

        /// <summary>HvSignalEvent from the guest: connection 2 scans the interrupt page, 16+relid drains one channel.</summary>
        internal ushort OnGuestSignal(uint connectionId, out string detail)
        {
            if (connectionId == VmBusConstants.EventConnectionId)
            {
                detail = "interrupt page scan";
                ScanInterruptPage();
                return HvStatus.Success;
            }

            foreach (HostChannel channel in _channels)
            {
                if (channel.ConnectionId == connectionId)
                {
                    detail = $"channel {channel.RelId}";
                    _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Signal, channel.RelId, $"connection {connectionId}");
                    channel.OnGuestSignal();
                    return HvStatus.Success;
                }
            }

            detail = $"no event connection {connectionId}";
            return HvStatus.InvalidConnectionId;
        }

        /// <summary>Tells the guest a channel's host→guest ring has data, the way the negotiated version defines.</summary>
        internal void InterruptGuest(HostChannel channel)
        {
            bool flagged;
            if (VmBusVersion.UsesInterruptPage(NegotiatedVersion))
            {
                // Old protocols: bit relid in the receive half of the interrupt page, then SIEF SINT2 bit 0.
                flagged = SetInterruptPageBit(channel.RelId) && _host.SynIcState.SetEventFlag(VmBusConstants.MessageSint, 0);
            }
            else
            {
                flagged = _host.SynIcState.SetEventFlag(VmBusConstants.MessageSint, (int)channel.RelId);
            }

            channel.InterruptsSent++;
            _host.AddTrace(TraceDirection.HostToGuest, TraceKind.Signal, channel.RelId, flagged ? "event flag set" : "event flag could not be set (SIEFP/interrupt page unavailable)");
        }

        /// <summary>Lets backends do periodic work and pushes out packets that were waiting for ring space.</summary>
        internal void RunDevices(bool drain)
        {
            ReadMonitorTriggers();
            for (int i = 0; i < _channels.Count; i++)
            {
                HostChannel channel = _channels[i];
                if (channel.IsOpen)
                {
                    channel.Service(drain && _host.Faults.TakeDrainTurn());
                    channel.Flush();
                    channel.Device.OnPoll(channel);
                    channel.Flush();
                }
            }
        }

        // A monitored channel may be signalled by setting its bit in the child→parent monitor page
        // (trigger_group[id / 32].pending, the u32 at 8 + 8 * group) instead of by hypercall.
        private void ReadMonitorTriggers()
        {
            if (MonitorPage2 == 0 || NegotiatedVersion < VmBusVersion.Win7)
            {
                return;
            }

            foreach (HostChannel channel in _channels)
            {
                if (!channel.IsOpen || !channel.Monitored)
                {
                    continue;
                }

                ulong address = MonitorPage2 + 8 + 8 * (ulong)(channel.MonitorId / 32);
                if (!_host.TryGetGuestMemory(address, 4, out void* pointer))
                {
                    continue;
                }

                uint bit = 1u << (channel.MonitorId % 32);
                if ((Volatile.Read(ref *(uint*)pointer) & bit) != 0)
                {
                    Interlocked.And(ref *(int*)pointer, (int)~bit);
                    _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Signal, channel.RelId, "monitor trigger bit");
                    channel.OnGuestSignal();
                }
            }
        }

        internal static byte[] NewMessage(VmBusMessageType type, int size)
        {
            byte[] message = new byte[size];
            BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)type);
            return message;
        }

        private void HandleInitiateContact(byte[] message, uint connectionId)
        {
            if (message.Length < InitiateContactSize)
            {
                _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, (uint)VmBusMessageType.InitiateContact, $"INITIATE_CONTACT of {message.Length} bytes ignored");
                return;
            }

            ReadOnlySpan<byte> span = message;
            uint version = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(8));
            Reset($"INITIATE_CONTACT 0x{version:X}");
            // A 5.x contact belongs on connection 4 and an older one on 1 (Linux connection.c).
            bool rightConnection = VmBusVersion.UsesContactConnection4(version)
                ? connectionId == VmBusConstants.MessageConnectionId4
                : connectionId == VmBusConstants.MessageConnectionId;
            bool supported = rightConnection && HostProfiles.SupportsVersion(_host.Profile, version);
            if (supported)
            {
                Connect(BusOwner.Guest, version);
                InterruptPage = BinaryPrimitives.ReadUInt64LittleEndian(span.Slice(16));
                MonitorPage1 = BinaryPrimitives.ReadUInt64LittleEndian(span.Slice(24));
                MonitorPage2 = BinaryPrimitives.ReadUInt64LittleEndian(span.Slice(32));
                ContactCount++;
            }
            else
            {
                RefusedContactCount++;
            }

            // VERSION_RESPONSE: u8 version_supported; u8 connection_state; u16 pad; u32 msg_conn_id (0 below 5.0).
            byte[] response = NewMessage(VmBusMessageType.VersionResponse, 16);
            response[8] = supported ? (byte)1 : (byte)0;
            if (supported && VmBusVersion.UsesContactConnection4(version))
            {
                BinaryPrimitives.WriteUInt32LittleEndian(response.AsSpan(12), VmBusConstants.MessageConnectionId4);
            }

            _host.SendVmBusMessage(response);
        }

        private void HandleUnload()
        {
            if (!HostProfiles.SupportsUnload(_host.Profile))
            {
                _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, (uint)VmBusMessageType.Unload, $"{_host.Profile} does not support UNLOAD; ignored");
                return;
            }

            byte[] response = NewMessage(VmBusMessageType.UnloadResponse, VmBusConstants.MessageHeaderSize);
            if (_host.Faults.UnloadDelay != 0)
            {
                // Azure hosts flush the disk cache before they answer; Linux waits up to 100 s for it.
                _heldUnloadResponse = response;
                _unloadResponseDue = _host.TimeRefCount + _host.Faults.UnloadDelay;
            }
            else
            {
                _host.SendVmBusMessage(response);
            }

            Reset("UNLOAD");
            UnloadCount++;
        }

        /// <summary>Sends a held UNLOAD_RESPONSE once its time has come.</summary>
        internal void ReleaseDueMessages()
        {
            if (_heldUnloadResponse != null && _host.TimeRefCount >= _unloadResponseDue)
            {
                byte[] response = _heldUnloadResponse;
                _heldUnloadResponse = null;
                _host.SendVmBusMessage(response);
            }
        }

        private void HandleRequestOffers()
        {
            foreach (HostChannel channel in _channels)
            {
                if (!channel.IsRescinded && !channel.IsLateOffer)
                {
                    SendOffer(channel);
                }
            }

            _host.SendVmBusMessage(NewMessage(VmBusMessageType.AllOffersDelivered, VmBusConstants.MessageHeaderSize));
            if (HostProfiles.OffersLatePcie(_host.Profile))
            {
                _lateOfferArmed = true;
            }
        }

        private void SendLateOffers()
        {
            HostChannel? pcie = null;
            foreach (HostChannel channel in _channels)
            {
                if (channel.IsLateOffer && !channel.IsRescinded)
                {
                    pcie = channel;
                }
            }

            // Azure NC-series: the GPU's PCIe pass-through channel shows up after enumeration has finished.
            pcie ??= AddChannel(HostDeviceClasses.PciePassThrough, new Guid("2d4f6c1e-0a57-4ac5-8f3e-4b8c9d6e7f01"), new AutoCompleteDevice(), true);
            _host.AddTrace(TraceDirection.Host, TraceKind.Lifecycle, pcie.RelId, "late PCIe pass-through offer");
            SendOffer(pcie);
        }

        private bool SetInterruptPageBit(uint relId)
        {
            // The receive half is the first 2048 bytes of the interrupt page.
            if (relId >= 2048 * 8 || InterruptPage == 0 || !_host.IsGuestMemory(InterruptPage + relId / 8, 1))
            {
                return false;
            }

            Span<byte> bit = stackalloc byte[1];
            _host.TryReadGuest(InterruptPage + relId / 8, bit);
            bit[0] |= (byte)(1 << (int)(relId % 8));
            return _host.TryWriteGuest(InterruptPage + relId / 8, bit);
        }

        private void ScanInterruptPage()
        {
            const int half = VmBusConstants.PageSize / 2;
            byte[] sendHalf = new byte[half];
            if (InterruptPage == 0 || !_host.TryReadGuest(InterruptPage + half, sendHalf))
            {
                _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, VmBusConstants.EventConnectionId, "event connection signalled without a usable interrupt page");
                return;
            }

            for (int index = 0; index < half; index++)
            {
                if (sendHalf[index] == 0)
                {
                    continue;
                }

                // Clear the bits the host consumes, then serve each channel whose bit was set.
                _host.TryWriteGuest(InterruptPage + half + (ulong)index, new byte[1]);
                for (int bit = 0; bit < 8; bit++)
                {
                    if ((sendHalf[index] & (1 << bit)) != 0)
                    {
                        HostChannel? channel = FindChannel((uint)(index * 8 + bit));
                        _host.AddTrace(TraceDirection.GuestToHost, TraceKind.Signal, (uint)(index * 8 + bit), "interrupt page bit");
                        channel?.OnGuestSignal();
                    }
                }
            }
        }
    }
}
