// AutoTarget: an in-memory iSCSI target that answers by itself, for code that blocks while it
// polls (SanDevice). It wraps ScriptedTarget, which cuts what the initiator sends into PDUs and
// builds the target's PDUs, and on every Poll moves the manual clock on by StepMs, reads the PDUs
// that arrived since the last Poll and answers them: login (AuthMethod=None, operational keys,
// TSIH, command window), NOP-Out, Logout, and the SCSI commands of a small disk (AutoTarget.Scsi.cs).
// Fault knobs make it misbehave on purpose: rules that ignore a command, cut the connection under
// it or answer CHECK CONDITION with a chosen sense (AutoFault), DropAtCommand, DropAtPoll, a
// login status class, and answer latency so several commands stay in flight. Every connect and every command
// seen is counted, and a poll budget turns a hang in the code under test into a failed test.
using System;
using System.Collections.Generic;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.Scsi;
using Bootstage.Boot.Tests.Iscsi;

namespace Bootstage.Boot.Tests.San
{
    public enum FaultAction
    {
        /// <summary>Never answered: no status, no R2T, its Data-Out dropped.</summary>
        Ignore,

        /// <summary>The connection breaks under it (a read gets its first Data-In first).</summary>
        DropConnection,

        /// <summary>CHECK CONDITION with the rule's sense data, at once.</summary>
        CheckCondition,

        /// <summary>SCSI status BUSY, at once.</summary>
        Busy,

        /// <summary>GOOD, but only the first half of the blocks moved (residual underflow for the rest).</summary>
        ShortTransfer,
    }

    /// <summary>A fault rule: the next Remaining commands Match picks get Action instead of service.</summary>
    public sealed class AutoFault
    {
        public AutoFault(FaultAction action, Func<SeenCommand, bool> match, int times, byte[]? sense)
        {
            Action = action;
            Match = match;
            Remaining = times;
            Sense = sense;
        }

        public FaultAction Action { get; }

        public Func<SeenCommand, bool> Match { get; }

        public int Remaining { get; set; }

        public byte[]? Sense { get; }

        public int Hits { get; set; }
    }

    /// <summary>One SCSI Command PDU the target received, and what it did with it.</summary>
    public sealed class SeenCommand
    {
        public int Number { get; init; }

        /// <summary>1 for the first connection, 2 after the first reconnect, ...</summary>
        public int Connection { get; init; }

        public uint Itt { get; init; }

        public uint CmdSn { get; init; }

        public byte[] Cdb { get; init; } = Array.Empty<byte>();

        public uint ExpectedLength { get; init; }

        public int ImmediateBytes { get; init; }

        public byte Opcode => Cdb[0];

        public ulong Lba { get; init; }

        public uint Blocks { get; init; }

        public bool IsRead => Opcode == ScsiCdb.Read10Opcode || Opcode == ScsiCdb.Read16Opcode;

        public bool IsWrite => Opcode == ScsiCdb.Write10Opcode || Opcode == ScsiCdb.Write16Opcode;

        public bool IsSixteenByte => Opcode == ScsiCdb.Read16Opcode || Opcode == ScsiCdb.Write16Opcode;

        public bool IsTestUnitReady => Opcode == ScsiCdb.TestUnitReadyOpcode;

        /// <summary>good, check, busy, short, ignored or dropped; empty while a write waits for its data.</summary>
        public string Outcome { get; set; } = "";

        /// <summary>The target's poll count when it made the status for this command (0: none yet).</summary>
        public long AnsweredAtPoll { get; set; }

        /// <summary>Data-Out PDUs the target took for it (immediate data not counted).</summary>
        public int DataOuts { get; set; }
    }

    public sealed partial class AutoTarget : IIscsiTransport
    {
        private readonly List<(long Due, TargetPdu Pdu)> _outbox = new List<(long Due, TargetPdu Pdu)>();
        private int _handled;
        private long _polls;

