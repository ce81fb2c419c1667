// The synthetic interrupt controller of the model's one virtual processor (TLFS "Synthetic
// Interrupt Controller"; docs/hyperv.md §2, §4): SCONTROL, SIMP, SIEFP
// and SINT0–15 state, one message queue per SINT, and delivery into the SIMP slots.
// Delivery is attempted only when the TLFS says the hypervisor retries: when a message is queued,
// on an EOM write, and when the guest (re)enables the SynIC, a page or a SINT. It is not attempted on
// Pause, so a guest that forgets EOM after MessagePending stalls here as it would on Hyper-V.
using System.Collections.Generic;
using System.Threading;

namespace Bootstage.HyperV.HostModel
{
    internal sealed unsafe class SynIc
    {
        private readonly HyperVHost _host;
        private readonly Queue<(uint Type, byte[] Payload)>[] _queues = new Queue<(uint, byte[])>[SynIcLayout.SintCount];
        private readonly ulong[] _sints = new ulong[SynIcLayout.SintCount];
        private bool _delivering;
        private ulong? _strandedSince;

        public SynIc(HyperVHost host)
        {
            _host = host;
            for (int i = 0; i < SynIcLayout.SintCount; i++)
            {
                _queues[i] = new Queue<(uint, byte[])>();

                // TLFS: every SINT comes out of reset masked.
                _sints[i] = HvMsr.SintMasked;
            }
        }

        public ulong Scontrol { get; set; }

        public ulong Simp { get; set; }

        public ulong Siefp { get; set; }

        public bool ScontrolEnabled => (Scontrol & HvMsr.EnableBit) != 0;

        public bool SimpEnabled => (Simp & HvMsr.EnableBit) != 0;

        public bool SiefpEnabled => (Siefp & HvMsr.EnableBit) != 0;

        public ulong GetSint(int index) => _sints[index];

        public void SetSint(int index, ulong value) => _sints[index] = value;

        public bool IsMasked(int sint) => (_sints[sint] & HvMsr.SintMasked) != 0;

        public int QueueLength(int sint) => _queues[sint].Count;

        public void ClearQueue(int sint) => _queues[sint].Clear();

        /// <summary>Queues a message for a SINT and, unless told otherwise, tries to deliver it at once.</summary>
        public void Enqueue(int sint, uint messageType, byte[] payload, bool attemptDelivery = true)
        {
            _queues[sint].Enqueue((messageType, payload));
            if (attemptDelivery)
            {
                TryDeliver(sint);
            }
        }

        public void TryDeliverAll()
        {
            for (int sint = 0; sint < SynIcLayout.SintCount; sint++)
            {
                TryDeliver(sint);
            }
        }

        /// <summary>
        /// Moves queued messages into the SINT's SIMP slot while the slot is free. A busy slot gets
        /// MessagePending so the guest knows to write EOM once it has emptied the slot.
        /// </summary>
        public void TryDeliver(int sint)
        {
            // Delivery callbacks may queue released messages; the running loop picks them up.
            if (_delivering)
            {
                return;
            }

            _delivering = true;
            try
            {
                Queue<(uint Type, byte[] Payload)> queue = _queues[sint];
                while (queue.Count > 0 && CanDeliver(sint))
                {
                    ulong slotAddress = (Simp & HvMsr.PageAddressMask) + (ulong)(sint * SynIcLayout.SlotSize);
                    if (!_host.TryGetGuestMemory(slotAddress, SynIcLayout.SlotSize, out void* pointer))
                    {
                        // The guest freed or never owned the page it named: keep the message queued.
                        _host.AddTrace(TraceDirection.Host, TraceKind.Fault, (uint)sint, $"SIMP slot {sint} at 0x{slotAddress:X} is not guest memory; message kept queued");
                        return;
                    }

                    byte* slot = (byte*)pointer;
                    if (IsHeld(sint))
                    {
                        return;
                    }

                    if (Volatile.Read(ref *(uint*)(slot + SynIcLayout.TypeOffset)) != 0 && !MarkPending(slot))
                    {
                        return;
                    }

                    (uint type, byte[] payload) = queue.Dequeue();
                    WriteSlot(slot, type, payload);
                    _host.Trace.Counters.SintAssertions++;
                    _host.OnSynIcDelivered(sint, type, payload);
                }
            }
            finally
            {
                _delivering = false;
            }
        }

