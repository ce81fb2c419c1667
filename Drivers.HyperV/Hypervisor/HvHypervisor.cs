// The Hyper-V hypervisor interface as a guest uses it (TLFS: "Hypercall Interface", "Synthetic
// Interrupt Controller", "Inter-Partition Communication"; docs/hyperv.md §1–4 and §11):
// detect and check features, announce our guest OS identity, map the hypercall page, map the
// SynIC message and event-flag pages, unmask the VMBus SINT, post messages and signal events, wait
// for messages with a timeout, and the quiesce/reclaim pair used around the OS loader handoff.
// Everything goes through IPlatform, so the same code runs in the image and against the host model.
using System;
using System.Threading;
using Bootstage.Platform;

namespace Bootstage.Drivers.HyperV.Hypervisor
{
    public sealed unsafe class HvHypervisor
    {
        /// <summary>The SINT VMBus messages arrive on.</summary>
        public const int VmBusSint = 2;

        /// <summary>SynIC message type of VMBus channel messages.</summary>
        public const uint VmBusMessageType = 1;

        public const int MaxMessagePayload = 240;

        private const ushort HvCallPostMessage = 0x005C;
        private const ushort HvCallSignalEvent = 0x005D;
        private const ulong HypercallFast = 1UL << 16;

        // HV_MESSAGE in a SIMP slot: type, payload size, flags, reserved, sender, payload.
        private const int SlotSize = 256;
        private const int SlotTypeOffset = 0;
        private const int SlotSizeOffset = 4;
        private const int SlotFlagsOffset = 5;
        private const int SlotPayloadOffset = 16;
        private const byte MessagePending = 1;
        private const ulong SintVector = 0xF0;

        // Feature bits this driver needs (CPUID 0x40000003).
        private const uint RequiredFeatures = HypervisorInfo.FeatureTimeRefCount | HypervisorInfo.FeatureSynIc | HypervisorInfo.FeatureHypercall;
        private const uint PrivilegePostMessages = 1u << 4;
        private const uint PrivilegeSignalEvents = 1u << 5;

        private readonly IPlatform _platform;
        private HypervisorInfo _info;
        private PhysicalRegion _hypercallPage;
        private PhysicalRegion _messagePage;
        private PhysicalRegion _eventPage;
        private PhysicalRegion _inputPage;
        private bool _mapped;
        private ulong _messagesReceived;
        private ulong _endOfMessages;
        private ulong _reclaims;
        private ulong _resumes;

        public HvHypervisor(IPlatform platform)
        {
            _platform = platform;
        }

        public IPlatform Platform => _platform;

        public HypervisorInfo Info => _info;

        public bool IsMapped => _mapped;

        public ulong MessagesReceived => _messagesReceived;

        public ulong EndOfMessages => _endOfMessages;

        /// <summary>How many times Reclaim found the SynIC taken and mapped it again.</summary>
        public ulong Reclaims => _reclaims;

        /// <summary>How many times Reclaim found the SynIC as Quiesce left it and simply enabled it again.</summary>
        public ulong Resumes => _resumes;

        /// <summary>The event-flag page (SIEF) the host sets channel bits in.</summary>
        public PhysicalRegion EventPage => _eventPage;

        /// <summary>
        /// Detects Hyper-V, checks the features we rely on, refuses a hypervisor interface that
        /// Generation 2 firmware already owns, then maps the hypercall page and the SynIC.
        /// </summary>
        public HvStatus Initialize()
        {
            _info = HypervisorDetection.Detect(_platform);
            if (!_info.HasHyperVInterface)
            {
                return HvStatus.NotPresent;
            }

            if ((_info.Features & RequiredFeatures) != RequiredFeatures
                || (_info.Privileges & (PrivilegePostMessages | PrivilegeSignalEvents)) != (PrivilegePostMessages | PrivilegeSignalEvents))
            {
                return HvStatus.MissingFeature;
            }

            if (_platform.ReadMsr(HyperVMsr.GuestOsId, out ulong guestOsId) != PlatformStatus.Success)
            {
                return HvStatus.PlatformFault;
            }

            if (guestOsId == HyperVMsr.Gen2UefiGuestOsId)
            {
                return HvStatus.FirmwareOwnsHypervisor;
            }

            if (_hypercallPage.IsEmpty)
            {
                if (!Allocate(ref _hypercallPage) || !Allocate(ref _messagePage) || !Allocate(ref _eventPage) || !Allocate(ref _inputPage))
                {
                    return HvStatus.NoMemory;
                }
            }

            return Map();
        }

