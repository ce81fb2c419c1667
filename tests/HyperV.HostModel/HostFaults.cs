// Fault knobs of the host model (docs/hyperv.md §12: drop/duplicate/delay
// messages, busy SIMP slot, unexpected messages, host reset at a chosen step). Each knob is one-shot
// or counted, so a test arms exactly the misbehaviour it wants and the host is well-behaved again
// afterwards. Ring-level faults (oversized or malformed packets) go through HostChannel.SendRaw.
using System.Collections.Generic;

namespace Bootstage.HyperV.HostModel
{
    /// <summary>How <see cref="HostFaults.ResetHostOn"/> resets the bus.</summary>
    public enum HostResetKind
    {
        /// <summary>Someone else sent INITIATE_CONTACT: channels closed, GPADLs gone, the bus stays connected.</summary>
        ContactFromElsewhere,

        /// <summary>Someone else unloaded the bus: everything gone and disconnected until the guest initiates contact.</summary>
        Unload,
    }

    public sealed class HostFaults
    {
        private readonly Dictionary<VmBusMessageType, int> _drops = new();
        private readonly Dictionary<VmBusMessageType, int> _duplicates = new();
        private readonly Dictionary<VmBusMessageType, int> _delays = new();
        private readonly Dictionary<VmBusMessageType, List<byte[]>> _injections = new();
        private readonly Dictionary<VmBusMessageType, HostResetKind> _resets = new();
        private readonly List<(int Remaining, byte[] Message)> _delayed = new();

        private System.Random? _drainRandom;
        private int _skipPercent;

        /// <summary>
        /// From now on each host turn services a signalled channel only with probability
        /// 1 - <paramref name="skipPercent"/>/100 (seeded): the host drains at random later points.
        /// </summary>
        public void DelayDrains(int seed, int skipPercent)
        {
            _drainRandom = new System.Random(seed);
            _skipPercent = skipPercent;
        }

        /// <summary>
        /// Answers every HvPostMessage with <paramref name="status"/> (e.g. 18 invalid connection id,
        /// 19 insufficient buffers, 11 insufficient memory) until <paramref name="duration100ns"/> of
        /// virtual time has passed from now (<paramref name="now"/>: the host's TIME_REF_COUNT).
        /// </summary>
        public void RefusePosts(ushort status, ulong now, ulong duration100ns)
        {
            PostRefusal = status;
            PostRefusalUntil = now + duration100ns;
        }

        /// <summary>Virtual time (100 ns units) the host takes to answer each UNLOAD; 0 answers at once.</summary>
        public ulong UnloadDelay { get; set; }

        internal ushort PostRefusal { get; private set; }

        internal ulong PostRefusalUntil { get; private set; }

        /// <summary>Whether this host turn may read signalled rings.</summary>
        internal bool TakeDrainTurn() => _drainRandom == null || _drainRandom.Next(100) >= _skipPercent;

        /// <summary>Swallow the next <paramref name="count"/> host→guest messages of this type.</summary>
        public void DropNext(VmBusMessageType type, int count = 1) => _drops[type] = count;

        /// <summary>Queue the next host→guest message of this type twice.</summary>
        public void DuplicateNext(VmBusMessageType type, int count = 1) => _duplicates[type] = count;

        /// <summary>Hold the next host→guest message of this type back until <paramref name="deliveries"/> other messages reached the SIMP slot.</summary>
        public void DelayNext(VmBusMessageType type, int deliveries) => _delays[type] = deliveries;

        /// <summary>Treat the VMBus SIMP slot as busy for the next <paramref name="eoms"/> EOM writes; delivery resumes on the last of them.</summary>
        public void HoldSimpSlot(int eoms) => HeldEoms = eoms;

        /// <summary>Queue <paramref name="message"/> (a whole VMBus message, header included) right before the next host message of <paramref name="replyType"/>.</summary>
        public void InjectBefore(VmBusMessageType replyType, byte[] message)
        {
            if (!_injections.TryGetValue(replyType, out List<byte[]>? list))
            {
                list = new List<byte[]>();
                _injections[replyType] = list;
            }

            list.Add(message);
        }

        /// <summary>When the guest next sends <paramref name="guestType"/>, reset the bus first, then process the message against the reset state.</summary>
        public void ResetHostOn(VmBusMessageType guestType, HostResetKind kind) => _resets[guestType] = kind;

        /// <summary>EOMs still to be swallowed by <see cref="HoldSimpSlot"/>.</summary>
        public int HeldEoms { get; internal set; }

        /// <summary>Messages held back by <see cref="DelayNext"/> and not yet released.</summary>
        public int DelayedCount => _delayed.Count;

        internal bool TakeDrop(VmBusMessageType type) => Take(_drops, type);

        internal bool TakeDuplicate(VmBusMessageType type) => Take(_duplicates, type);

        internal bool TakeDelay(VmBusMessageType type, out int deliveries) => _delays.Remove(type, out deliveries);

        internal bool TakeInjections(VmBusMessageType type, out List<byte[]>? messages) => _injections.Remove(type, out messages);

        internal bool TakeReset(VmBusMessageType type, out HostResetKind kind) => _resets.Remove(type, out kind);

        internal void HoldBack(byte[] message, int deliveries) => _delayed.Add((deliveries, message));

        /// <summary>One message reached the slot: count every held message down and return those now due.</summary>
        internal List<byte[]>? CountDelivery()
        {
            List<byte[]>? due = null;
            for (int i = 0; i < _delayed.Count; i++)
            {
                (int remaining, byte[] message) = _delayed[i];
                remaining--;
                if (remaining <= 0)
                {
                    due ??= new List<byte[]>();
                    due.Add(message);
                    _delayed.RemoveAt(i);
                    i--;
                }
                else
                {
                    _delayed[i] = (remaining, message);
                }
            }

            return due;
        }

        /// <summary>Removes every held message regardless of its count.</summary>
        internal List<byte[]> TakeAllDelayed()
        {
            List<byte[]> all = new();
            foreach ((int _, byte[] message) in _delayed)
            {
                all.Add(message);
            }

            _delayed.Clear();
            return all;
        }

        private static bool Take(Dictionary<VmBusMessageType, int> counts, VmBusMessageType type)
        {
            if (!counts.TryGetValue(type, out int remaining) || remaining <= 0)
            {
                return false;
            }

            if (remaining == 1)
            {
                counts.Remove(type);
            }
            else
            {
                counts[type] = remaining - 1;
            }

            return true;
        }
    }
}
