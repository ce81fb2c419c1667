// Block reads and writes on the SAN device: a request is cut into READ/WRITE commands of at
// most MaxTransferBytes (and 0xFFFF blocks for the 10-byte CDBs; the 16-byte forms only when
// the range crosses the 2^32-block line), QueueDepth of them in flight. Each command has its own
// deadline and attempt count; a lost connection or timeout means log in again and re-issue. A
// retryable sense (unit attention after the target restarted, becoming ready) re-sends just that
// command. Sequential small reads go through the read-ahead window (ReadAhead).
using System;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.Scsi;

namespace Bootstage.Boot.San
{
    public sealed partial class SanDevice
    {
        private byte[]? _cache;
        private ulong _cacheLba;
        private int _cacheBlocks;
        private ulong _nextSequentialLba = ulong.MaxValue;

        /// <summary>Bytes of read-ahead kept for sequential small reads; 0 turns it off.</summary>
        public int ReadAheadBytes { get; set; } = 128 * 1024;

        /// <summary>Reads <paramref name="blocks"/> blocks at <paramref name="lba"/> into the buffer.</summary>
        public IscsiStatus Read(ulong lba, int blocks, byte[] buffer, int offset)
        {
            IscsiStatus valid = CheckRange(lba, blocks, buffer, offset);
            if (valid != IscsiStatus.Success)
            {
                return valid;
            }

            int bytes = blocks * (int)BlockSize;
            if (_cache != null && _cacheBlocks > 0 && lba >= _cacheLba && lba + (ulong)blocks <= _cacheLba + (ulong)_cacheBlocks)
            {
                Counters.CacheHits++;
                new ReadOnlySpan<byte>(_cache, (int)(lba - _cacheLba) * (int)BlockSize, bytes).CopyTo(new Span<byte>(buffer, offset, bytes));
                _nextSequentialLba = lba + (ulong)blocks;
                return IscsiStatus.Success;
            }

            bool sequential = lba == _nextSequentialLba;
            _nextSequentialLba = lba + (ulong)blocks;
            if (sequential && ReadAheadBytes >= 2 * bytes && ReadAheadBytes >= (int)BlockSize)
            {
                IscsiStatus filled = FillCache(lba);
                if (filled == IscsiStatus.Success && lba + (ulong)blocks <= _cacheLba + (ulong)_cacheBlocks)
                {
                    new ReadOnlySpan<byte>(_cache, 0, bytes).CopyTo(new Span<byte>(buffer, offset, bytes));
                    return IscsiStatus.Success;
                }
            }

            IscsiStatus status = Transfer(false, lba, blocks, buffer, offset);
            if (status == IscsiStatus.Success)
            {
                Counters.BytesRead += (ulong)bytes;
            }

            return status;
        }

        /// <summary>Writes blocks from the buffer; cached blocks in the range are dropped first.</summary>
        public IscsiStatus Write(ulong lba, int blocks, byte[] buffer, int offset)
        {
            IscsiStatus valid = CheckRange(lba, blocks, buffer, offset);
            if (valid != IscsiStatus.Success)
            {
                return valid;
            }

            if (_cacheBlocks > 0 && lba < _cacheLba + (ulong)_cacheBlocks && _cacheLba < lba + (ulong)blocks)
            {
                _cacheBlocks = 0;
            }

            IscsiStatus status = Transfer(true, lba, blocks, buffer, offset);
            if (status == IscsiStatus.Success)
            {
                Counters.BytesWritten += (ulong)blocks * BlockSize;
            }

            return status;
        }

        private IscsiStatus CheckRange(ulong lba, int blocks, byte[] buffer, int offset)
        {
            if (!IsOpen)
            {
                return IscsiStatus.NotLoggedIn;
            }

            if (blocks <= 0 || lba >= BlockCount || (ulong)blocks > BlockCount - lba || buffer == null || offset < 0
                || (long)blocks * BlockSize > buffer.Length - offset)
            {
                return IscsiStatus.InvalidArgument;
            }

            return IscsiStatus.Success;
        }

        private IscsiStatus FillCache(ulong lba)
        {
            int windowBlocks = ReadAheadBytes / (int)BlockSize;
            if (_cache == null || _cache.Length < windowBlocks * (int)BlockSize)
            {
                _cache = new byte[windowBlocks * (int)BlockSize];
            }

            ulong left = BlockCount - lba;
            int blocks = left < (ulong)windowBlocks ? (int)left : windowBlocks;
            _cacheBlocks = 0;
            IscsiStatus status = Transfer(false, lba, blocks, _cache, 0);
            if (status == IscsiStatus.Success)
            {
                _cacheLba = lba;
                _cacheBlocks = blocks;
                Counters.CacheFills++;
                Counters.BytesRead += (ulong)blocks * BlockSize;
            }

            return status;
        }