        private bool Allocate(ref PhysicalRegion region)
        {
            return _platform.AllocatePages(1, out region) == PlatformStatus.Success;
        }

        // GUEST_OS_ID first (the hypercall page cannot be enabled without it), then the pages, then
        // SCONTROL and the VMBus SINT. Every page MSR is read, changed in its address and enable
        // bits only, and written back: its reserved bits are the hypervisor's (docs/hyperv.md §2).
        private HvStatus Map()
        {
            if (_platform.WriteMsr(HyperVMsr.GuestOsId, HyperVMsr.BootstageGuestOsId) != PlatformStatus.Success
                || !PointPage(HyperVMsr.Hypercall, _hypercallPage.PhysicalAddress | HyperVMsr.Enable, HyperVMsr.HypercallReserved))
            {
                return HvStatus.PlatformFault;
            }

            new Span<byte>(_messagePage.VirtualAddress, (int)PhysicalRegion.PageSize).Clear();
            new Span<byte>(_eventPage.VirtualAddress, (int)PhysicalRegion.PageSize).Clear();
            if (!PointPage(HyperVMsr.Simp, _messagePage.PhysicalAddress | HyperVMsr.Enable, HyperVMsr.OverlayReserved)
                || !PointPage(HyperVMsr.Siefp, _eventPage.PhysicalAddress | HyperVMsr.Enable, HyperVMsr.OverlayReserved)
                || _platform.ReadMsr(HyperVMsr.SControl, out ulong scontrol) != PlatformStatus.Success
                || _platform.WriteMsr(HyperVMsr.SControl, scontrol | HyperVMsr.Enable) != PlatformStatus.Success
                || _platform.ReadMsr(HyperVMsr.Sint0 + VmBusSint, out ulong sint) != PlatformStatus.Success)
            {
                return HvStatus.PlatformFault;
            }

            // Polled: we never rely on the interrupt, but the SINT must be unmasked for delivery.
            // Vector 0xF0 with auto-EOI: harmless if interrupts are ever enabled (the IDT returns
            // from vectors >= 0x30 and auto-EOI needs no APIC acknowledgement).
            ulong unmasked = (sint & ~(HyperVMsr.SintMasked | 0xFFUL)) | HyperVMsr.SintAutoEoi | SintVector;
            if (_platform.WriteMsr(HyperVMsr.Sint0 + VmBusSint, unmasked) != PlatformStatus.Success)
            {
                return HvStatus.PlatformFault;
            }

            _mapped = true;
            return HvStatus.Success;
        }

        // Read-modify-write of a page MSR: keep the reserved bits, replace address and enable.
        private bool PointPage(uint msr, ulong value, ulong reserved)
        {
            return _platform.ReadMsr(msr, out ulong current) == PlatformStatus.Success
                && _platform.WriteMsr(msr, (current & reserved) | (value & ~reserved)) == PlatformStatus.Success;
        }

        /// <summary>
        /// The SynIC is ours exactly when SIMP is enabled and names our message page; its reserved
        /// bits do not matter. A loader that disabled SIMP, or pointed it at a page of its own, has
        /// taken it (iPXE reclaims on the enable bit alone; the address check also catches the
        /// second kind; docs/hyperv.md §11).
        /// </summary>
        public bool IsSynicOwned()
        {
            if (_messagePage.IsEmpty || _platform.ReadMsr(HyperVMsr.Simp, out ulong simp) != PlatformStatus.Success)
            {
                return false;
            }

            return (simp & HyperVMsr.Enable) != 0 && (simp & HyperVMsr.PageMask) == _messagePage.PhysicalAddress;
        }

