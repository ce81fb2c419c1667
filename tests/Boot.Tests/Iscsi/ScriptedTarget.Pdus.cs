// The target's side of ScriptedTarget: builders for the PDUs a target sends (Login Response,
// Data-In, SCSI Response, R2T, NOP-In, Async Message, Reject, Logout Response), stamped with the
// target's StatSN and command window, and the bookkeeping that follows what the initiator sent
// (the login request to answer, ExpCmdSN when AutoWindow is on). Builders return a TargetPdu the
// test may still tamper with before pushing it.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests.Iscsi
{
    /// <summary>A PDU the target will send: a 48-byte BHS and a data segment (length filled in by Wire).</summary>
    public sealed class TargetPdu
    {
        public readonly byte[] Header = new byte[IscsiPdu.BasicHeaderLength];

        public byte[] Data = Array.Empty<byte>();

        /// <summary>A DataSegmentLength that lies about the data that follows.</summary>
        public int? DataSegmentLengthOverride;

        public TargetPdu Set32(int offset, uint value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(Header.AsSpan(offset), value);
            return this;
        }

        public TargetPdu Window(uint expCmdSn, uint maxCmdSn)
        {
            return Set32(IscsiPdu.ExpCmdSnOffset, expCmdSn).Set32(IscsiPdu.MaxCmdSnOffset, maxCmdSn);
        }
    }

    public sealed partial class ScriptedTarget
    {
        public const byte F = IscsiPdu.FinalFlag;
        public const byte S = IscsiPdu.StatusFlag;
        public const byte U = IscsiPdu.ResidualUnderflowFlag;

        /// <summary>The next StatSN a status-bearing PDU gets.</summary>
        public uint StatSn { get; set; } = 0x1000;

        public uint ExpCmdSn { get; set; }

        public uint MaxCmdSn { get; set; }

        /// <summary>Move ExpCmdSN/MaxCmdSN as commands arrive (a window of WindowSize).</summary>
        public bool AutoWindow { get; set; } = true;

        public uint WindowSize { get; set; } = 32;

        /// <summary>Pairs as login/text data: each `key=value` followed by NUL.</summary>
        public static string Text(params string[] pairs)
        {
            StringBuilder text = new StringBuilder();
            foreach (string pair in pairs)
            {
                text.Append(pair).Append('\0');
            }

            return text.ToString();
        }

        public static byte LoginFlags(bool transit, int csg, int nsg, bool more = false)
        {
            return (byte)((transit ? IscsiPdu.TransitFlag : 0) | (more ? IscsiPdu.ContinueFlag : 0) | (csg << 2) | (transit ? nsg : 0));
        }

        /// <summary>Answers the last Login Request (its ISID and ITT); status is class &lt;&lt; 8 | detail.</summary>
        public TargetPdu LoginResponse(byte flags, ushort status, string keys, ushort tsih = 0, uint? statSn = null, uint? expCmdSn = null, uint? maxCmdSn = null)
        {
            TargetPdu pdu = Begin(IscsiPdu.LoginResponse, flags, statSn ?? StatSn++, expCmdSn, maxCmdSn);
            if (LastLoginRequest != null)
            {
                LastLoginRequest.Header.AsSpan(IscsiPdu.IsidOffset, 6).CopyTo(pdu.Header.AsSpan(IscsiPdu.IsidOffset));
                pdu.Set32(IscsiPdu.InitiatorTaskTagOffset, LastLoginRequest.Itt);
            }

            BinaryPrimitives.WriteUInt16BigEndian(pdu.Header.AsSpan(IscsiPdu.TsihOffset), tsih);
            pdu.Header[IscsiPdu.StatusClassOffset] = (byte)(status >> 8);
            pdu.Header[IscsiPdu.StatusClassOffset + 1] = (byte)status;
            pdu.Data = Encoding.ASCII.GetBytes(keys);
            return pdu;
        }

        public TargetPdu DataIn(uint itt, uint offset, uint dataSn, byte[] data, byte flags = F, byte status = 0, uint residual = 0)
        {
            bool withStatus = (flags & S) != 0;
            TargetPdu pdu = Begin(IscsiPdu.DataIn, flags, withStatus ? StatSn++ : 0, null, null);
            pdu.Header[3] = withStatus ? status : (byte)0;
            pdu.Set32(IscsiPdu.InitiatorTaskTagOffset, itt);
            pdu.Set32(IscsiPdu.TargetTransferTagOffset, IscsiPdu.ReservedTag);
            pdu.Set32(IscsiPdu.DataSnOffset, dataSn);
            pdu.Set32(IscsiPdu.BufferOffsetOffset, offset);
            pdu.Set32(IscsiPdu.ResidualCountOffset, residual);
            pdu.Data = data;
            return pdu;
        }

        /// <summary>SCSI Response; sense (if any) goes in the data segment behind its 2-byte SenseLength.</summary>
        public TargetPdu ScsiResponse(uint itt, byte status = 0, byte response = 0, byte[]? sense = null, uint residual = 0, bool underflow = false, int? senseLengthField = null)
        {
            TargetPdu pdu = Begin(IscsiPdu.ScsiResponse, (byte)(F | (underflow ? U : 0)), StatSn++, null, null);
            pdu.Header[2] = response;
            pdu.Header[3] = status;
            pdu.Set32(IscsiPdu.InitiatorTaskTagOffset, itt);
            pdu.Set32(IscsiPdu.ResidualCountOffset, residual);
            if (sense != null)
            {
                pdu.Data = new byte[2 + sense.Length];
                BinaryPrimitives.WriteUInt16BigEndian(pdu.Data, (ushort)(senseLengthField ?? sense.Length));
                sense.CopyTo(pdu.Data, 2);
            }

            return pdu;
        }

        public TargetPdu R2T(uint itt, uint ttt, uint r2tSn, uint offset, uint length)
        {
            TargetPdu pdu = Begin(IscsiPdu.ReadyToTransfer, F, StatSn, null, null);
            pdu.Set32(IscsiPdu.InitiatorTaskTagOffset, itt);
            pdu.Set32(IscsiPdu.TargetTransferTagOffset, ttt);
            pdu.Set32(IscsiPdu.DataSnOffset, r2tSn);
            pdu.Set32(IscsiPdu.BufferOffsetOffset, offset);
            pdu.Set32(IscsiPdu.DesiredLengthOffset, length);
            return pdu;
        }

        /// <summary>NOP-In: a ping (ITT reserved, TTT set), an answer to our NOP-Out (ITT set), or neither.</summary>
        public TargetPdu NopIn(uint itt, uint ttt, byte[]? data = null, ulong lun = 0)
        {
            TargetPdu pdu = Begin(IscsiPdu.NopIn, F, itt != IscsiPdu.ReservedTag ? StatSn++ : StatSn, null, null);
            BinaryPrimitives.WriteUInt64BigEndian(pdu.Header.AsSpan(IscsiPdu.LunOffset), lun);
            pdu.Set32(IscsiPdu.InitiatorTaskTagOffset, itt);
            pdu.Set32(IscsiPdu.TargetTransferTagOffset, ttt);
            pdu.Data = data ?? Array.Empty<byte>();
            return pdu;
        }

        public TargetPdu Async(byte asyncEvent, ushort parameter1 = 0, ushort parameter2 = 0, ushort parameter3 = 0)
        {
            TargetPdu pdu = Begin(IscsiPdu.AsyncMessage, F, StatSn++, null, null);
            pdu.Set32(IscsiPdu.InitiatorTaskTagOffset, IscsiPdu.ReservedTag);
            pdu.Header[IscsiPdu.AsyncEventOffset] = asyncEvent;
            BinaryPrimitives.WriteUInt16BigEndian(pdu.Header.AsSpan(38), parameter1);
            BinaryPrimitives.WriteUInt16BigEndian(pdu.Header.AsSpan(40), parameter2);
            BinaryPrimitives.WriteUInt16BigEndian(pdu.Header.AsSpan(42), parameter3);
            return pdu;
        }

        /// <summary>Reject carrying the rejected PDU's header as its data segment (reason 0x09: invalid PDU field).</summary>
        public TargetPdu Reject(byte[] rejectedHeader, byte reason = 0x09)
        {
            TargetPdu pdu = Begin(IscsiPdu.Reject, F, StatSn++, null, null);
            pdu.Header[2] = reason;
            pdu.Set32(IscsiPdu.InitiatorTaskTagOffset, IscsiPdu.ReservedTag);
            pdu.Data = (byte[])rejectedHeader.Clone();
            return pdu;
        }

        public TargetPdu LogoutResponse(uint itt, byte response = 0)
        {
            TargetPdu pdu = Begin(IscsiPdu.LogoutResponse, F, StatSn++, null, null);
            pdu.Header[2] = response;
            pdu.Set32(IscsiPdu.InitiatorTaskTagOffset, itt);
            return pdu;
        }

        private TargetPdu Begin(byte opcode, byte flags, uint statSn, uint? expCmdSn, uint? maxCmdSn)
        {
            TargetPdu pdu = new TargetPdu();
            pdu.Header[0] = opcode;
            pdu.Header[1] = flags;
            pdu.Set32(IscsiPdu.StatSnOffset, statSn);
            return pdu.Window(expCmdSn ?? ExpCmdSn, maxCmdSn ?? MaxCmdSn);
        }

        // Follows the initiator: the login request to answer, and the command window a target keeps.
        private void Track(SentPdu pdu)
        {
            if (pdu.Opcode == IscsiPdu.LoginRequest)
            {
                LastLoginRequest = pdu;
                if (AutoWindow)
                {
                    ExpCmdSn = pdu.CmdSn;
                    MaxCmdSn = pdu.CmdSn + WindowSize - 1;
                }
            }
            else if (pdu.Opcode == IscsiPdu.ScsiCommand && !pdu.Immediate && AutoWindow)
            {
                ExpCmdSn = pdu.CmdSn + 1;
                MaxCmdSn = ExpCmdSn + WindowSize - 1;
            }
        }

        /// <summary>Pushes the PDUs and polls the session until everything pushed has been read.</summary>
        public void Deliver(IscsiSession session, params TargetPdu[] pdus)
        {
            foreach (TargetPdu pdu in pdus)
            {
                Push(pdu);
            }

            Drain(session);
        }

        public void Drain(IscsiSession session, int maxPolls = 1_000_000)
        {
            for (int i = 0; i < maxPolls && Pending > 0 && State == TransportState.Open; i++)
            {
                session.Poll();
            }

            session.Poll();
        }
    }
}