        public AutoTarget(ulong blockCount = 2048, uint blockSize = 512, ulong? imageBlocks = null, uint seed = 1)
        {
            BlockSize = blockSize;
            BlockCount = blockCount;
            ulong stored = imageBlocks ?? blockCount;
            Image = RandomBytes(checked((int)(stored * blockSize)), seed);
        }

        /// <summary>The PDU cutter and builder underneath; its Sent list holds every PDU the initiator sent.</summary>
        public ScriptedTarget Scripted { get; } = new ScriptedTarget();

        /// <summary>Milliseconds the clock moves on every Poll.</summary>
        public ulong StepMs { get; set; } = 1;

        /// <summary>Polls after which the target throws: a loop that never ends fails the test instead.</summary>
        public long PollBudget { get; set; } = 2_000_000;

        /// <summary>Polls between a command (or Data-Out) arriving and the target's answer; faults answer at once.</summary>
        public int LatencyPolls { get; set; }

        /// <summary>Status in the last Data-In (true) or in a separate SCSI Response (false).</summary>
        public bool StatusInDataIn { get; set; } = true;

        /// <summary>The Nth SCSI command (1-based, over the target's life) has its connection cut under it.</summary>
        public int DropAtCommand { get; set; }

        /// <summary>At this poll (see Polls) the connection breaks, whatever is in flight.</summary>
        public long DropAtPoll { get; set; }

        /// <summary>Login status (class &lt;&lt; 8 | detail) for the next LoginFailures logins; 0 = accept.</summary>
        public ushort LoginStatus { get; set; }

        public int LoginFailures { get; set; } = int.MaxValue;

        /// <summary>
        /// Answer the next logins with a PDU of an opcode no target sends, then refuse every later
        /// TCP connection: the first cause (a malformed reply) differs from the last symptom.
        /// </summary>
        public int GarbageLogins { get; set; }

        public bool AnswerLogout { get; set; } = true;

        // What the target declares at login.
        public uint TargetMaxRecvDataSegmentLength { get; set; } = 8192;

        public bool TargetImmediateData { get; set; } = true;

        public bool TargetInitialR2T { get; set; }

        public uint TargetFirstBurstLength { get; set; } = 65536;

        public uint TargetMaxBurstLength { get; set; } = 262144;

        // What the last login settled on.
        public uint InitiatorMaxRecvDataSegmentLength { get; private set; } = 8192;

        public bool ImmediateData { get; private set; }

        public bool InitialR2T { get; private set; }

        public uint FirstBurstLength { get; private set; }

        public uint MaxBurstLength { get; private set; }

        public List<AutoFault> Faults { get; } = new List<AutoFault>();

        public List<SeenCommand> Commands { get; } = new List<SeenCommand>();

        public int Connects => Scripted.Connects.Count;

        /// <summary>Logins that reached Full Feature.</summary>
        public int Logins { get; private set; }

        public int LoginsRefused { get; private set; }

        public int LogoutRequests { get; private set; }

        public int NopOuts { get; private set; }

        /// <summary>Data-Out for a task the target does not know (ignored or failed): dropped.</summary>
        public int StrayDataOuts { get; private set; }

        /// <summary>Data-Out out of order or past the task's length: a broken initiator.</summary>
        public int BadDataOuts { get; private set; }

        public int LargestDataInSegment { get; private set; }

        public int LargestDataOutSegment { get; private set; }

        public long Polls => _polls;

        public TransportState State => Scripted.State;

        public ulong Milliseconds => Scripted.Milliseconds;

        // ---- fault rules ----

        public AutoFault Ignore(Func<SeenCommand, bool> match, int times = int.MaxValue)
        {
            return AddFault(new AutoFault(FaultAction.Ignore, match, times, null));
        }

        public AutoFault Drop(Func<SeenCommand, bool> match, int times = 1)
        {
            return AddFault(new AutoFault(FaultAction.DropConnection, match, times, null));
        }