        /// <summary>
        /// Hands the hypervisor interface back before the OS loader runs (and after every INT 13h
        /// call): masks the VMBus SINT, clears the enable bits of SIMP, SIEFP and the hypercall
        /// page (their addresses and reserved bits stay, so a later look can tell whether anyone
        /// touched them) and zeroes GUEST_OS_ID. SCONTROL stays set (clearing it makes WS2016
        /// hang). Pages and all VMBus state stay in memory (docs/hyperv.md §11).
        /// </summary>
        public void Quiesce()
        {
            if (!_mapped)
            {
                return;
            }

            if (_platform.ReadMsr(HyperVMsr.Sint0 + VmBusSint, out ulong sint) == PlatformStatus.Success)
            {
                _platform.WriteMsr(HyperVMsr.Sint0 + VmBusSint, sint | HyperVMsr.SintMasked);
            }

            Disable(HyperVMsr.Simp);
            Disable(HyperVMsr.Siefp);
            Disable(HyperVMsr.Hypercall);
            _platform.WriteMsr(HyperVMsr.GuestOsId, 0);
            _mapped = false;
        }

        private void Disable(uint msr)
        {
            if (_platform.ReadMsr(msr, out ulong value) == PlatformStatus.Success)
            {
                _platform.WriteMsr(msr, value & ~HyperVMsr.Enable);
            }
        }

        /// <summary>
        /// Called on re-entry (each INT 13 call). Three cases: the SynIC is still ours (nothing to
        /// do); it is exactly as our Quiesce left it (our message page, disabled, GUEST_OS_ID 0:
        /// nobody touched it, so the pages are enabled again and the VMBus connection carries on);
        /// or someone else has it (enabled on another page, or disabled somewhere else, or a new
        /// guest identity): everything is mapped again and <paramref name="reclaimed"/> tells the
        /// caller to re-establish VMBus, because the old connection is gone (docs/hyperv.md §11).
        /// </summary>
        public HvStatus Reclaim(out bool reclaimed)
        {
            reclaimed = false;
            if (_mapped && IsSynicOwned())
            {
                return HvStatus.Success;
            }

            if (_hypercallPage.IsEmpty)
            {
                return HvStatus.NotPresent;
            }

            bool untouched = !_mapped && IsAsQuiesced();
            HvStatus status = Map();
            if (status != HvStatus.Success)
            {
                return status;
            }

            if (untouched)
            {
                _resumes++;
            }
            else
            {
                reclaimed = true;
                _reclaims++;
            }

            return status;
        }

        // Our message page with the enable bit clear and no guest identity: what Quiesce leaves.
        private bool IsAsQuiesced()
        {
            return _platform.ReadMsr(HyperVMsr.Simp, out ulong simp) == PlatformStatus.Success
                && _platform.ReadMsr(HyperVMsr.GuestOsId, out ulong guestOsId) == PlatformStatus.Success
                && (simp & HyperVMsr.Enable) == 0
                && (simp & HyperVMsr.PageMask) == _messagePage.PhysicalAddress
                && guestOsId == 0;
        }

        /// <summary>The partition reference counter in 100 ns units (the driver's clock).</summary>
        public ulong ReferenceTime
        {
            get
            {
                _platform.ReadMsr(HyperVMsr.TimeRefCount, out ulong time);
                return time;
            }
        }

        /// <summary>Waits <paramref name="time100ns"/> on the partition reference counter, pausing between reads.</summary>
        public void Stall(ulong time100ns)
        {
            ulong start = ReferenceTime;
            while (ReferenceTime - start < time100ns)
            {
                _platform.Pause();
            }
        }

