// The simulated Hyper-V host ("host model"): a SimulatedPlatform whose CPUID, MSRs and hypercalls
// behave like the Microsoft hypervisor and whose VMBus host answers the guest's channel messages
// (docs/hyperv.md, all sections; §12 for what the model is).
// It is synchronous and single-threaded: host-side work (processing posted messages, running device
// backends, flushing rings) happens inside the guest's own platform calls — hypercalls, EOM writes,
// Pause, TIME_REF_COUNT and TSC reads — so a polling guest makes progress and times out
// deterministically against the virtual clock. This file holds construction, state inspection and
// the host's work loop; MSRs, hypercalls and the loader actor live in the other HyperVHost.*.cs parts.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using Bootstage.Platform;
using Bootstage.Platform.Testing;

namespace Bootstage.HyperV.HostModel
{
    /// <summary>Who wrote the SIMP MSR last.</summary>
    public enum SimpOwner
    {
        None,
        Guest,
        Loader,
    }

    public unsafe partial class HyperVHost : SimulatedPlatform
    {
        private readonly SynIc _synIc;
        private readonly Queue<(uint ConnectionId, byte[] Message)> _posted = new();
        private readonly uint _features;
        private readonly uint _privileges;
        private readonly object _gate = new();
        private readonly Thread? _hostThread;
        private volatile bool _stopping;
        private bool _pumping;
        private int _postsThisTurn;

        public HyperVHost(HostProfile profile = HostProfile.WS2016, HostOptions? options = null)
        {
            Profile = profile;
            Options = options ?? new HostOptions();
            _features = Options.FeatureMask ?? HvFeature.DefaultFeatures;
            _privileges = Options.PrivilegeMask ?? HvFeature.DefaultPrivileges;
            _synIc = new SynIc(this);
            VmBus = new VmBusHost(this);
            if (Options.Gen2UefiOwnsHyperV)
            {
                GuestOsId = HostProfiles.Gen2UefiGuestOsId;
            }

            DefineCpuid();
            if (Options.PresetReservedBits)
            {
                HypercallMsr = HvMsr.HypercallPreset;
                _synIc.Simp = HvMsr.SimpPreset;
                _synIc.Siefp = HvMsr.SiefpPreset;
                for (int i = 0; i < SynIcLayout.SintCount; i++)
                {
                    _synIc.SetSint(i, _synIc.GetSint(i) | HvMsr.SintPreset);
                }
            }

            if (Options.HostThread)
            {
                _hostThread = new Thread(HostThreadLoop) { IsBackground = true, Name = "Hyper-V host model" };
                _hostThread.Start();
            }
        }

        public HostProfile Profile { get; }

        public HostOptions Options { get; }

        public HostTrace Trace { get; } = new();

        public HostFaults Faults { get; } = new();

        public VmBusHost VmBus { get; }

        /// <summary>GUEST_OS_ID as the guest (or firmware) left it.</summary>
        public ulong GuestOsId { get; private set; }

        /// <summary>The raw HYPERCALL MSR.</summary>
        public ulong HypercallMsr { get; private set; }

        public bool HypercallEnabled => (HypercallMsr & HvMsr.EnableBit) != 0;

        public ulong HypercallPageAddress => HypercallMsr & HvMsr.PageAddressMask;

        public bool SynIcEnabled => _synIc.ScontrolEnabled;

        public ulong SimpMsr => _synIc.Simp;

        public bool SimpEnabled => _synIc.SimpEnabled;

        public ulong SimpAddress => _synIc.Simp & HvMsr.PageAddressMask;

        public ulong SiefpMsr => _synIc.Siefp;

        public bool SiefpEnabled => _synIc.SiefpEnabled;

        public SimpOwner SimpOwner { get; private set; }

        public bool Sint2Masked => _synIc.IsMasked(VmBusConstants.MessageSint);

        /// <summary>The virtual clock, in TIME_REF_COUNT units (100 ns).</summary>
        public ulong TimeRefCount { get; private set; }

        /// <summary>Guest posts accepted but not yet processed by the VMBus host.</summary>
        public int PendingPostCount => _posted.Count;

        public uint NegotiatedVersion => VmBus.NegotiatedVersion;

        public bool IsConnected => VmBus.IsConnected;

        public IReadOnlyList<HostChannel> Channels => VmBus.Channels;

        public IReadOnlyCollection<uint> LiveGpadlIds => VmBus.LiveGpadlIds;

        public bool IsSintMasked(int sint) => _synIc.IsMasked(sint);

        public ulong GetSint(int sint) => _synIc.GetSint(sint);

        /// <summary>Messages queued for a SINT that have not reached its SIMP slot.</summary>
        public int PendingMessageCount(int sint = VmBusConstants.MessageSint) => _synIc.QueueLength(sint);

        /// <summary>Adds a device the host offers; relids are handed out from 1 in the order channels are added.</summary>
        public HostChannel AddChannel(Guid classId, Guid instanceId, IHostDevice? device = null) => VmBus.AddChannel(classId, instanceId, device ?? new AutoCompleteDevice(), false);

