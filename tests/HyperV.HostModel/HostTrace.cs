// The host model's record of what happened, for tests to assert on: an ordered event list plus
// counters. Polling noise (TIME_REF_COUNT reads, Pause, EOM writes) is only counted, never listed,
// so a guest that spins for a simulated second does not fill memory.
using System.Collections.Generic;

namespace Bootstage.HyperV.HostModel
{
    public enum TraceDirection
    {
        /// <summary>The guest did something (MSR write, hypercall, message or packet it sent).</summary>
        GuestToHost,

        /// <summary>The host delivered something to the guest.</summary>
        HostToGuest,

        /// <summary>Host-internal: resets, takeovers, injected faults.</summary>
        Host,
    }

    public enum TraceKind
    {
        Msr,
        Hypercall,
        Message,
        Packet,
        Signal,
        Fault,
        Lifecycle,
    }

    /// <summary>
    /// One event. <see cref="Code"/> depends on the kind: MSR index, hypercall code, VMBus message type,
    /// packet type, relid or connection id for signals, and for faults the message/packet type involved (or 0).
    /// </summary>
    public readonly record struct TraceEvent(int Sequence, TraceDirection Direction, TraceKind Kind, uint Code, string Detail)
    {
        public VmBusMessageType MessageType => (VmBusMessageType)Code;

        public override string ToString() => $"#{Sequence} {Direction} {Kind} 0x{Code:X} {Detail}";
    }

    /// <summary>Counters a test can read without scanning the event list.</summary>
    public sealed class HostCounters
    {
        private readonly Dictionary<VmBusMessageType, int> _posted = new();
        private readonly Dictionary<VmBusMessageType, int> _delivered = new();

        /// <summary>EOM writes.</summary>
        public int Eoms { get; internal set; }

        /// <summary>HvPostMessage calls answered with a retry status (18, 19, 11) by a knob or a full buffer.</summary>
        public int RefusedPosts { get; internal set; }

        /// <summary>MSR writes refused because they changed reserved-preserve bits.</summary>
        public int ReservedBitFaults { get; internal set; }

        /// <summary>Hypercalls made, successful or not.</summary>
        public int Hypercalls { get; internal set; }

        /// <summary>HvSignalEvent calls that succeeded.</summary>
        public int GuestSignals { get; internal set; }

        /// <summary>Times the host asserted a SINT (message or event flag delivered to an unmasked SINT).</summary>
        public int SintAssertions { get; internal set; }

        /// <summary>GPADL_TEARDOWN messages received, known ids or not.</summary>
        public int TeardownsReceived { get; internal set; }

        /// <summary>Times SCONTROL was written with the enable bit clear while it was set.</summary>
        public int ScontrolDisables { get; internal set; }

        /// <summary>COMP packets the host sent on a backend's behalf.</summary>
        public int AutoCompletions { get; internal set; }

        /// <summary>Guest ring packets the host read.</summary>
        public int PacketsReceived { get; internal set; }

        /// <summary>Packets the host wrote into host→guest rings.</summary>
        public int PacketsSent { get; internal set; }

        /// <summary>Bogus guest ring indices or descriptors seen.</summary>
        public int RingViolations { get; internal set; }

        /// <summary>VMBus messages the guest posted, by type (only posts HvPostMessage accepted).</summary>
        public int Posted(VmBusMessageType type) => _posted.TryGetValue(type, out int count) ? count : 0;

        /// <summary>VMBus messages written into the guest's SIMP slot, by type.</summary>
        public int Delivered(VmBusMessageType type) => _delivered.TryGetValue(type, out int count) ? count : 0;

        internal void CountPosted(VmBusMessageType type) => _posted[type] = Posted(type) + 1;

        internal void CountDelivered(VmBusMessageType type) => _delivered[type] = Delivered(type) + 1;
    }

    public sealed class HostTrace
    {
        private readonly List<TraceEvent> _events = new();

        public IReadOnlyList<TraceEvent> Events => _events;

        public HostCounters Counters { get; } = new();

        public void Clear() => _events.Clear();

        internal void Add(TraceDirection direction, TraceKind kind, uint code, string detail)
        {
            _events.Add(new TraceEvent(_events.Count, direction, kind, code, detail));
        }

        /// <summary>Events of one kind, in order.</summary>
        public List<TraceEvent> OfKind(TraceKind kind)
        {
            List<TraceEvent> result = new();
            foreach (TraceEvent item in _events)
            {
                if (item.Kind == kind)
                {
                    result.Add(item);
                }
            }

            return result;
        }

        /// <summary>VMBus message types in one direction, in order (host→guest means written into the SIMP slot).</summary>
        public List<VmBusMessageType> Messages(TraceDirection direction)
        {
            List<VmBusMessageType> result = new();
            foreach (TraceEvent item in _events)
            {
                if (item.Kind == TraceKind.Message && item.Direction == direction)
                {
                    result.Add(item.MessageType);
                }
            }

            return result;
        }
    }
}