        /// <summary>HvPostMessage: sends one SynIC message to a connection (VMBus: connection 1).</summary>
        public HvStatus PostMessage(uint connectionId, uint messageType, ReadOnlySpan<byte> payload)
        {
            if (payload.Length > MaxMessagePayload)
            {
                return HvStatus.InvalidParameter;
            }

            // The input block lives alone in its own page: 8-byte aligned and never across a page.
            byte* input = (byte*)_inputPage.VirtualAddress;
            new Span<byte>(input, 16 + MaxMessagePayload).Clear();
            *(uint*)input = connectionId;
            *(uint*)(input + 8) = messageType;
            *(uint*)(input + 12) = (uint)payload.Length;
            payload.CopyTo(new Span<byte>(input + 16, MaxMessagePayload));
            ulong result = _platform.Hypercall(_hypercallPage.VirtualAddress, HvCallPostMessage, _inputPage.PhysicalAddress, 0);
            return (HvStatus)(ushort)result;
        }

        /// <summary>HvSignalEvent (fast form): sets event flag <paramref name="flag"/> of a connection.</summary>
        public HvStatus SignalEvent(uint connectionId, ushort flag)
        {
            ulong parameter = connectionId | ((ulong)flag << 32);
            ulong result = _platform.Hypercall(_hypercallPage.VirtualAddress, HvCallSignalEvent | HypercallFast, parameter, 0);
            return (HvStatus)(ushort)result;
        }

        /// <summary>
        /// Takes the message waiting in the VMBus SINT slot, if any: copies its payload, frees the
        /// slot and signals end-of-message so the hypervisor can deliver the next one.
        /// </summary>
        public bool TryReceiveMessage(Span<byte> buffer, out int length, out uint messageType)
        {
            byte* slot = (byte*)_messagePage.VirtualAddress + VmBusSint * SlotSize;
            messageType = Volatile.Read(ref *(uint*)(slot + SlotTypeOffset));
            if (messageType == 0)
            {
                length = 0;
                return false;
            }

            // The size byte is the hypervisor's; never copy more than a slot holds or the caller has.
            int size = slot[SlotSizeOffset];
            if (size > MaxMessagePayload)
            {
                size = MaxMessagePayload;
            }

            length = size < buffer.Length ? size : buffer.Length;
            new ReadOnlySpan<byte>(slot + SlotPayloadOffset, length).CopyTo(buffer);
            // Free the slot first, then (after a full barrier) look at MessagePending: a message the
            // hypervisor queued while we were copying sets the flag, and only an EOM written after
            // the slot is free makes it try again (TLFS; docs/hyperv.md §4).
            Volatile.Write(ref *(uint*)(slot + SlotTypeOffset), 0u);
            Interlocked.MemoryBarrier();
            bool pending = (Volatile.Read(ref slot[SlotFlagsOffset]) & MessagePending) != 0;
            _messagesReceived++;
            if (pending)
            {
                SignalEndOfMessage();
            }

            return true;
        }

        /// <summary>Waits up to <paramref name="timeout100ns"/> for a message (see TryReceiveMessage).</summary>
        public HvStatus WaitMessage(Span<byte> buffer, ulong timeout100ns, out int length, out uint messageType)
        {
            ulong start = ReferenceTime;
            ulong lastEom = start;
            while (true)
            {
                if (TryReceiveMessage(buffer, out length, out messageType))
                {
                    return HvStatus.Success;
                }

                ulong now = ReferenceTime;
                if (now - start >= timeout100ns)
                {
                    return HvStatus.Timeout;
                }

                // A delivery lost to a busy slot is retried on EOM: nudge every millisecond while
                // the slot stays empty (iPXE does the same; hosts are known to need it).
                if (now - lastEom >= 10_000)
                {
                    SignalEndOfMessage();
                    lastEom = now;
                }

                _platform.Pause();
            }
        }

        private void SignalEndOfMessage()
        {
            _platform.WriteMsr(HyperVMsr.Eom, 0);
            _endOfMessages++;
        }
    }
}
