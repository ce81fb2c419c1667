// Full Feature Phase of the session (RFC 7143 §11): SCSI Command PDUs sent in submission order
// while CmdSN ≤ MaxCmdSN, Data-In placed straight into the task's buffer (in order, bounded),
// status from SCSI Response or Data-In with S, R2T answered with Data-Out bursts no larger than
// the target's MaxRecvDataSegmentLength, immediate and unsolicited data when negotiated, NOP-In
// pings echoed, Async events, Reject, Logout Response. A PDU that breaks these rules fails the
// connection; one for a task we no longer know is counted and dropped.
using System;
using System.Buffers.Binary;

namespace Bootstage.Boot.Iscsi
{
    public sealed partial class IscsiSession
    {
        private readonly int[] _waiting = new int[MaxTasks];
        private int _waitingHead;
        private int _waitingCount;

        /// <summary>
        /// Queues a SCSI command. The buffer receives Data-In (read) or supplies Data-Out (write)
        /// and must stay untouched until the task is done. Null when every task slot is busy.
        /// </summary>
        public IscsiTask? Submit(ulong lun, ReadOnlySpan<byte> cdb, bool write, byte[]? buffer, int offset, int length)
        {
            if (cdb.Length == 0 || cdb.Length > 16 || length < 0 || (length > 0 && (buffer == null || offset < 0 || offset + length > buffer.Length)))
            {
                return null;
            }

            for (int i = 0; i < MaxTasks; i++)
            {
                IscsiTask task = _tasks[i];
                if (task.State != IscsiTaskState.Free)
                {
                    continue;
                }

                task.Generation = (task.Generation + 1) & 0xFFFFFF;
                task.Tag = (task.Generation << 6) | (uint)i;
                cdb.CopyTo(task.CdbBytes);
                new Span<byte>(task.CdbBytes, cdb.Length, 16 - cdb.Length).Clear();
                task.CdbLength = cdb.Length;
                task.Lun = lun;
                task.IsWrite = write;
                task.Buffer = buffer;
                task.BufferOffset = offset;
                task.Length = length;
                task.Reissues = 0;
                task.Result = IscsiStatus.Pending;
                task.Sequence = ++_sequence;
                task.ResetProgress();
                task.State = IscsiTaskState.Waiting;
                _waiting[(_waitingHead + _waitingCount) % MaxTasks] = i;
                _waitingCount++;
                if (State == IscsiSessionState.FullFeature)
                {
                    DispatchWaiting();
                    _connection.Flush();
                }

                return task;
            }

            return null;
        }

        /// <summary>Returns a finished task's slot for reuse.</summary>
        public void Release(IscsiTask task)
        {
            if (task.State == IscsiTaskState.Done)
            {
                task.State = IscsiTaskState.Free;
                task.Buffer = null;
            }
        }

        public int Outstanding
        {
            get
            {
                int count = 0;
                for (int i = 0; i < MaxTasks; i++)
                {
                    if (_tasks[i].State == IscsiTaskState.Waiting || _tasks[i].State == IscsiTaskState.Sent)
                    {
                        count++;
                    }
                }

                return count;
            }
        }

        private IscsiTask? FindTask(uint tag)
        {
            uint index = tag & 0x3F;
            if (index >= MaxTasks || tag >= KeepaliveTagBase)
            {
                return null;
            }

            IscsiTask task = _tasks[(int)index];
            return task.State == IscsiTaskState.Sent && task.Tag == tag ? task : null;
        }

        private void Complete(IscsiTask task, IscsiStatus result)
        {
            task.Result = result;
            task.State = IscsiTaskState.Done;
            task.BurstCount = 0;
            if (task.IsWrite && !_connection.CancelQueued(task.Tag))
            {
                // Status came while a Data-Out from the caller's buffer was half sent; the buffer
                // is the caller's again, so the rest of that PDU cannot follow: drop the connection.
                _connection.Fail(IscsiStatus.ProtocolError);
            }
        }

        // Sends waiting tasks in submission order while the CmdSN window is open. After a
        // reconnect, re-issued tasks are older than anything queued since, so order holds.
        private void DispatchWaiting()
        {
            if (_waitingCount == 0)
            {
                RebuildWaitingQueue();
            }

            while (_waitingCount > 0 && IscsiPdu.SerialLessOrEqual(_cmdSn, _maxCmdSn) && _connection.FreeSlots > 1)
            {
                IscsiTask task = _tasks[_waiting[_waitingHead]];
                _waitingHead = (_waitingHead + 1) % MaxTasks;
                _waitingCount--;
                if (task.State == IscsiTaskState.Waiting)
                {
                    SendCommand(task);
                }
            }
        }

