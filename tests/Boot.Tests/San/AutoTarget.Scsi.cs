// The disk behind AutoTarget: BlockCount blocks of BlockSize bytes, the first ones held in Image
// (seeded random bytes, so a misplaced block shows), any written above it kept sparsely, the rest
// reading as zeros, so a multi-TiB LUN costs nothing. Commands served: TEST UNIT READY, standard
// INQUIRY (device type 0), READ CAPACITY(10) (FFFFFFFFh when the disk outgrows it) and (16),
// READ(10/16) as Data-In no larger than the initiator's MaxRecvDataSegmentLength with status in
// the last Data-In or a separate SCSI Response, WRITE(10/16) with immediate data, unsolicited
// Data-Out and R2T bursts; a write reaches the disk only when all its data has arrived.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.Scsi;
using Bootstage.Boot.Tests.Iscsi;

namespace Bootstage.Boot.Tests.San
{
    public sealed partial class AutoTarget
    {
        private sealed class WriteInProgress
        {
            public SeenCommand Command = null!;
            public byte[] Data = Array.Empty<byte>();
            public int Received;
            public int UnsolicitedEnd;
            public uint R2tSn;
        }

        private readonly Dictionary<uint, WriteInProgress> _writes = new Dictionary<uint, WriteInProgress>();
        private readonly Dictionary<ulong, byte[]> _sparse = new Dictionary<ulong, byte[]>();
        private uint _nextTransferTag = 0x7700;

        public uint BlockSize { get; }

        public ulong BlockCount { get; set; }

        /// <summary>The disk's first blocks; tests read and change it directly.</summary>
        public byte[] Image { get; }

        /// <summary>The block length READ CAPACITY reports, when not the real one (a broken target).</summary>
        public uint? ReportedBlockLength { get; set; }

        /// <summary>Bytes of standard INQUIRY data sent (36 by default; fewer makes a malformed reply).</summary>
        public int InquiryLength { get; set; } = 36;

        /// <summary>READ CAPACITY(10) reports FFFFFFFFh even for a small disk.</summary>
        public bool ForceReadCapacity16 { get; set; }

        /// <summary>Writes that reached the disk, in order: (LBA, blocks).</summary>
        public List<(ulong Lba, uint Blocks)> CommittedWrites { get; } = new List<(ulong Lba, uint Blocks)>();

        public ulong ImageBlocks => (ulong)Image.Length / BlockSize;

        /// <summary>A copy of the blocks as the disk holds them now.</summary>
        public byte[] ReadBlocks(ulong lba, int blocks)
        {
            byte[] data = new byte[blocks * (int)BlockSize];
            for (int i = 0; i < blocks; i++)
            {
                ulong block = lba + (ulong)i;
                Span<byte> destination = data.AsSpan(i * (int)BlockSize, (int)BlockSize);
                if (block < ImageBlocks)
                {
                    Image.AsSpan((int)block * (int)BlockSize, (int)BlockSize).CopyTo(destination);
                }
                else if (_sparse.TryGetValue(block, out byte[]? stored))
                {
                    stored.CopyTo(destination);
                }
            }

            return data;
        }

        public void WriteBlocks(ulong lba, ReadOnlySpan<byte> data)
        {
            int blocks = data.Length / (int)BlockSize;
            for (int i = 0; i < blocks; i++)
            {
                ulong block = lba + (ulong)i;
                ReadOnlySpan<byte> source = data.Slice(i * (int)BlockSize, (int)BlockSize);
                if (block < ImageBlocks)
                {
                    source.CopyTo(Image.AsSpan((int)block * (int)BlockSize, (int)BlockSize));
                }
                else
                {
                    _sparse[block] = source.ToArray();
                }
            }
        }