        public AutoFault CheckCondition(Func<SeenCommand, bool> match, SenseKey key, byte asc, byte ascq, int times = int.MaxValue)
        {
            return AddFault(new AutoFault(FaultAction.CheckCondition, match, times, FixedSense(key, asc, ascq)));
        }

        public AutoFault Busy(Func<SeenCommand, bool> match, int times = 1)
        {
            return AddFault(new AutoFault(FaultAction.Busy, match, times, null));
        }

        public AutoFault ShortTransfer(Func<SeenCommand, bool> match, int times = 1)
        {
            return AddFault(new AutoFault(FaultAction.ShortTransfer, match, times, null));
        }

        public AutoFault AddFault(AutoFault fault)
        {
            Faults.Add(fault);
            return fault;
        }

        /// <summary>Fixed-format sense data (70h) with the key and ASC/ASCQ.</summary>
        public static byte[] FixedSense(SenseKey key, byte asc, byte ascq)
        {
            byte[] sense = new byte[18];
            sense[0] = ScsiSense.FixedCurrent;
            sense[2] = (byte)key;
            sense[7] = 10;
            sense[12] = asc;
            sense[13] = ascq;
            return sense;
        }

        public List<SeenCommand> CommandsWhere(Func<SeenCommand, bool> match)
        {
            List<SeenCommand> list = new List<SeenCommand>();
            foreach (SeenCommand command in Commands)
            {
                if (match(command))
                {
                    list.Add(command);
                }
            }

            return list;
        }

        public int Count(Func<SeenCommand, bool> match) => CommandsWhere(match).Count;

        // ---- the transport ----

        public IscsiStatus Connect(ReadOnlySpan<byte> server, ushort port)
        {
            // A new TCP connection: whatever the old one still had queued either way dies with it.
            _outbox.Clear();
            _writes.Clear();
            _handled = Scripted.Sent.Count;
            InitiatorMaxRecvDataSegmentLength = 8192;
            return Scripted.Connect(server, port);
        }

        public int Send(ReadOnlySpan<byte> data) => Scripted.Send(data);

        public int Receive(Span<byte> destination) => Scripted.Receive(destination);

        public void Poll()
        {
            if (++_polls > PollBudget)
            {
                throw new InvalidOperationException("AutoTarget: poll budget spent; the code under test does not finish");
            }

            Scripted.Milliseconds += StepMs;
            Scripted.Poll();
            if (_polls == DropAtPoll && Scripted.State == TransportState.Open)
            {
                _outbox.Clear();
                Scripted.FailConnection();
                return;
            }

            while (_handled < Scripted.Sent.Count && Scripted.State == TransportState.Open)
            {
                Handle(Scripted.Sent[_handled++]);
            }

            if (Scripted.State != TransportState.Open)
            {
                return;
            }

            PushDue();
        }

        // Puts the answers whose time has come on the wire, in the order they were made.
        private void PushDue()
        {
            for (int i = 0; i < _outbox.Count; i++)
            {
                if (_outbox[i].Due <= _polls)
                {
                    Scripted.Push(_outbox[i].Pdu);
                    _outbox.RemoveAt(i);
                    i--;
                }
            }
        }

        public void Close() => Scripted.Close();

        public void Abort() => Scripted.Abort();

        /// <summary>Queues an answer: after LatencyPolls, or at once.</summary>
        private void Answer(TargetPdu pdu, bool now = false)
        {
            _outbox.Add((now ? _polls : _polls + LatencyPolls, pdu));
        }

        private void Handle(SentPdu pdu)
        {
            switch (pdu.Opcode)
            {
                case IscsiPdu.LoginRequest:
                    HandleLogin(pdu);
                    break;
                case IscsiPdu.ScsiCommand:
                    HandleCommand(pdu);
                    break;
                case IscsiPdu.DataOut:
                    HandleDataOut(pdu);
                    break;
                case IscsiPdu.NopOut:
                    NopOuts++;
                    if (pdu.Itt != IscsiPdu.ReservedTag)
                    {
                        Answer(Scripted.NopIn(pdu.Itt, IscsiPdu.ReservedTag), now: true);
                    }

                    break;
                case IscsiPdu.LogoutRequest:
                    LogoutRequests++;
                    if (AnswerLogout)
                    {
                        Answer(Scripted.LogoutResponse(pdu.Itt), now: true);
                    }

                    break;
            }
        }

