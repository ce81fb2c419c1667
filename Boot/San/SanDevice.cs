// A SCSI disk behind an iSCSI session, as a block device for the boot path (INT 13, the MBR
// read, the OS loader's reads): open = login + TEST UNIT READY (retried while the unit becomes
// ready) + INQUIRY + READ CAPACITY(10), then (16) when the disk outgrows 32-bit LBAs. Reads and
// writes are split into commands no larger than MaxTransferBytes and kept QueueDepth deep.
// Every command has a deadline; a timeout or a broken connection makes the session log in again
// (after ReconnectDelayMs) and re-issue what was unfinished, up to Retries times, so the caller
// either gets data the target sent for this request or an error, never a stale buffer.
// Sequential small reads are served from a bounded read-ahead cache (SanReadAhead).
using System;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.Scsi;

namespace Bootstage.Boot.San
{
    public struct SanCounters
    {
        public ulong Commands;
        public ulong Timeouts;
        public ulong Reconnects;
        public ulong CommandRetries;
        public ulong CacheHits;
        public ulong CacheFills;
        public ulong BytesRead;
        public ulong BytesWritten;
    }

    public sealed partial class SanDevice : Int13.IBlockDisk
    {
        public const int MaxQueueDepth = 16;
        private const int TestUnitReadyAttempts = 10;

        private readonly IscsiSession _session;
        private readonly byte[] _server;
        private readonly ushort _port;
        private readonly ulong _lun;
        private readonly byte[] _small = new byte[512];
        private readonly byte[] _cdb = new byte[16];

        // In-flight commands of the current request.
        private readonly IscsiTask?[] _slotTask = new IscsiTask?[MaxQueueDepth];
        private readonly ulong[] _slotLba = new ulong[MaxQueueDepth];
        private readonly int[] _slotBlocks = new int[MaxQueueDepth];
        private readonly int[] _slotOffset = new int[MaxQueueDepth];
        private readonly ulong[] _slotDeadline = new ulong[MaxQueueDepth];
        private readonly int[] _slotAttempts = new int[MaxQueueDepth];

        public SanDevice(IscsiSession session, ReadOnlySpan<byte> server, ushort port, ulong lun)
        {
            _session = session;
            _server = server.ToArray();
            _port = port;
            _lun = lun;
        }

        public IscsiSession Session => _session;

        public SanCounters Counters;

        public ulong CommandTimeoutMs { get; set; } = 15_000;

        public int Retries { get; set; } = 10;

        public ulong ReconnectDelayMs { get; set; } = 1_000;

        public int QueueDepth { get; set; } = 16;

        public int MaxTransferBytes { get; set; } = 64 * 1024;

        public uint BlockSize { get; private set; }

        public ulong BlockCount { get; private set; }

        public byte DeviceType { get; private set; }

        /// <summary>The most recent sense data of a failed command (for log lines).</summary>
        public ScsiSense LastSense { get; private set; }

        public bool IsOpen { get; private set; }

        /// <summary>Why the last Open failed when its status alone does not say (SanFailureText names it).</summary>
        public SanFailure Failure { get; private set; }

        /// <summary>Logs in and learns the disk's geometry.</summary>
        public IscsiStatus Open()
        {
            Failure = SanFailure.None;
            IscsiStatus status = _session.Start(_server, _port);
            if (status != IscsiStatus.Pending && status != IscsiStatus.Success)
            {
                return status;
            }

            status = WaitForLogin(Retries, established: false);
            if (status != IscsiStatus.Success)
            {
                return status;
            }

            // One TEST UNIT READY per attempt (Command's own sense retries would multiply the ten),
            // tried again only while the sense says the unit will become ready.
            Span<byte> cdb = _cdb;
            for (int attempt = 1; ; attempt++)
            {
                LastSense = default;
                status = Command(cdb.Slice(0, ScsiCdb.TestUnitReady(cdb)), false, null, 0, 0, false);
                if (status != IscsiStatus.CheckCondition || attempt >= TestUnitReadyAttempts || !LastSense.IsRetryable)
                {
                    break;
                }
            }

            if (status != IscsiStatus.Success)
            {
                return status;
            }

            status = Command(cdb.Slice(0, ScsiCdb.StandardInquiry(96, cdb)), false, _small, 0, 96);
            if (status != IscsiStatus.Success)
            {
                return status;
            }

            if (!InquiryData.TryParse(new ReadOnlySpan<byte>(_small, 0, 96 - _lastResidual), out InquiryData inquiry))
            {
                Failure = SanFailure.ShortInquiry;
                return IscsiStatus.ProtocolError;
            }

            if (!inquiry.IsLogicalUnitPresent)
            {
                Failure = SanFailure.NoLogicalUnit;
                return IscsiStatus.TargetNotFound;
            }

            DeviceType = inquiry.DeviceType;
            status = ReadCapacity();
            IsOpen = status == IscsiStatus.Success;
            return status;
        }