        // Tasks put back to Waiting by Reconnect are not in the queue: collect them, oldest first.
        private void RebuildWaitingQueue()
        {
            while (true)
            {
                IscsiTask? oldest = null;
                for (int i = 0; i < MaxTasks; i++)
                {
                    IscsiTask task = _tasks[i];
                    if (task.State == IscsiTaskState.Waiting && !IsQueued(i) && (oldest == null || task.Sequence < oldest.Sequence))
                    {
                        oldest = task;
                    }
                }

                if (oldest == null)
                {
                    return;
                }

                _waiting[(_waitingHead + _waitingCount) % MaxTasks] = oldest.Index;
                _waitingCount++;
            }
        }

        private bool IsQueued(int index)
        {
            for (int i = 0; i < _waitingCount; i++)
            {
                if (_waiting[(_waitingHead + i) % MaxTasks] == index)
                {
                    return true;
                }
            }

            return false;
        }

        private void SendCommand(IscsiTask task)
        {
            Span<byte> h = _header;
            h.Clear();
            h[0] = IscsiPdu.ScsiCommand;
            h[1] = (byte)(IscsiPdu.FinalFlag | IscsiPdu.SimpleTaskAttribute | (task.Length > 0 ? (task.IsWrite ? IscsiPdu.WriteFlag : IscsiPdu.ReadFlag) : 0));
            BinaryPrimitives.WriteUInt64BigEndian(h.Slice(IscsiPdu.LunOffset), task.Lun);
            IscsiPdu.WriteUInt32(h, IscsiPdu.InitiatorTaskTagOffset, task.Tag);
            IscsiPdu.WriteUInt32(h, IscsiPdu.ExpectedTransferLengthOffset, (uint)task.Length);
            IscsiPdu.WriteUInt32(h, IscsiPdu.CmdSnOffset, _cmdSn);
            IscsiPdu.WriteUInt32(h, IscsiPdu.ExpStatSnOffset, _expStatSn);
            new ReadOnlySpan<byte>(task.CdbBytes, 0, 16).CopyTo(h.Slice(IscsiPdu.CdbOffset));

            int immediate = 0;
            if (task.IsWrite && task.Length > 0)
            {
                // Unsolicited data (§4.2.5.2): immediate data rides in the command PDU, the rest of
                // the first burst follows in Data-Out with TTT 0xffffffff when InitialR2T=No.
                int firstBurst = (int)Math.Min((uint)task.Length, Parameters.FirstBurstLength);
                if (Parameters.ImmediateData)
                {
                    immediate = (int)Math.Min((uint)firstBurst, Parameters.TargetMaxRecvDataSegmentLength);
                }

                if (!Parameters.InitialR2T && firstBurst > immediate)
                {
                    task.AddBurst(IscsiPdu.ReservedTag, immediate, firstBurst - immediate);

                    // F=0 announces that unsolicited Data-Out follows (§11.3.1.1); with F=1 the
                    // target would R2T that range too and receive it twice.
                    h[1] &= unchecked((byte)~IscsiPdu.FinalFlag);
                }
            }

            _connection.Enqueue(h, task.Buffer, task.BufferOffset, immediate);
            _cmdSn++;
            task.State = IscsiTaskState.Sent;
            Counters.CommandsSent++;
        }

        // Turns pending bursts into Data-Out PDUs while the send ring has room.
        private void PumpDataOut()
        {
            for (int i = 0; i < MaxTasks && _connection.FreeSlots > 0; i++)
            {
                IscsiTask task = _tasks[i];
                while (task.State == IscsiTaskState.Sent && task.BurstCount > 0 && _connection.FreeSlots > 0)
                {
                    int segment = (int)Math.Min((uint)task.BurstLength[0], Parameters.TargetMaxRecvDataSegmentLength);
                    bool last = segment == task.BurstLength[0];
                    Span<byte> h = _header;
                    h.Clear();
                    h[0] = IscsiPdu.DataOut;
                    h[1] = last ? IscsiPdu.FinalFlag : (byte)0;
                    BinaryPrimitives.WriteUInt64BigEndian(h.Slice(IscsiPdu.LunOffset), task.Lun);
                    IscsiPdu.WriteUInt32(h, IscsiPdu.InitiatorTaskTagOffset, task.Tag);
                    IscsiPdu.WriteUInt32(h, IscsiPdu.TargetTransferTagOffset, task.BurstTag[0]);
                    IscsiPdu.WriteUInt32(h, IscsiPdu.ExpStatSnOffset, _expStatSn);
                    IscsiPdu.WriteUInt32(h, IscsiPdu.DataSnOffset, task.BurstDataSn[0]);
                    IscsiPdu.WriteUInt32(h, IscsiPdu.BufferOffsetOffset, (uint)task.BurstOffset[0]);
                    _connection.Enqueue(h, task.Buffer, task.BufferOffset + task.BurstOffset[0], segment);
                    task.BurstDataSn[0]++;
                    task.BurstOffset[0] += segment;
                    task.BurstLength[0] -= segment;
                    if (last)
                    {
                        task.DropFirstBurst();
                    }
                }
            }
        }