        /// <summary>
        /// A host turn with messages still queued behind a full slot: flag the slot MessagePending
        /// again, as the hypervisor does when it retries. Nothing is delivered into an empty slot
        /// here; that still waits for EOM.
        /// </summary>
        public void MarkPendingIfBusy(int sint)
        {
            NoteStranded(sint);
            if (_queues[sint].Count == 0 || !CanDeliver(sint)
                || !_host.TryGetGuestMemory((Simp & HvMsr.PageAddressMask) + (ulong)(sint * SynIcLayout.SlotSize), SynIcLayout.SlotSize, out void* pointer))
            {
                return;
            }

            byte* slot = (byte*)pointer;
            if (Volatile.Read(ref *(uint*)(slot + SynIcLayout.TypeOffset)) != 0 && MarkPending(slot))
            {
                TryDeliver(sint);
            }
        }

        // Sets MessagePending on a busy slot, then looks at the slot again: a guest that freed it
        // in between may have read the flag before we set it, so the slot is used right away.
        // Returns true when the slot turned out to be free.
        private static bool MarkPending(byte* slot)
        {
            Interlocked.Or(ref *(int*)(slot + 4), SynIcLayout.MessagePending << 8);
            Thread.MemoryBarrier();
            return Volatile.Read(ref *(uint*)(slot + SynIcLayout.TypeOffset)) == 0;
        }

        /// <summary>
        /// EOMs that came only after the guest had moved on (virtual time passed) from a slot it
        /// emptied while MessagePending was set: the guest read the flag before freeing the slot,
        /// missed a message queued in between, and was rescued by a later EOM (TLFS order: clear the
        /// type, barrier, then read MessagePending; docs/hyperv.md §4).
        /// </summary>
        public int LateEoms { get; private set; }

        // A host turn that finds the slot empty, MessagePending set and a message queued: the
        // guest owes an EOM. Remember when that was first seen.
        private void NoteStranded(int sint)
        {
            if (_strandedSince != null || _queues[sint].Count == 0
                || !_host.TryGetGuestMemory((Simp & HvMsr.PageAddressMask) + (ulong)(sint * SynIcLayout.SlotSize), SynIcLayout.SlotSize, out void* pointer))
            {
                return;
            }

            byte* slot = (byte*)pointer;
            if (Volatile.Read(ref *(uint*)(slot + SynIcLayout.TypeOffset)) == 0 && (slot[SynIcLayout.FlagsOffset] & SynIcLayout.MessagePending) != 0)
            {
                _strandedSince = _host.TimeRefCount;
            }
        }

        public void NoteEom(int sint, ulong now)
        {
            if (sint == VmBusConstants.MessageSint && _strandedSince is ulong since && now > since)
            {
                LateEoms++;
            }

            _strandedSince = null;
        }

        /// <summary>
        /// Sets one bit in the SINT's event-flag area and asserts the SINT if it is unmasked. Returns false
        /// when the flag could not be set (SynIC or SIEFP disabled, page not guest memory).
        /// </summary>
        public bool SetEventFlag(int sint, int bit)
        {
            if (!ScontrolEnabled || !SiefpEnabled || bit < 0 || bit >= SynIcLayout.EventFlagsPerSint)
            {
                return false;
            }

            ulong address = (Siefp & HvMsr.PageAddressMask) + (ulong)(sint * SynIcLayout.SlotSize) + (ulong)(bit / 8);
            if (!_host.TryGetGuestMemory(address, 1, out void* pointer))
            {
                return false;
            }

            *(byte*)pointer |= (byte)(1 << (bit % 8));
            if (!IsMasked(sint))
            {
                _host.Trace.Counters.SintAssertions++;
            }

            return true;
        }

        private bool CanDeliver(int sint) => ScontrolEnabled && SimpEnabled && !IsMasked(sint);

        private bool IsHeld(int sint) => sint == VmBusConstants.MessageSint && _host.Faults.HeldEoms > 0;

        private static void WriteSlot(byte* slot, uint type, byte[] payload)
        {
            int length = payload.Length;
            for (int i = 0; i < SynIcLayout.MaxPayload; i++)
            {
                slot[SynIcLayout.PayloadOffset + i] = i < length ? payload[i] : (byte)0;
            }

            slot[SynIcLayout.PayloadSizeOffset] = (byte)length;
            slot[SynIcLayout.FlagsOffset] = 0;
            *(ushort*)(slot + 6) = 0;
            *(ulong*)(slot + SynIcLayout.SenderOffset) = 0;

            // The type goes in last: a non-zero type is what tells the guest the slot is full.
            Thread.MemoryBarrier();
            Volatile.Write(ref *(uint*)(slot + SynIcLayout.TypeOffset), type);
        }
    }
}
