// Synthetic MSRs of the host model (TLFS; docs/hyperv.md §2–4).
// MSRs exist only when CPUID 0x40000003 advertises them; anything else in the hypervisor range
// reports Fault, as #GP would. MSRs outside the range fall through to SimulatedPlatform's table, so
// tests can still define ordinary machine MSRs.
using Bootstage.Platform;

namespace Bootstage.HyperV.HostModel
{
    public unsafe partial class HyperVHost
    {
        // The stub the hypervisor overlays on the hypercall page: VMCALL; RET.
        private static readonly byte[] s_hypercallStub = { 0x0F, 0x01, 0xC1, 0xC3 };

        public override PlatformStatus ReadMsr(uint msr, out ulong value)
        {
            lock (_gate)
            {
                return ReadMsrLocked(msr, out value);
            }
        }

        public override PlatformStatus WriteMsr(uint msr, ulong value)
        {
            lock (_gate)
            {
                return WriteMsrLocked(msr, value);
            }
        }

        private PlatformStatus ReadMsrLocked(uint msr, out ulong value)
        {
            if (!IsHypervisorMsr(msr))
            {
                return base.ReadMsr(msr, out value);
            }

            value = 0;
            if (!Exists(msr))
            {
                return MsrFault(msr, "read of an MSR this host does not expose");
            }

            switch (msr)
            {
                case HvMsr.GuestOsId:
                    value = GuestOsId;
                    return PlatformStatus.Success;
                case HvMsr.Hypercall:
                    value = HypercallMsr;
                    return PlatformStatus.Success;
                case HvMsr.VpIndex:
                    return PlatformStatus.Success;
                case HvMsr.TimeRefCount:
                    // Every read moves the virtual clock, so a guest polling with a timeout always gets there.
                    AdvanceClock();
                    value = TimeRefCount;
                    _postsThisTurn = 0;
                    Pump();
                    return PlatformStatus.Success;
                case HvMsr.Scontrol:
                    value = _synIc.Scontrol;
                    return PlatformStatus.Success;
                case HvMsr.Sversion:
                    value = 1;
                    return PlatformStatus.Success;
                case HvMsr.Siefp:
                    value = _synIc.Siefp;
                    return PlatformStatus.Success;
                case HvMsr.Simp:
                    value = _synIc.Simp;
                    return PlatformStatus.Success;
                case HvMsr.Eom:
                    return MsrFault(msr, "EOM is write-only");
                default:
                    value = _synIc.GetSint((int)(msr - HvMsr.Sint0));
                    return PlatformStatus.Success;
            }
        }

        private PlatformStatus WriteMsrLocked(uint msr, ulong value)
        {
            if (!IsHypervisorMsr(msr))
            {
                return base.WriteMsr(msr, value);
            }

            if (!Exists(msr))
            {
                return MsrFault(msr, $"write 0x{value:X} to an MSR this host does not expose");
            }

            if (msr == HvMsr.Eom)
            {
                WriteEom();
                return PlatformStatus.Success;
            }

            PlatformStatus status = WriteStateMsr(msr, value);
            if (status == PlatformStatus.Success)
            {
                AddTrace(TraceDirection.GuestToHost, TraceKind.Msr, msr, $"0x{value:X}");
            }

            return status;
        }

        private PlatformStatus WriteStateMsr(uint msr, ulong value)
        {
            switch (msr)
            {
                case HvMsr.GuestOsId:
                    GuestOsId = value;
                    if (value == 0)
                    {
                        // Zeroing the guest OS id switches the hypercall page off (KVM behaviour, docs/hyperv.md §2).
                        HypercallMsr &= ~HvMsr.EnableBit;
                    }

                    return PlatformStatus.Success;
                case HvMsr.Hypercall:
                    return WriteHypercallMsr(value);
                case HvMsr.VpIndex:
                case HvMsr.TimeRefCount:
                case HvMsr.Sversion:
                    return MsrFault(msr, $"write 0x{value:X} to a read-only MSR");
                case HvMsr.Scontrol:
                    if (_synIc.ScontrolEnabled && (value & HvMsr.EnableBit) == 0)
                    {
                        Trace.Counters.ScontrolDisables++;
                    }

                    _synIc.Scontrol = value;
                    _synIc.TryDeliverAll();
                    return PlatformStatus.Success;
                case HvMsr.Siefp:
                    if (((value ^ _synIc.Siefp) & HvMsr.OverlayReserved) != 0)
                    {
                        return ReservedFault(msr, value, _synIc.Siefp);
                    }

                    if (!OverlayPageValid(value))
                    {
                        return MsrFault(msr, $"SIEFP 0x{value:X} names a page outside guest memory");
                    }

                    _synIc.Siefp = value;
                    return PlatformStatus.Success;
                case HvMsr.Simp:
                    if (((value ^ _synIc.Simp) & HvMsr.OverlayReserved) != 0)
                    {
                        return ReservedFault(msr, value, _synIc.Simp);
                    }

                    if (!OverlayPageValid(value))
                    {
                        return MsrFault(msr, $"SIMP 0x{value:X} names a page outside guest memory");
                    }

                    _synIc.Simp = value;
                    SimpOwner = SimpOwner.Guest;
                    _synIc.TryDeliverAll();
                    return PlatformStatus.Success;
                default:
                    return WriteSint((int)(msr - HvMsr.Sint0), value);
            }
        }