        /// <summary>Sends an unsolicited OFFER for <paramref name="channel"/> now (hot add).</summary>
        public void OfferChannel(HostChannel channel) => VmBus.SendOffer(channel);

        /// <summary>Sends RESCIND_CHANNELOFFER for <paramref name="channel"/>; it is offered no more.</summary>
        public void RescindChannel(HostChannel channel) => VmBus.Rescind(channel);

        /// <summary>Queues any VMBus message (header included, ≤ 240 bytes) to the guest, through the fault knobs.</summary>
        public void SendMessage(byte[] message)
        {
            if (message.Length < VmBusConstants.MessageHeaderSize || message.Length > SynIcLayout.MaxPayload)
            {
                throw new ArgumentException("A VMBus message is 8 to 240 bytes.", nameof(message));
            }

            SendVmBusMessage(message);
        }

        /// <summary>Queues a raw SynIC message on any SINT (e.g. a hypervisor message type with the MSB set).</summary>
        public void PostSynIcMessage(int sint, uint messageType, byte[] payload)
        {
            if (payload.Length > SynIcLayout.MaxPayload || sint < 0 || sint >= SynIcLayout.SintCount)
            {
                throw new ArgumentException("A SynIC message carries at most 240 bytes on SINT 0–15.", nameof(payload));
            }

            _synIc.Enqueue(sint, messageType, payload);
        }

        /// <summary>Releases every message held back by <see cref="HostFaults.DelayNext"/> now.</summary>
        public void ReleaseDelayedMessages()
        {
            foreach (byte[] message in Faults.TakeAllDelayed())
            {
                AddTrace(TraceDirection.Host, TraceKind.Fault, ReadType(message), "delayed message released");
                _synIc.Enqueue(VmBusConstants.MessageSint, VmBusConstants.SynIcMessageType, message);
            }
        }

        /// <summary>Work a test adds to every host turn: the guest's polls and, with a host thread, its turns too.</summary>
        public Action<HyperVHost>? OnHostTurn { get; set; }

        /// <summary>See SynIc.LateEoms: a guest that reads MessagePending before freeing the slot loses EOMs.</summary>
        public int LateEoms => _synIc.LateEoms;

        /// <summary>Runs the host's pending work, as the guest's polling calls do.</summary>
        public void RunHost()
        {
            lock (_gate)
            {
                Pump();
            }
        }

        public override void Pause()
        {
            lock (_gate)
            {
                AdvanceClock();
                _postsThisTurn = 0;
                Pump();
            }
        }

        public override void Halt()
        {
            lock (_gate)
            {
                AdvanceClock();
                _postsThisTurn = 0;
                Pump();
            }
        }

        public override ulong ReadTimestampCounter()
        {
            lock (_gate)
            {
                ulong value = base.ReadTimestampCounter();
                Pump();
                return value;
            }
        }

        public override PlatformStatus AllocatePages(uint pageCount, out PhysicalRegion region)
        {
            lock (_gate)
            {
                return base.AllocatePages(pageCount, out region);
            }
        }

        public override PlatformStatus FreePages(PhysicalRegion region)
        {
            lock (_gate)
            {
                return base.FreePages(region);
            }
        }

        /// <summary>
        /// With <see cref="HostOptions.HostThread"/> the host also runs on its own thread, as a real
        /// host runs beside the guest's CPU: it services rings and re-marks a busy SIMP slot's pending
        /// flag at moments the guest does not choose, between the guest's plain memory accesses.
        /// </summary>
        private void HostThreadLoop()
        {
            while (!_stopping)
            {
                lock (_gate)
                {
                    Pump();
                    _synIc.MarkPendingIfBusy(VmBusConstants.MessageSint);
                }

                Thread.Yield();
            }
        }

        protected override void Dispose(bool disposing)
        {
            _stopping = true;
            _hostThread?.Join();
            base.Dispose(disposing);
        }

        internal SynIc SynIcState => _synIc;

        internal void AddTrace(TraceDirection direction, TraceKind kind, uint code, string detail) => Trace.Add(direction, kind, code, detail);

        /// <summary>The VMBus host's way out to the guest: fault knobs first, then the SINT 2 queue.</summary>
        internal void SendVmBusMessage(byte[] message)
        {
            VmBusMessageType type = (VmBusMessageType)ReadType(message);
            if (Faults.TakeInjections(type, out List<byte[]>? injected) && injected != null)
            {
                foreach (byte[] extra in injected)
                {
                    AddTrace(TraceDirection.Host, TraceKind.Fault, ReadType(extra), $"injected before {type}");
                    _synIc.Enqueue(VmBusConstants.MessageSint, VmBusConstants.SynIcMessageType, extra);
                }
            }

            if (Faults.TakeDrop(type))
            {
                AddTrace(TraceDirection.Host, TraceKind.Fault, (uint)type, "dropped");
                return;
            }

            if (Faults.TakeDelay(type, out int deliveries))
            {
                AddTrace(TraceDirection.Host, TraceKind.Fault, (uint)type, $"delayed by {deliveries} deliveries");
                Faults.HoldBack(message, deliveries);
                return;
            }

            _synIc.Enqueue(VmBusConstants.MessageSint, VmBusConstants.SynIcMessageType, message);
            if (Faults.TakeDuplicate(type))
            {
                AddTrace(TraceDirection.Host, TraceKind.Fault, (uint)type, "duplicated");
                _synIc.Enqueue(VmBusConstants.MessageSint, VmBusConstants.SynIcMessageType, (byte[])message.Clone());
            }
        }