        private void HandleCommand(SentPdu pdu)
        {
            byte[] cdb = pdu.Header.AsSpan(IscsiPdu.CdbOffset, 16).ToArray();
            ulong lba = 0;
            uint blocks = 0;
            if (cdb[0] == ScsiCdb.Read10Opcode || cdb[0] == ScsiCdb.Write10Opcode)
            {
                lba = BinaryPrimitives.ReadUInt32BigEndian(cdb.AsSpan(2));
                blocks = BinaryPrimitives.ReadUInt16BigEndian(cdb.AsSpan(7));
            }
            else if (cdb[0] == ScsiCdb.Read16Opcode || cdb[0] == ScsiCdb.Write16Opcode)
            {
                lba = BinaryPrimitives.ReadUInt64BigEndian(cdb.AsSpan(2));
                blocks = BinaryPrimitives.ReadUInt32BigEndian(cdb.AsSpan(10));
            }

            SeenCommand command = new SeenCommand
            {
                Number = Commands.Count + 1,
                Connection = Connects,
                Itt = pdu.Itt,
                CmdSn = pdu.CmdSn,
                Cdb = cdb,
                ExpectedLength = pdu.ExpectedLength,
                ImmediateBytes = pdu.Data.Length,
                Lba = lba,
                Blocks = blocks,
            };
            Commands.Add(command);

            AutoFault? fault = FindFault(command);
            if (fault != null)
            {
                Misbehave(command, pdu, fault);
                return;
            }

            switch (command.Opcode)
            {
                case ScsiCdb.TestUnitReadyOpcode:
                    Good(command);
                    break;
                case ScsiCdb.InquiryOpcode:
                    Inquiry(command);
                    break;
                case ScsiCdb.ReadCapacity10Opcode:
                    byte[] capacity10 = new byte[8];
                    ulong last = BlockCount - 1;
                    BinaryPrimitives.WriteUInt32BigEndian(capacity10, ForceReadCapacity16 || last >= 0xFFFFFFFF ? 0xFFFFFFFF : (uint)last);
                    BinaryPrimitives.WriteUInt32BigEndian(capacity10.AsSpan(4), ReportedBlockLength ?? BlockSize);
                    SendData(command, capacity10);
                    break;
                case ScsiCdb.ServiceActionIn16Opcode when (cdb[1] & 0x1F) == ScsiCdb.ReadCapacity16ServiceAction:
                    byte[] capacity16 = new byte[32];
                    BinaryPrimitives.WriteUInt64BigEndian(capacity16, BlockCount - 1);
                    BinaryPrimitives.WriteUInt32BigEndian(capacity16.AsSpan(8), ReportedBlockLength ?? BlockSize);
                    SendData(command, capacity16);
                    break;
                case ScsiCdb.Read10Opcode:
                case ScsiCdb.Read16Opcode:
                    if (OutOfRange(command))
                    {
                        break;
                    }

                    SendData(command, ReadBlocks(lba, (int)blocks));
                    break;
                case ScsiCdb.Write10Opcode:
                case ScsiCdb.Write16Opcode:
                    if (!OutOfRange(command))
                    {
                        BeginWrite(command, pdu);
                    }

                    break;
                default:
                    Check(command, FixedSense(SenseKey.IllegalRequest, 0x20, 0x00), now: false);
                    break;
            }
        }

        private void Misbehave(SeenCommand command, SentPdu pdu, AutoFault fault)
        {
            switch (fault.Action)
            {
                case FaultAction.Ignore:
                    command.Outcome = "ignored";
                    break;
                case FaultAction.CheckCondition:
                    Check(command, fault.Sense!, now: true);
                    break;
                case FaultAction.Busy:
                    command.Outcome = "busy";
                    command.AnsweredAtPoll = _polls;
                    Answer(Scripted.ScsiResponse(command.Itt, status: (byte)ScsiStatus.Busy), now: true);
                    break;
                case FaultAction.ShortTransfer:
                    int half = (int)(command.Blocks / 2);
                    if (command.IsWrite)
                    {
                        // Takes the immediate data only and calls the command done.
                        int taken = Math.Min(pdu.Data.Length / (int)BlockSize, half);
                        WriteBlocks(command.Lba, pdu.Data.AsSpan(0, taken * (int)BlockSize));
                        command.Outcome = "short";
                        command.AnsweredAtPoll = _polls;
                        uint left = command.ExpectedLength - (uint)(taken * (int)BlockSize);
                        Answer(Scripted.ScsiResponse(command.Itt, residual: left, underflow: left > 0), now: true);
                    }
                    else
                    {
                        SendData(command, ReadBlocks(command.Lba, half));
                        command.Outcome = "short";
                    }

                    break;
                case FaultAction.DropConnection:
                    // What was already due goes out; later answers die with the connection.
                    command.Outcome = "dropped";
                    PushDue();
                    _outbox.Clear();
                    if (command.IsRead && command.Blocks > 0)
                    {
                        // Part of the data lands in the caller's buffer before the connection dies.
                        int first = (int)Math.Min(InitiatorMaxRecvDataSegmentLength, command.Blocks * BlockSize);
                        byte[] piece = ReadBlocks(command.Lba, (int)command.Blocks).AsSpan(0, first).ToArray();
                        Scripted.Push(Scripted.DataIn(command.Itt, 0, 0, piece, flags: 0));
                    }
                    else if (command.IsWrite && pdu.Data.Length >= BlockSize)
                    {
                        // A torn write: the blocks that came with the command reach the disk.
                        WriteBlocks(command.Lba, pdu.Data.AsSpan(0, pdu.Data.Length / (int)BlockSize * (int)BlockSize));
                    }

                    Scripted.FailConnection();
                    break;
            }
        }

        private bool OutOfRange(SeenCommand command)
        {
            if (command.Lba < BlockCount && command.Blocks <= BlockCount - command.Lba && command.ExpectedLength == command.Blocks * BlockSize)
            {
                return false;
            }

            Check(command, FixedSense(SenseKey.IllegalRequest, 0x21, 0x00), now: false);
            return true;
        }

