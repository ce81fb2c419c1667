// One SCSI command in flight on an iSCSI session (RFC 7143 §3.2.2 "task"): its CDB, the
// caller's buffer, the Initiator Task Tag that names it on the wire, how far Data-In or
// Data-Out has got, and its outcome (SCSI status, residual, sense bytes). Tasks are allocated
// once per session and reused; the tag carries a generation so a late PDU for a task that was
// finished or re-issued is recognised as stale instead of touching someone else's buffer.
using System;

namespace Bootstage.Boot.Iscsi
{
    public enum IscsiTaskState
    {
        Free,
        Waiting,
        Sent,
        Done,
    }

    public sealed class IscsiTask
    {
        public const int MaxSense = 96;
        public const int MaxBursts = 4;

        internal readonly byte[] CdbBytes = new byte[16];
        internal readonly byte[] SenseBytes = new byte[MaxSense];
        internal readonly uint[] BurstTag = new uint[MaxBursts];
        internal readonly int[] BurstOffset = new int[MaxBursts];
        internal readonly int[] BurstLength = new int[MaxBursts];
        internal readonly uint[] BurstDataSn = new uint[MaxBursts];

        internal IscsiTask(int index)
        {
            Index = index;
        }

        internal int Index { get; }

        internal uint Generation;

        public IscsiTaskState State { get; internal set; }

        public uint Tag { get; internal set; }

        internal int CdbLength;
        internal ulong Lun;
        internal bool IsWrite;
        internal byte[]? Buffer;
        internal int BufferOffset;
        internal int Length;
        internal ulong Sequence;

        // Read progress: the next byte offset and DataSN expected (DataPDUInOrder=Yes).
        internal int Received;
        internal uint ExpectedDataSn;

        // Write progress: bursts still to send (R2T-solicited or unsolicited), in arrival order.
        internal int BurstCount;

        /// <summary>Times this task was put on the wire again after a lost connection.</summary>
        public int Reissues { get; internal set; }

        public IscsiStatus Result { get; internal set; }

        public byte ScsiStatus { get; internal set; }

        /// <summary>Bytes the target did not transfer (underflow), from the residual count.</summary>
        public int Residual { get; internal set; }

        public int SenseLength { get; internal set; }

        public ReadOnlySpan<byte> Sense => new ReadOnlySpan<byte>(SenseBytes, 0, SenseLength);

        public bool IsDone => State == IscsiTaskState.Done;

        internal void ResetProgress()
        {
            Received = 0;
            ExpectedDataSn = 0;
            BurstCount = 0;
            Residual = 0;
            SenseLength = 0;
            ScsiStatus = 0;
        }

        /// <summary>Bursts an R2T asked for (the unsolicited one carries the reserved tag) not yet queued to the end.</summary>
        internal int SolicitedBursts
        {
            get
            {
                int count = 0;
                for (int i = 0; i < BurstCount; i++)
                {
                    if (BurstTag[i] != IscsiPdu.ReservedTag)
                    {
                        count++;
                    }
                }

                return count;
            }
        }

                internal bool AddBurst(uint tag, int offset, int length)
        {
            if (BurstCount == MaxBursts)
            {
                return false;
            }

            BurstTag[BurstCount] = tag;
            BurstOffset[BurstCount] = offset;
            BurstLength[BurstCount] = length;
            BurstDataSn[BurstCount] = 0;
            BurstCount++;
            return true;
        }

        internal void DropFirstBurst()
        {
            for (int i = 1; i < BurstCount; i++)
            {
                BurstTag[i - 1] = BurstTag[i];
                BurstOffset[i - 1] = BurstOffset[i];
                BurstLength[i - 1] = BurstLength[i];
                BurstDataSn[i - 1] = BurstDataSn[i];
            }

            BurstCount--;
        }
    }
}
