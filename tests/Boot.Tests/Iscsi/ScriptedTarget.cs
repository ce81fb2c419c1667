// ScriptedTarget: an in-memory IIscsiTransport that lets a test play the iSCSI target by hand.
// Every byte the initiator sends is cut into PDUs (BHS, AHS, data segment, padding, honouring the
// digest flags the test sets) and kept in Sent for inspection, with its digests checked. The test
// builds the target's PDUs with the small helpers in ScriptedTarget.Pdus.cs and pushes them whole
// or in pieces of any size (PieceSize per Receive call, BytesPerPoll released per Poll), fails the
// connection, sets State, and moves a manual clock. DeterministicRandom is a seeded, cloneable
// IRandomSource, and IscsiTestKit.LogIn drives a plain AuthMethod=None login to Full Feature.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using Bootstage.Boot.Crypto;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests.Iscsi
{
    /// <summary>One PDU the initiator sent, as the target would see it.</summary>
    public sealed class SentPdu
    {
        public SentPdu(byte[] header, byte[] data, bool headerDigestOk, bool dataDigestOk)
        {
            Header = header;
            Data = data;
            HeaderDigestOk = headerDigestOk;
            DataDigestOk = dataDigestOk;
        }

        public byte[] Header { get; }

        public byte[] Data { get; }

        public bool HeaderDigestOk { get; }

        public bool DataDigestOk { get; }

        public byte Opcode => (byte)(Header[0] & IscsiPdu.OpcodeMask);

        public bool Immediate => (Header[0] & IscsiPdu.ImmediateBit) != 0;

        public byte Flags => Header[1];

        public bool Final => (Flags & IscsiPdu.FinalFlag) != 0;

        public bool Transit => (Flags & IscsiPdu.TransitFlag) != 0;

        public bool Continue => (Flags & IscsiPdu.ContinueFlag) != 0;

        public int Csg => (Flags >> 2) & 3;

        public int Nsg => Flags & 3;

        public ulong Lun => BinaryPrimitives.ReadUInt64BigEndian(Header.AsSpan(IscsiPdu.LunOffset));

        public ushort Tsih => BinaryPrimitives.ReadUInt16BigEndian(Header.AsSpan(IscsiPdu.TsihOffset));

        public uint Itt => U32(IscsiPdu.InitiatorTaskTagOffset);

        public uint Ttt => U32(IscsiPdu.TargetTransferTagOffset);

        public uint ExpectedLength => U32(IscsiPdu.ExpectedTransferLengthOffset);

        public uint CmdSn => U32(IscsiPdu.CmdSnOffset);

        public uint ExpStatSn => U32(IscsiPdu.ExpStatSnOffset);

        public uint DataSn => U32(IscsiPdu.DataSnOffset);

        public uint BufferOffset => U32(IscsiPdu.BufferOffsetOffset);

        public uint U32(int offset) => BinaryPrimitives.ReadUInt32BigEndian(Header.AsSpan(offset));

        /// <summary>The text keys of a Login/Text request, in order.</summary>
        public List<KeyValuePair<string, string>> Keys
        {
            get
            {
                List<KeyValuePair<string, string>> keys = new List<KeyValuePair<string, string>>();
                foreach (string pair in Encoding.ASCII.GetString(Data).Split('\0', StringSplitOptions.RemoveEmptyEntries))
                {
                    int equals = pair.IndexOf('=');
                    keys.Add(equals < 0 ? new KeyValuePair<string, string>(pair, "") : new KeyValuePair<string, string>(pair.Substring(0, equals), pair.Substring(equals + 1)));
                }

                return keys;
            }
        }

        /// <summary>The value of a text key, or null when the PDU does not carry it.</summary>
        public string? Key(string name)
        {
            foreach (KeyValuePair<string, string> pair in Keys)
            {
                if (pair.Key == name)
                {
                    return pair.Value;
                }
            }

            return null;
        }
    }

    public sealed partial class ScriptedTarget : IIscsiTransport
    {
        private readonly Queue<byte> _inbound = new Queue<byte>();
        private readonly List<byte> _outbound = new List<byte>();
        private int _released;

        public TransportState State { get; set; } = TransportState.Idle;

        /// <summary>The manual clock: tests move it, nothing else does.</summary>
        public ulong Milliseconds { get; set; }

        public IscsiStatus ConnectResult { get; set; } = IscsiStatus.Success;

        public TransportState StateAfterConnect { get; set; } = TransportState.Open;

        public List<(string Host, ushort Port)> Connects { get; } = new List<(string Host, ushort Port)>();

        public int Aborts { get; private set; }

        public int Closes { get; private set; }

        public int Polls { get; private set; }

        /// <summary>At most this many bytes per Receive call (1 = byte by byte).</summary>
        public int PieceSize { get; set; } = int.MaxValue;

        /// <summary>When above 0, only this many more pushed bytes become readable per Poll.</summary>
        public int BytesPerPoll { get; set; }

        /// <summary>Header digests on both directions (the parser expects them, the builders add them).</summary>
        public bool HeaderDigest { get; set; }

        public bool DataDigest { get; set; }

        public List<SentPdu> Sent { get; } = new List<SentPdu>();

        public SentPdu? LastLoginRequest { get; private set; }

        /// <summary>Bytes pushed but not yet received by the initiator.</summary>
        public int Pending => _inbound.Count;

        public IscsiStatus Connect(ReadOnlySpan<byte> server, ushort port)
        {
            Connects.Add((Encoding.ASCII.GetString(server), port));
            _inbound.Clear();
            _outbound.Clear();
            _released = 0;
            State = StateAfterConnect;
            return ConnectResult;
        }

        /// <summary>How many more bytes Send accepts (a full socket buffer is 0).</summary>
        public int SendBudget { get; set; } = int.MaxValue;

        public int Send(ReadOnlySpan<byte> data)
        {
            if (data.Length > SendBudget)
            {
                data = data.Slice(0, SendBudget);
            }

            if (SendBudget != int.MaxValue)
            {
                SendBudget -= data.Length;
            }

            for (int i = 0; i < data.Length; i++)
            {
                _outbound.Add(data[i]);
            }

            ParseOutbound();
            return data.Length;
        }

        public int Receive(Span<byte> destination)
        {
            int available = BytesPerPoll > 0 ? Math.Min(_released, _inbound.Count) : _inbound.Count;
            int count = Math.Min(Math.Min(destination.Length, PieceSize), available);
            for (int i = 0; i < count; i++)
            {
                destination[i] = _inbound.Dequeue();
            }

            _released -= Math.Min(_released, count);
            return count;
        }

        public void Poll()
        {
            Polls++;
            if (BytesPerPoll > 0)
            {
                _released = Math.Min(_inbound.Count, _released + BytesPerPoll);
            }
        }

        public void Close()
        {
            Closes++;
            State = TransportState.Closing;
        }

        public void Abort()
        {
            Aborts++;
            State = TransportState.Idle;
            _inbound.Clear();
            _outbound.Clear();
            _released = 0;
        }

        /// <summary>The TCP connection breaks under the initiator.</summary>
        public void FailConnection()
        {
            State = TransportState.Failed;
        }

        public void PushRaw(byte[] bytes)
        {
            foreach (byte b in bytes)
            {
                _inbound.Enqueue(b);
            }
        }

        public void Push(TargetPdu pdu) => PushRaw(Wire(pdu));

        /// <summary>The PDU as bytes on the wire: BHS, header digest, data, padding, data digest.</summary>
        public byte[] Wire(TargetPdu pdu)
        {
            byte[] header = (byte[])pdu.Header.Clone();
            IscsiPdu.SetDataSegmentLength(header, pdu.DataSegmentLengthOverride ?? pdu.Data.Length);
            List<byte> wire = new List<byte>(header);
            if (HeaderDigest)
            {
                wire.AddRange(Digest(header));
            }

            int padded = IscsiPdu.PaddedLength(pdu.Data.Length);
            byte[] data = new byte[padded];
            pdu.Data.CopyTo(data, 0);
            wire.AddRange(data);
            if (DataDigest && pdu.Data.Length > 0)
            {
                wire.AddRange(Digest(data));
            }

            return wire.ToArray();
        }

        public static byte[] Digest(ReadOnlySpan<byte> covered)
        {
            byte[] digest = new byte[4];
            Crc32c.WriteDigest(digest, Crc32c.Compute(covered));
            return digest;
        }

        /// <summary>PDUs of one opcode sent so far, oldest first.</summary>
        public List<SentPdu> SentOf(byte opcode)
        {
            List<SentPdu> list = new List<SentPdu>();
            foreach (SentPdu pdu in Sent)
            {
                if (pdu.Opcode == opcode)
                {
                    list.Add(pdu);
                }
            }

            return list;
        }

        public SentPdu LastSent(byte opcode)
        {
            List<SentPdu> list = SentOf(opcode);
            Assert.NotEmpty(list);
            return list[list.Count - 1];
        }

        private void ParseOutbound()
        {
            while (_outbound.Count >= IscsiPdu.BasicHeaderLength)
            {
                int ahs = _outbound[IscsiPdu.TotalAhsLengthOffset] * 4;
                int headerLength = IscsiPdu.BasicHeaderLength + ahs + (HeaderDigest ? 4 : 0);
                int dataLength = (_outbound[5] << 16) | (_outbound[6] << 8) | _outbound[7];
                int padded = IscsiPdu.PaddedLength(dataLength);
                int total = headerLength + padded + (DataDigest && dataLength > 0 ? 4 : 0);
                if (_outbound.Count < total)
                {
                    return;
                }

                byte[] bytes = _outbound.GetRange(0, total).ToArray();
                _outbound.RemoveRange(0, total);
                bool headerOk = true;
                if (HeaderDigest)
                {
                    int covered = headerLength - 4;
                    headerOk = Crc32c.ReadDigest(bytes.AsSpan(covered)) == Crc32c.Compute(bytes.AsSpan(0, covered));
                }

                bool dataOk = true;
                if (DataDigest && dataLength > 0)
                {
                    dataOk = Crc32c.ReadDigest(bytes.AsSpan(headerLength + padded)) == Crc32c.Compute(bytes.AsSpan(headerLength, padded));
                }

                SentPdu pdu = new SentPdu(bytes.AsSpan(0, IscsiPdu.BasicHeaderLength).ToArray(), bytes.AsSpan(headerLength, dataLength).ToArray(), headerOk, dataOk);
                Sent.Add(pdu);
                Track(pdu);
            }
        }
    }

    /// <summary>xorshift32: the same numbers for the same seed, and a Clone to predict them.</summary>
    public sealed class DeterministicRandom : IRandomSource
    {
        private uint _state;

        public DeterministicRandom(uint seed)
        {
            _state = seed == 0 ? 0x9E3779B9 : seed;
        }

        public int Draws { get; private set; }

        public uint NextUInt32()
        {
            uint x = _state;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            _state = x;
            Draws++;
            return x;
        }

        public DeterministicRandom Clone()
        {
            DeterministicRandom copy = new DeterministicRandom(1);
            copy._state = _state;
            return copy;
        }
    }

    public static class IscsiTestKit
    {
        public const string Portal = "192.0.2.10";

        public static readonly string DefaultOperationalKeys = ScriptedTarget.Text(
            "HeaderDigest=None", "DataDigest=None", "MaxConnections=1", "InitialR2T=Yes", "ImmediateData=Yes",
            "MaxRecvDataSegmentLength=8192", "MaxBurstLength=262144", "FirstBurstLength=65536",
            "DefaultTime2Wait=2", "DefaultTime2Retain=0", "MaxOutstandingR2T=1", "DataPDUInOrder=Yes",
            "DataSequenceInOrder=Yes", "ErrorRecoveryLevel=0");

        public static IscsiOptions Options()
        {
            IscsiOptions options = new IscsiOptions();
            options.InitiatorName = Encoding.ASCII.GetBytes("iqn.2024-01.org.example:initiator");
            options.TargetName = Encoding.ASCII.GetBytes("iqn.2024-01.org.example:disk1");
            return options;
        }

        public static IscsiSession Session(ScriptedTarget target, IscsiOptions? options = null, uint seed = 12345)
        {
            return new IscsiSession(options ?? Options(), target, new DeterministicRandom(seed));
        }

        /// <summary>Starts the session and answers its first login request (CSG 0 → 1, AuthMethod=None).</summary>
        public static void StartAndPassSecurity(IscsiSession session, ScriptedTarget target)
        {
            Assert.Equal(IscsiStatus.Pending, session.Start(Encoding.ASCII.GetBytes(Portal), 3260));
            session.Poll();
            SentPdu first = target.LastSent(IscsiPdu.LoginRequest);
            Assert.Equal("None", first.Key("AuthMethod"));
            target.Push(target.LoginResponse(ScriptedTarget.LoginFlags(true, 0, 1), 0, ScriptedTarget.Text("AuthMethod=None", "TargetPortalGroupTag=1")));
            session.Poll();
        }

        /// <summary>
        /// Answers the operational proposal (the session must just have sent it) and polls into Full
        /// Feature. The target's digest flags follow the answer keys, switched on only after the final
        /// login response is on the wire, as on a real connection.
        /// </summary>
        public static void FinishOperational(IscsiSession session, ScriptedTarget target, string? keys = null, uint? expCmdSn = null, uint? maxCmdSn = null)
        {
            keys ??= DefaultOperationalKeys;
            SentPdu proposal = target.LastSent(IscsiPdu.LoginRequest);
            Assert.Equal(IscsiPdu.OperationalNegotiation, proposal.Csg);
            if (expCmdSn.HasValue)
            {
                target.ExpCmdSn = expCmdSn.Value;
                target.MaxCmdSn = maxCmdSn ?? expCmdSn.Value + target.WindowSize - 1;
            }

            TargetPdu final = target.LoginResponse(ScriptedTarget.LoginFlags(true, 1, 3), 0, keys, tsih: 0x1234);
            target.PushRaw(target.Wire(final));
            target.HeaderDigest = keys.Contains("HeaderDigest=CRC32C") && OfferedHeader(proposal);
            target.DataDigest = keys.Contains("DataDigest=CRC32C") && OfferedData(proposal);
            session.Poll();
            Assert.Equal(IscsiSessionState.FullFeature, session.State);
            target.Sent.RemoveAll(p => p.Opcode == IscsiPdu.LoginRequest);
        }

        /// <summary>A plain AuthMethod=None login to Full Feature; login PDUs are removed from Sent.</summary>
        public static void LogIn(IscsiSession session, ScriptedTarget target, string? keys = null, uint? expCmdSn = null, uint? maxCmdSn = null)
        {
            StartAndPassSecurity(session, target);
            FinishOperational(session, target, keys, expCmdSn, maxCmdSn);
        }

        public static IscsiSession LoggedIn(ScriptedTarget target, IscsiOptions? options = null, string? keys = null, uint? expCmdSn = null, uint? maxCmdSn = null)
        {
            IscsiSession session = Session(target, options);
            LogIn(session, target, keys, expCmdSn, maxCmdSn);
            return session;
        }

        /// <summary>Operational answer keys: the defaults with some replaced or added.</summary>
        public static string Keys(params string[] overrides)
        {
            List<string> pairs = new List<string>(DefaultOperationalKeys.Split('\0', StringSplitOptions.RemoveEmptyEntries));
            foreach (string pair in overrides)
            {
                string name = pair.Substring(0, pair.IndexOf('=') + 1);
                int index = pairs.FindIndex(p => p.StartsWith(name, StringComparison.Ordinal));
                if (index >= 0)
                {
                    pairs[index] = pair;
                }
                else
                {
                    pairs.Add(pair);
                }
            }

            return ScriptedTarget.Text(pairs.ToArray());
        }

        /// <summary>A caller buffer filled with a canary byte, to prove what was (not) written.</summary>
        public static byte[] Canary(int length, byte value = 0xEE)
        {
            byte[] buffer = new byte[length];
            Array.Fill(buffer, value);
            return buffer;
        }

        public static byte[] Pattern(int length, int seed = 1)
        {
            byte[] data = new byte[length];
            for (int i = 0; i < length; i++)
            {
                data[i] = (byte)((i * 7) + seed);
            }

            return data;
        }

        public static readonly byte[] Read10 = { 0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0 };

        public static readonly byte[] Write10 = { 0x2A, 0, 0, 0, 0, 0, 0, 0, 8, 0 };

        public static readonly byte[] TestUnitReady = new byte[6];

        public static IscsiTask Read(IscsiSession session, byte[] buffer, int offset, int length)
        {
            IscsiTask? task = session.Submit(0, Read10, false, buffer, offset, length);
            Assert.NotNull(task);
            return task!;
        }

        public static IscsiTask Write(IscsiSession session, byte[] buffer, int offset, int length)
        {
            IscsiTask? task = session.Submit(0, Write10, true, buffer, offset, length);
            Assert.NotNull(task);
            return task!;
        }

        private static bool OfferedHeader(SentPdu proposal) => (proposal.Key("HeaderDigest") ?? "").StartsWith("CRC32C", StringComparison.Ordinal);

        private static bool OfferedData(SentPdu proposal) => (proposal.Key("DataDigest") ?? "").StartsWith("CRC32C", StringComparison.Ordinal);
    }
}