        // RsvdP bits must be written back as read (TLFS); the stricter reading faults when they change.
        private PlatformStatus ReservedFault(uint msr, ulong value, ulong current)
        {
            Trace.Counters.ReservedBitFaults++;
            return MsrFault(msr, $"write 0x{value:X} changes reserved-preserve bits of 0x{current:X}");
        }

        private PlatformStatus WriteHypercallMsr(ulong value)
        {
            if (((value ^ HypercallMsr) & HvMsr.HypercallReserved) != 0)
            {
                return ReservedFault(HvMsr.Hypercall, value, HypercallMsr);
            }

            if ((value & HvMsr.EnableBit) != 0)
            {
                if (GuestOsId == 0)
                {
                    return MsrFault(HvMsr.Hypercall, "hypercall page enabled while GUEST_OS_ID is 0");
                }

                ulong page = value & HvMsr.PageAddressMask;
                if (!TryGetGuestMemory(page, PhysicalRegion.PageSize, out void* _))
                {
                    return MsrFault(HvMsr.Hypercall, $"hypercall page 0x{page:X} is not guest memory");
                }

                TryWriteGuest(page, s_hypercallStub);
            }

            HypercallMsr = value;
            return PlatformStatus.Success;
        }

        private PlatformStatus WriteSint(int index, ulong value)
        {
            if (((value ^ _synIc.GetSint(index)) & HvMsr.SintReserved) != 0)
            {
                return ReservedFault(HvMsr.Sint(index), value, _synIc.GetSint(index));
            }

            // TLFS: vectors 0–15 are reserved; an unmasked SINT must name 16–255.
            if ((value & HvMsr.SintMasked) == 0 && (value & HvMsr.SintVectorMask) < 16)
            {
                return MsrFault(HvMsr.Sint(index), $"unmasked SINT{index} with reserved vector {value & HvMsr.SintVectorMask}");
            }

            _synIc.SetSint(index, value);
            _synIc.TryDeliver(index);
            return PlatformStatus.Success;
        }

        private void WriteEom()
        {
            Trace.Counters.Eoms++;
            _synIc.NoteEom(VmBusConstants.MessageSint, TimeRefCount);
            if (Faults.HeldEoms > 0)
            {
                Faults.HeldEoms--;
            }

            _synIc.TryDeliverAll();
            Pump();
        }

        /// <summary>An enabled overlay page (SIMP, SIEFP) must be a whole page of guest memory; a disabled one may hold anything.</summary>
        private bool OverlayPageValid(ulong value)
        {
            return (value & HvMsr.EnableBit) == 0 || TryGetGuestMemory(value & HvMsr.PageAddressMask, PhysicalRegion.PageSize, out void* _);
        }

        private bool Exists(uint msr)
        {
            return msr switch
            {
                HvMsr.GuestOsId or HvMsr.Hypercall => (_features & HvFeature.Hypercall) != 0,
                HvMsr.VpIndex => (_features & HvFeature.VpIndex) != 0,
                HvMsr.TimeRefCount => (_features & HvFeature.TimeRefCount) != 0,
                >= HvMsr.Scontrol and <= HvMsr.Eom => (_features & HvFeature.SynIc) != 0,
                >= HvMsr.Sint0 and <= HvMsr.Sint15 => (_features & HvFeature.SynIc) != 0,
                _ => false,
            };
        }

        private PlatformStatus MsrFault(uint msr, string detail)
        {
            AddTrace(TraceDirection.GuestToHost, TraceKind.Fault, msr, detail);
            return PlatformStatus.Fault;
        }

        private static bool IsHypervisorMsr(uint msr) => msr >= 0x40000000 && msr <= 0x400000FF;
    }
}