        private void ReceiveFullFeature(byte opcode, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
        {
            switch (opcode)
            {
                case IscsiPdu.DataIn:
                    UpdateWindow(header);
                    ReceiveDataIn(header, data.Length);
                    break;
                case IscsiPdu.ScsiResponse:
                    UpdateWindow(header);
                    AcknowledgeStatus(header);
                    ReceiveScsiResponse(header, data);
                    break;
                case IscsiPdu.ReadyToTransfer:
                    UpdateWindow(header);
                    ReceiveR2T(header);
                    break;
                case IscsiPdu.NopIn:
                    UpdateWindow(header);
                    ReceiveNopIn(header, data);
                    break;
                case IscsiPdu.AsyncMessage:
                    UpdateWindow(header);
                    AcknowledgeStatus(header);
                    ReceiveAsync(header);
                    break;
                case IscsiPdu.Reject:
                    UpdateWindow(header);
                    AcknowledgeStatus(header);
                    ReceiveReject(data);
                    break;
                case IscsiPdu.LogoutResponse:
                    UpdateWindow(header);
                    AcknowledgeStatus(header);
                    if (State == IscsiSessionState.LoggingOut && IscsiPdu.ReadUInt32(header, IscsiPdu.InitiatorTaskTagOffset) == _logoutTag)
                    {
                        State = IscsiSessionState.LoggedOut;
                        _transport.Close();
                    }
                    else
                    {
                        Counters.StalePdus++;
                    }

                    break;
                default:
                    // Text/Task-management responses to requests we never send, a Login Response
                    // after login, or an opcode that does not exist.
                    Counters.MalformedPdus++;
                    _pduInvalid = true;
                    break;
            }
        }

        private void ReceiveDataIn(ReadOnlySpan<byte> header, int length)
        {
            IscsiTask? task = FindTask(IscsiPdu.ReadUInt32(header, IscsiPdu.InitiatorTaskTagOffset));
            if (task == null)
            {
                Counters.StalePdus++;
                return;
            }

            uint dataSn = IscsiPdu.ReadUInt32(header, IscsiPdu.DataSnOffset);
            if (task.IsWrite || dataSn != task.ExpectedDataSn)
            {
                Counters.MalformedPdus++;
                _pduInvalid = true;
                return;
            }

            task.ExpectedDataSn++;
            task.Received += length;
            if ((header[1] & IscsiPdu.StatusFlag) != 0)
            {
                if ((header[1] & IscsiPdu.FinalFlag) == 0)
                {
                    Counters.MalformedPdus++;
                    _pduInvalid = true;
                    return;
                }

                AcknowledgeStatus(header);
                Finish(task, 0, header[3], header, default);
            }
        }

        private void ReceiveScsiResponse(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
        {
            IscsiTask? task = FindTask(IscsiPdu.ReadUInt32(header, IscsiPdu.InitiatorTaskTagOffset));
            if (task == null)
            {
                Counters.StalePdus++;
                return;
            }

            Finish(task, header[2], header[3], header, data);
        }

        // Status for a task from a SCSI Response or a final Data-In with S. A good status must
        // account for every byte: received + residual underflow = expected length, or the data
        // in the buffer is not what the target read and must not be handed out.
        private void Finish(IscsiTask task, byte response, byte scsiStatus, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
        {
            task.ScsiStatus = scsiStatus;
            uint residual = IscsiPdu.ReadUInt32(header, IscsiPdu.ResidualCountOffset);
            bool underflow = (header[1] & IscsiPdu.ResidualUnderflowFlag) != 0;
            task.Residual = underflow && residual <= (uint)task.Length ? (int)residual : 0;
            if (data.Length >= 2)
            {
                int senseLength = BinaryPrimitives.ReadUInt16BigEndian(data);
                if (senseLength > data.Length - 2)
                {
                    Counters.MalformedPdus++;
                    senseLength = 0;
                }

                senseLength = Math.Min(senseLength, IscsiTask.MaxSense);
                data.Slice(2, senseLength).CopyTo(task.SenseBytes);
                task.SenseLength = senseLength;
            }

            if (response != 0)
            {
                Complete(task, IscsiStatus.ScsiFailed);
                return;
            }

            if (scsiStatus == 0)
            {
                if (!task.IsWrite && task.Received + task.Residual != task.Length)
                {
                    Counters.MalformedPdus++;
                    Complete(task, IscsiStatus.ProtocolError);
                    return;
                }

                Complete(task, IscsiStatus.Success);
                return;
            }

            Complete(task, scsiStatus == 0x02 ? IscsiStatus.CheckCondition : (scsiStatus == 0x08 || scsiStatus == 0x28) ? IscsiStatus.ScsiBusy : IscsiStatus.ScsiFailed);
        }

        private void ReceiveR2T(ReadOnlySpan<byte> header)
        {
            IscsiTask? task = FindTask(IscsiPdu.ReadUInt32(header, IscsiPdu.InitiatorTaskTagOffset));
            if (task == null)
            {
                Counters.StalePdus++;
                return;
            }

            uint offset = IscsiPdu.ReadUInt32(header, IscsiPdu.BufferOffsetOffset);
            uint length = IscsiPdu.ReadUInt32(header, IscsiPdu.DesiredLengthOffset);
            uint tag = IscsiPdu.ReadUInt32(header, IscsiPdu.TargetTransferTagOffset);
            // At most MaxOutstandingR2T solicited bursts may be open at once (§13.17): one more is
            // a target out of step with the negotiation.
            if (!task.IsWrite || length == 0 || length > Parameters.MaxBurstLength || (ulong)offset + length > (ulong)task.Length
                || tag == IscsiPdu.ReservedTag || task.SolicitedBursts >= Parameters.MaxOutstandingR2T || !task.AddBurst(tag, (int)offset, (int)length))
            {
                Counters.MalformedPdus++;
                _pduInvalid = true;
            }
        }

        private void ReceiveNopIn(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
        {
            uint initiatorTag = IscsiPdu.ReadUInt32(header, IscsiPdu.InitiatorTaskTagOffset);
            uint targetTag = IscsiPdu.ReadUInt32(header, IscsiPdu.TargetTransferTagOffset);
            if (initiatorTag != IscsiPdu.ReservedTag)
            {
                // The answer to our keepalive: it carries a StatSN like any response.
                AcknowledgeStatus(header);
                if (_keepaliveOutstanding && initiatorTag == _keepaliveTag)
                {
                    _keepaliveOutstanding = false;
                }
                else
                {
                    Counters.StalePdus++;
                }

                return;
            }

            if (targetTag == IscsiPdu.ReservedTag)
            {
                // An unsolicited NOP-In that wants no answer (it may carry a StatSN update only).
                return;
            }

            // A ping (§11.19): answer with a NOP-Out echoing the TTT, the LUN and the data.
            if (_pingEchoBusy || _connection.FreeSlots == 0 || data.Length > _pingEcho.Length)
            {
                Counters.MalformedPdus++;
                return;
            }

            data.CopyTo(_pingEcho);
            BuildNopOut(IscsiPdu.ReservedTag, targetTag, BinaryPrimitives.ReadUInt64BigEndian(header.Slice(IscsiPdu.LunOffset)));
            _connection.Enqueue(_header, _pingEcho, 0, data.Length);
            _pingEchoBusy = true;
            Counters.NopInPingsAnswered++;
        }

        private void ReceiveAsync(ReadOnlySpan<byte> header)
        {
            Counters.AsyncMessages++;
            byte asyncEvent = header[IscsiPdu.AsyncEventOffset];
            if (asyncEvent == 1)
            {
                // The target wants this session to log out: the owner logs out and back in.
                _logoutRequested = true;
            }
            else if (asyncEvent == 2 || asyncEvent == 3)
            {
                // The target is about to drop the connection: recover now instead of after a timeout.
                _connection.Fail(IscsiStatus.ConnectionLost);
            }

            // 0 (SCSI async event, sense only), 4 (renegotiation request) and vendor events need no action
            // from a boot initiator at ErrorRecoveryLevel 0.
        }

        private void ReceiveReject(ReadOnlySpan<byte> data)
        {
            Counters.Rejects++;
            if (data.Length < IscsiPdu.BasicHeaderLength)
            {
                Counters.MalformedPdus++;
                return;
            }

            IscsiTask? task = FindTask(IscsiPdu.ReadUInt32(data, IscsiPdu.InitiatorTaskTagOffset));
            if (task != null)
            {
                Complete(task, IscsiStatus.Rejected);
            }
        }
    }
}