        // The engine: keep up to QueueDepth commands in flight until every piece has completed.
        private IscsiStatus Transfer(bool write, ulong lba, int blocks, byte[] buffer, int offset)
        {
            IscsiStatus relogged = HonourLogoutRequest();
            if (relogged != IscsiStatus.Success)
            {
                return relogged;
            }

            int perCommand = MaxTransferBytes / (int)BlockSize;
            if (perCommand < 1)
            {
                perCommand = 1;
            }

            if (perCommand > 0xFFFF)
            {
                perCommand = 0xFFFF;
            }

            int depth = QueueDepth < 1 ? 1 : (QueueDepth > MaxQueueDepth ? MaxQueueDepth : QueueDepth);
            int submitted = 0;
            int inFlight = 0;
            IscsiStatus failure = IscsiStatus.Success;
            bool connectionLost = false;

            // After a command fails, the others still in flight are waited for, not abandoned: the
            // target is still working on them, and a write's Data-Out must not be sent from a
            // buffer the caller already owns again.
            while (!connectionLost && ((failure == IscsiStatus.Success && submitted < blocks) || inFlight > 0))
            {
                for (int slot = 0; slot < depth && submitted < blocks && failure == IscsiStatus.Success; slot++)
                {
                    if (_slotTask[slot] != null)
                    {
                        continue;
                    }

                    int count = Math.Min(perCommand, blocks - submitted);
                    _slotLba[slot] = lba + (ulong)submitted;
                    _slotBlocks[slot] = count;
                    _slotOffset[slot] = offset + submitted * (int)BlockSize;
                    _slotAttempts[slot] = 0;
                    if (!SubmitSlot(slot, write, buffer))
                    {
                        break;
                    }

                    submitted += count;
                    inFlight++;
                }

                _session.Poll();
                if (_session.State != IscsiSessionState.FullFeature)
                {
                    IscsiStatus recovered = failure == IscsiStatus.Success ? RecoverInFlight(depth) : IscsiStatus.ConnectionLost;
                    if (recovered != IscsiStatus.Success)
                    {
                        // The connection is gone with its queued PDUs: nothing more can reach the target.
                        failure = failure == IscsiStatus.Success ? recovered : failure;
                        connectionLost = true;
                    }

                    continue;
                }

                ulong now = _session.Milliseconds;
                for (int slot = 0; slot < depth; slot++)
                {
                    IscsiTask? task = _slotTask[slot];
                    if (task == null)
                    {
                        continue;
                    }

                    if (!task.IsDone)
                    {
                        if (now > _slotDeadline[slot])
                        {
                            // No answer in time: the connection is suspect; a fresh login re-issues everything.
                            Counters.Timeouts++;
                            _session.Fail(IscsiStatus.Timeout);
                            break;
                        }

                        continue;
                    }

                    IscsiStatus result = task.Result;
                    if (result == IscsiStatus.Success && task.Residual != 0)
                    {
                        // GOOD, yet not every block moved: part of the buffer (or of the disk) is
                        // not what was asked for, so the request has not succeeded.
                        result = IscsiStatus.ProtocolError;
                    }

                    bool retry = WorthRetrying(task, result);

                    _session.Release(task);
                    _slotTask[slot] = null;
                    if (result == IscsiStatus.Success)
                    {
                        inFlight--;
                        continue;
                    }

                    if (retry && ++_slotAttempts[slot] <= Retries)
                    {
                        Counters.CommandRetries++;
                        if (!SubmitSlot(slot, write, buffer))
                        {
                            inFlight--;
                            failure = failure == IscsiStatus.Success ? IscsiStatus.NoFreeTask : failure;
                        }

                        continue;
                    }

                    inFlight--;
                    if (failure == IscsiStatus.Success)
                    {
                        failure = result;
                    }
                }
            }

            if (connectionLost)
            {
                DropSlots(depth, failure);
            }

            return failure;
        }

        private bool SubmitSlot(int slot, bool write, byte[] buffer)
        {
            Span<byte> cdb = _cdb;
            int length = ScsiCdb.ReadOrWrite(write, _slotLba[slot], (uint)_slotBlocks[slot], cdb);
            IscsiTask? task = _session.Submit(_lun, cdb.Slice(0, length), write, buffer, _slotOffset[slot], _slotBlocks[slot] * (int)BlockSize);
            _slotTask[slot] = task;
            _slotDeadline[slot] = _session.Milliseconds + CommandTimeoutMs;
            if (task != null)
            {
                Counters.Commands++;
            }

            return task != null;
        }

        // The session failed under in-flight commands: log in again (the session re-issues them),
        // give them fresh deadlines, and count the attempt against each.
        private IscsiStatus RecoverInFlight(int depth)
        {
            for (int slot = 0; slot < depth; slot++)
            {
                if (_slotTask[slot] != null && !_slotTask[slot]!.IsDone && ++_slotAttempts[slot] > Retries)
                {
                    return IscsiStatus.Timeout;
                }
            }

            IscsiStatus status = Recover();
            if (status != IscsiStatus.Success)
            {
                return status;
            }

            ulong deadline = _session.Milliseconds + CommandTimeoutMs;
            for (int slot = 0; slot < depth; slot++)
            {
                _slotDeadline[slot] = deadline;
            }

            return IscsiStatus.Success;
        }

        private void DropSlots(int depth, IscsiStatus reason)
        {
            _session.AbortTasks(reason);
            for (int slot = 0; slot < depth; slot++)
            {
                IscsiTask? task = _slotTask[slot];
                if (task != null)
                {
                    _session.Release(task);
                    _slotTask[slot] = null;
                }
            }
        }
    }
}