        private void Inquiry(SeenCommand command)
        {
            if ((command.Cdb[1] & 0x01) != 0)
            {
                Check(command, FixedSense(SenseKey.IllegalRequest, 0x24, 0x00), now: false);
                return;
            }

            byte[] data = new byte[36];
            data[0] = InquiryData.DirectAccessBlockDevice;
            data[2] = 0x05;
            data[3] = 0x02;
            data[4] = 36 - 5;
            "BOOTSTGE"u8.CopyTo(data.AsSpan(8));
            "AUTO TARGET DISK"u8.CopyTo(data.AsSpan(16));
            "0001"u8.CopyTo(data.AsSpan(32));
            SendData(command, data.AsSpan(0, InquiryLength).ToArray());
        }

        private void Good(SeenCommand command)
        {
            command.Outcome = "good";
            command.AnsweredAtPoll = _polls;
            Answer(Scripted.ScsiResponse(command.Itt));
        }

        private void Check(SeenCommand command, byte[] sense, bool now)
        {
            command.Outcome = "check";
            command.AnsweredAtPoll = _polls;
            Answer(Scripted.ScsiResponse(command.Itt, status: (byte)ScsiStatus.CheckCondition, sense: sense), now);
        }

        // Data-In cut to the initiator's MaxRecvDataSegmentLength; what the allocation length leaves
        // out is reported as residual underflow.
        private void SendData(SeenCommand command, byte[] data)
        {
            command.Outcome = "good";
            command.AnsweredAtPoll = _polls;
            int length = (int)Math.Min((uint)data.Length, command.ExpectedLength);
            uint residual = command.ExpectedLength - (uint)length;
            byte underflow = residual > 0 ? ScriptedTarget.U : (byte)0;
            int segment = (int)InitiatorMaxRecvDataSegmentLength;
            uint dataSn = 0;
            for (int offset = 0; offset < length; offset += segment)
            {
                int count = Math.Min(segment, length - offset);
                bool last = offset + count == length;
                byte flags = last ? (StatusInDataIn ? (byte)(ScriptedTarget.F | ScriptedTarget.S | underflow) : ScriptedTarget.F) : (byte)0;
                LargestDataInSegment = Math.Max(LargestDataInSegment, count);
                Answer(Scripted.DataIn(command.Itt, (uint)offset, dataSn++, data.AsSpan(offset, count).ToArray(), flags, 0, last && StatusInDataIn ? residual : 0));
            }

            if (length == 0 || !StatusInDataIn)
            {
                Answer(Scripted.ScsiResponse(command.Itt, residual: residual, underflow: residual > 0));
            }
        }

        private void BeginWrite(SeenCommand command, SentPdu pdu)
        {
            WriteInProgress write = new WriteInProgress { Command = command, Data = new byte[command.ExpectedLength] };
            if (pdu.Data.Length > write.Data.Length || (pdu.Data.Length > 0 && !ImmediateData))
            {
                BadDataOuts++;
                Check(command, FixedSense(SenseKey.AbortedCommand, 0x0C, 0x0C), now: false);
                return;
            }

            pdu.Data.CopyTo(write.Data, 0);
            write.Received = pdu.Data.Length;
            write.UnsolicitedEnd = InitialR2T ? write.Received : (int)Math.Min(command.ExpectedLength, FirstBurstLength);
            _writes[command.Itt] = write;
            if (write.Received >= write.UnsolicitedEnd)
            {
                Continue(write);
            }
        }

        private void HandleDataOut(SentPdu pdu)
        {
            if (!_writes.TryGetValue(pdu.Itt, out WriteInProgress? write))
            {
                StrayDataOuts++;
                return;
            }

            LargestDataOutSegment = Math.Max(LargestDataOutSegment, pdu.Data.Length);
            if (pdu.BufferOffset != (uint)write.Received || write.Received + pdu.Data.Length > write.Data.Length || pdu.Data.Length > TargetMaxRecvDataSegmentLength)
            {
                BadDataOuts++;
                return;
            }

            write.Command.DataOuts++;
            pdu.Data.CopyTo(write.Data, write.Received);
            write.Received += pdu.Data.Length;
            if (pdu.Final)
            {
                Continue(write);
            }
        }

        // After a burst: the next R2T, or the data is all here and the write reaches the disk.
        private void Continue(WriteInProgress write)
        {
            SeenCommand command = write.Command;
            if (write.Received == write.Data.Length)
            {
                _writes.Remove(command.Itt);
                WriteBlocks(command.Lba, write.Data);
                CommittedWrites.Add((command.Lba, command.Blocks));
                Good(command);
                return;
            }

            uint length = Math.Min(MaxBurstLength, (uint)(write.Data.Length - write.Received));
            Answer(Scripted.R2T(command.Itt, _nextTransferTag++, write.R2tSn++, (uint)write.Received, length));
        }
    }
}