        private IscsiStatus ReadCapacity()
        {
            Span<byte> cdb = _cdb;
            IscsiStatus status = Command(cdb.Slice(0, ScsiCdb.ReadCapacity10(cdb)), false, _small, 0, ReadCapacity10Data.Length);
            int received = ReadCapacity10Data.Length - _lastResidual;
            if (status != IscsiStatus.Success || !ReadCapacity10Data.TryParse(new ReadOnlySpan<byte>(_small, 0, received), out ReadCapacity10Data short10))
            {
                // Enough bytes that do not parse can only mean a zero block length.
                return status != IscsiStatus.Success ? status
                    : CapacityFailure(received < ReadCapacity10Data.Length ? SanFailure.ShortCapacity : SanFailure.ImpossibleBlockSize);
            }

            ulong blocks = short10.BlockCount;
            uint blockSize = short10.BlockLength;
            if (short10.NeedsReadCapacity16)
            {
                status = Command(cdb.Slice(0, ScsiCdb.ReadCapacity16(32, cdb)), false, _small, 0, 32);
                received = 32 - _lastResidual;
                if (status != IscsiStatus.Success || !ReadCapacity16Data.TryParse(new ReadOnlySpan<byte>(_small, 0, received), out ReadCapacity16Data long16))
                {
                    return status != IscsiStatus.Success ? status
                        : CapacityFailure(received < ReadCapacity16Data.MinimumLength ? SanFailure.ShortCapacity : SanFailure.ImpossibleBlockSize);
                }

                blocks = long16.BlockCount;
                blockSize = long16.BlockLength;
            }

            if (blockSize == 0 || blockSize > 65536 || (blockSize & (blockSize - 1)) != 0)
            {
                return CapacityFailure(SanFailure.ImpossibleBlockSize);
            }

            BlockSize = blockSize;
            BlockCount = blocks;
            return IscsiStatus.Success;
        }

        private IscsiStatus CapacityFailure(SanFailure failure)
        {
            Failure = failure;
            return IscsiStatus.ProtocolError;
        }

        private int _lastResidual;

        /// <summary>Residual (bytes not transferred) of the last command run through Command.</summary>
        public int LastResidual => _lastResidual;

        /// <summary>
        /// Runs one SCSI command to completion (with the device's retry rules; a retryable sense is
        /// re-sent only when <paramref name="retrySense"/> is set).
        /// </summary>
        public IscsiStatus Command(ReadOnlySpan<byte> cdb, bool write, byte[]? buffer, int offset, int length, bool retrySense = true)
        {
            _lastResidual = 0;
            IscsiStatus relogged = HonourLogoutRequest();
            if (relogged != IscsiStatus.Success)
            {
                return relogged;
            }

            IscsiTask? task = null;
            int attempts = 0;
            while (true)
            {
                if (task == null)
                {
                    task = _session.Submit(_lun, cdb, write, buffer, offset, length);
                    if (task == null)
                    {
                        return IscsiStatus.NoFreeTask;
                    }

                    Counters.Commands++;
                }

                ulong deadline = _session.Milliseconds + CommandTimeoutMs;
                while (!task.IsDone)
                {
                    _session.Poll();
                    if (_session.State != IscsiSessionState.FullFeature || _session.Milliseconds > deadline)
                    {
                        if (_session.State == IscsiSessionState.FullFeature)
                        {
                            Counters.Timeouts++;
                            _session.Fail(IscsiStatus.Timeout);
                        }

                        if (++attempts > Retries)
                        {
                            _session.AbortTasks(IscsiStatus.Timeout);
                            break;
                        }

                        IscsiStatus recovered = Recover();
                        if (recovered != IscsiStatus.Success)
                        {
                            _session.AbortTasks(recovered);
                            break;
                        }

                        deadline = _session.Milliseconds + CommandTimeoutMs;
                    }
                }

                IscsiStatus result = task.Result;
                _lastResidual = task.Residual;
                bool retry = WorthRetrying(task, result) && (retrySense || result == IscsiStatus.ScsiBusy);
                _session.Release(task);
                task = null;
                if (!retry || ++attempts > Retries)
                {
                    return result;
                }

                Counters.CommandRetries++;
            }
        }