        private void HandleLogin(SentPdu request)
        {
            if (request.Csg == IscsiPdu.SecurityNegotiation)
            {
                if (GarbageLogins > 0)
                {
                    GarbageLogins--;
                    byte[] garbage = new byte[48];
                    garbage[0] = 0x3C;
                    Scripted.PushRaw(garbage);
                    Scripted.ConnectResult = IscsiStatus.ConnectFailed;
                    return;
                }

                if (LoginStatus != 0 && LoginFailures > 0)
                {
                    LoginFailures--;
                    LoginsRefused++;
                    Answer(Scripted.LoginResponse(ScriptedTarget.LoginFlags(false, 0, 0), LoginStatus, ""), now: true);
                    return;
                }

                Assert.Equal("None", request.Key("AuthMethod"));
                Answer(Scripted.LoginResponse(ScriptedTarget.LoginFlags(true, 0, 1), 0, ScriptedTarget.Text("AuthMethod=None", "TargetPortalGroupTag=1")), now: true);
                return;
            }

            // Operational stage: take the initiator's proposal and answer with the results.
            InitiatorMaxRecvDataSegmentLength = Number(request, "MaxRecvDataSegmentLength", 8192);
            InitialR2T = request.Key("InitialR2T") != "No" || TargetInitialR2T;
            ImmediateData = request.Key("ImmediateData") != "No" && TargetImmediateData;
            FirstBurstLength = Math.Min(Number(request, "FirstBurstLength", 65536), TargetFirstBurstLength);
            MaxBurstLength = Math.Min(Number(request, "MaxBurstLength", 262144), TargetMaxBurstLength);
            string keys = ScriptedTarget.Text(
                "HeaderDigest=None", "DataDigest=None", "MaxConnections=1",
                InitialR2T ? "InitialR2T=Yes" : "InitialR2T=No",
                ImmediateData ? "ImmediateData=Yes" : "ImmediateData=No",
                "MaxRecvDataSegmentLength=" + TargetMaxRecvDataSegmentLength,
                "MaxBurstLength=" + MaxBurstLength,
                "FirstBurstLength=" + FirstBurstLength,
                "DefaultTime2Wait=0", "DefaultTime2Retain=0", "MaxOutstandingR2T=1",
                "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes", "ErrorRecoveryLevel=0");
            Logins++;
            Answer(Scripted.LoginResponse(ScriptedTarget.LoginFlags(true, 1, 3), 0, keys, tsih: (ushort)(0x100 + Connects)), now: true);
        }

        private static uint Number(SentPdu request, string key, uint fallback)
        {
            string? text = request.Key(key);
            return text != null && uint.TryParse(text, out uint value) ? value : fallback;
        }

        private AutoFault? FindFault(SeenCommand command)
        {
            if (command.Number == DropAtCommand)
            {
                return new AutoFault(FaultAction.DropConnection, _ => true, 1, null);
            }

            foreach (AutoFault fault in Faults)
            {
                if (fault.Remaining > 0 && fault.Match(command))
                {
                    fault.Remaining--;
                    fault.Hits++;
                    return fault;
                }
            }

            return null;
        }

        /// <summary>Bytes from a seeded xorshift: every block of the image differs from every other.</summary>
        public static byte[] RandomBytes(int length, uint seed)
        {
            DeterministicRandom random = new DeterministicRandom(seed);
            byte[] bytes = new byte[length];
            for (int i = 0; i < length; i += 4)
            {
                uint value = random.NextUInt32();
                for (int j = 0; j < 4 && i + j < length; j++)
                {
                    bytes[i + j] = (byte)(value >> (8 * j));
                }
            }

            return bytes;
        }
    }
}