        /// <summary>Called by the SynIC each time a message lands in a SIMP slot.</summary>
        internal void OnSynIcDelivered(int sint, uint messageType, byte[] payload)
        {
            if (sint != VmBusConstants.MessageSint || messageType != VmBusConstants.SynIcMessageType)
            {
                AddTrace(TraceDirection.HostToGuest, TraceKind.Message, messageType, $"SynIC message on SINT {sint}");
                return;
            }

            VmBusMessageType type = (VmBusMessageType)ReadType(payload);
            Trace.Counters.CountDelivered(type);
            AddTrace(TraceDirection.HostToGuest, TraceKind.Message, (uint)type, VmBusMessageText.Describe(payload));
            List<byte[]>? due = Faults.CountDelivery();
            if (due != null)
            {
                foreach (byte[] message in due)
                {
                    AddTrace(TraceDirection.Host, TraceKind.Fault, ReadType(message), "delayed message released");
                    _synIc.Enqueue(VmBusConstants.MessageSint, VmBusConstants.SynIcMessageType, message, attemptDelivery: false);
                }
            }
        }

        /// <summary>Whether the range lies in memory the guest allocated.</summary>
        internal bool IsGuestMemory(ulong address, ulong length) => TryGetGuestMemory(address, length, out void* _);

        internal bool TryReadGuest(ulong address, Span<byte> destination)
        {
            if (!TryGetGuestMemory(address, (ulong)destination.Length, out void* pointer))
            {
                return false;
            }

            new ReadOnlySpan<byte>(pointer, destination.Length).CopyTo(destination);
            return true;
        }

        internal bool TryWriteGuest(ulong address, ReadOnlySpan<byte> source)
        {
            if (!TryGetGuestMemory(address, (ulong)source.Length, out void* pointer))
            {
                return false;
            }

            source.CopyTo(new Span<byte>(pointer, source.Length));
            return true;
        }

        /// <summary>
        /// The host's work loop. Posted messages are processed only while no earlier reply is still waiting
        /// for the SIMP slot: the host does not race ahead of a guest that has not taken its answers, so
        /// unconsumed replies back up into the 16-entry post queue and HvPostMessage reports
        /// INSUFFICIENT_BUFFERS, as on a real host.
        /// </summary>
        private void Pump(bool drainRings = true)
        {
            if (_pumping)
            {
                return;
            }

            _pumping = true;
            try
            {
                OnHostTurn?.Invoke(this);
                VmBus.ReleaseDueMessages();
                while (_posted.Count > 0 && _synIc.QueueLength(VmBusConstants.MessageSint) == 0)
                {
                    (uint connectionId, byte[] message) = _posted.Dequeue();
                    VmBus.Process(message, connectionId);
                }

                VmBus.RunDevices(drainRings);
            }
            finally
            {
                _pumping = false;
            }
        }

        private void DefineCpuid()
        {
            SetCpuid(0, 0, 0xD, Ascii("Genu"), Ascii("ntel"), Ascii("ineI"));

            // CPUID.1:ECX[31] is the hypervisor-present bit.
            SetCpuid(1, 0, 0x000306A9, 0, 1u << 31, 0);
            SetCpuid(0x40000000, 0, 0x40000005, Ascii("Micr"), Ascii("osof"), Ascii("t Hv"));
            SetCpuid(0x40000001, 0, HvFeature.InterfaceSignature, 0, 0, 0);
            (uint build, ushort major, ushort minor) = HostProfiles.HypervisorVersion(Profile);
            SetCpuid(0x40000002, 0, build, ((uint)major << 16) | minor, 0, 0);
            SetCpuid(0x40000003, 0, _features, _privileges, 0, 0);

            // Hints: no recommendations; spin-lock retries 0xFFFFFFFF means "never notify".
            SetCpuid(0x40000004, 0, 0, 0xFFFFFFFF, 0, 0);
            SetCpuid(0x40000005, 0, 64, 64, 0, 0);
        }

        /// <summary>
        /// Moves TIME_REF_COUNT on: by the virtual step, or to the reference clock when the host has
        /// one (an emulated machine whose guest waits on real peers), never backwards and never still,
        /// so a polling guest always sees time pass.
        /// </summary>
        private void AdvanceClock()
        {
            if (Options.ReferenceClock is Func<ulong> clock)
            {
                TimeRefCount = Math.Max(TimeRefCount + 1, clock());
                return;
            }

            TimeRefCount += Options.TimeRefStep;
        }

        private static uint Ascii(string four) => BinaryPrimitives.ReadUInt32LittleEndian(Encoding.ASCII.GetBytes(four));

        internal static uint ReadType(byte[] message) => message.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(message) : 0;
    }
}