        // BUSY / TASK SET FULL, or a CHECK CONDITION whose sense says another try may work (unit
        // attention, becoming ready). The sense of every CHECK CONDITION is kept in LastSense.
        private bool WorthRetrying(IscsiTask task, IscsiStatus result)
        {
            if (result == IscsiStatus.CheckCondition)
            {
                ScsiSense.TryParse(task.Sense, out ScsiSense sense);
                LastSense = sense;
                return sense.IsRetryable;
            }

            return result == IscsiStatus.ScsiBusy;
        }

        // Waits out a failed session: pause, log in again, repeat. Errors a new login cannot fix
        // (authentication, authorisation, a target that does not exist) end the wait at once.
        private IscsiStatus Recover()
        {
            return WaitForLogin(Retries, established: true);
        }

        // `established`: this target has served us before, so "target not found" or "removed"
        // means it is restarting (configuration not back yet), which is worth waiting out.
        // When the attempts run out, the first failure of this wait is reported: later ones are
        // usually its consequences (a target that sent garbage and then stopped listening is
        // a protocol error, not "could not connect"). A lost connection is what starts a
        // recovery, not a cause, so it is reported only when nothing else happened.
        private IscsiStatus WaitForLogin(int attempts, bool established)
        {
            IscsiStatus first = IscsiStatus.Success;
            while (_session.State != IscsiSessionState.FullFeature)
            {
                if (_session.State == IscsiSessionState.Failed)
                {
                    IscsiStatus error = _session.LastError;
                    if (first == IscsiStatus.Success || first == IscsiStatus.ConnectionLost)
                    {
                        first = error;
                    }

                    bool transientAfterAll = established && (error == IscsiStatus.TargetNotFound || error == IscsiStatus.TargetRemoved);
                    if (IsPermanent(error) && !transientAfterAll)
                    {
                        return error;
                    }

                    if (attempts-- <= 0)
                    {
                        return first;
                    }

                    ulong resume = _session.Milliseconds + ReconnectDelayMs;
                    while (_session.Milliseconds < resume)
                    {
                        _session.Poll();
                    }

                    Counters.Reconnects++;
                    _session.Reconnect();
                }
                else if (_session.State == IscsiSessionState.LoggedOut || _session.State == IscsiSessionState.Idle)
                {
                    return IscsiStatus.NotLoggedIn;
                }

                _session.Poll();
            }

            return IscsiStatus.Success;
        }

        // The target asked for a logout (Async event 1, e.g. before maintenance): between
        // requests, so no command is cut off, log out and straight back in.
        private IscsiStatus HonourLogoutRequest()
        {
            if (!_session.LogoutRequested || _session.State != IscsiSessionState.FullFeature || _session.Outstanding != 0)
            {
                return IscsiStatus.Success;
            }

            if (_session.Logout() == IscsiStatus.Pending)
            {
                ulong deadline = _session.Milliseconds + CommandTimeoutMs;
                while (_session.State == IscsiSessionState.LoggingOut && _session.Milliseconds < deadline)
                {
                    _session.Poll();
                }
            }

            Counters.Reconnects++;
            _session.Reconnect();
            return WaitForLogin(Retries, established: true);
        }

        public static bool IsPermanent(IscsiStatus status)
        {
            return status == IscsiStatus.AuthenticationFailed || status == IscsiStatus.AuthorizationFailed
                || status == IscsiStatus.TargetNotFound || status == IscsiStatus.TargetRemoved
                || status == IscsiStatus.InvalidCredentials || status == IscsiStatus.InvalidArgument
                || status == IscsiStatus.TargetNotAuthenticated || status == IscsiStatus.NegotiationFailed;
        }

        /// <summary>Logs out (before handing the machine to the OS, when asked to).</summary>
        public IscsiStatus Close()
        {
            IsOpen = false;
            IscsiStatus status = _session.Logout();
            if (status != IscsiStatus.Pending)
            {
                return status;
            }

            ulong deadline = _session.Milliseconds + CommandTimeoutMs;
            while (_session.State == IscsiSessionState.LoggingOut && _session.Milliseconds < deadline)
            {
                _session.Poll();
            }

            return _session.State == IscsiSessionState.LoggedOut ? IscsiStatus.Success : IscsiStatus.Timeout;
        }
    }
}
