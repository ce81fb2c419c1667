// iSCSI PDU layout (RFC 7143 §11): the 48-byte Basic Header Segment, opcodes, flag bits and
// field offsets, with small helpers to read and write the fields that every PDU shares. All
// multi-byte fields are big-endian; the data segment length is 24 bits and the data segment is
// padded to a multiple of 4 bytes on the wire (the padding is not counted in the length).
using System;
using System.Buffers.Binary;

namespace Bootstage.Boot.Iscsi
{
    public static class IscsiPdu
    {
        public const int BasicHeaderLength = 48;
        public const int DigestLength = 4;
        public const uint ReservedTag = 0xFFFFFFFF;

        // Initiator opcodes.
        public const byte NopOut = 0x00;
        public const byte ScsiCommand = 0x01;
        public const byte TaskManagementRequest = 0x02;
        public const byte LoginRequest = 0x03;
        public const byte TextRequest = 0x04;
        public const byte DataOut = 0x05;
        public const byte LogoutRequest = 0x06;
        public const byte SnackRequest = 0x10;

        // Target opcodes.
        public const byte NopIn = 0x20;
        public const byte ScsiResponse = 0x21;
        public const byte TaskManagementResponse = 0x22;
        public const byte LoginResponse = 0x23;
        public const byte TextResponse = 0x24;
        public const byte DataIn = 0x25;
        public const byte LogoutResponse = 0x26;
        public const byte ReadyToTransfer = 0x31;
        public const byte AsyncMessage = 0x32;
        public const byte Reject = 0x3F;

        /// <summary>Byte 0 bit 6: the PDU is delivered immediately (no CmdSN advance).</summary>
        public const byte ImmediateBit = 0x40;
        public const byte OpcodeMask = 0x3F;

        // Byte 1 flags.
        public const byte FinalFlag = 0x80;
        public const byte ReadFlag = 0x40;          // SCSI Command
        public const byte WriteFlag = 0x20;         // SCSI Command
        public const byte SimpleTaskAttribute = 0x01;
        public const byte TransitFlag = 0x80;       // Login
        public const byte ContinueFlag = 0x40;      // Login, Text
        public const byte AcknowledgeFlag = 0x40;   // Data-In
        public const byte ResidualOverflowFlag = 0x04;
        public const byte ResidualUnderflowFlag = 0x02;
        public const byte StatusFlag = 0x01;        // Data-In

        // Field offsets in the BHS.
        public const int TotalAhsLengthOffset = 4;
        public const int DataSegmentLengthOffset = 5;
        public const int LunOffset = 8;
        public const int IsidOffset = 8;
        public const int TsihOffset = 14;
        public const int InitiatorTaskTagOffset = 16;
        public const int TargetTransferTagOffset = 20;
        public const int ConnectionIdOffset = 20;
        public const int ExpectedTransferLengthOffset = 20;
        public const int CmdSnOffset = 24;
        public const int StatSnOffset = 24;
        public const int ExpStatSnOffset = 28;
        public const int ExpCmdSnOffset = 28;
        public const int MaxCmdSnOffset = 32;
        public const int CdbOffset = 32;
        public const int DataSnOffset = 36;
        public const int StatusClassOffset = 36;
        public const int AsyncEventOffset = 36;
        public const int BufferOffsetOffset = 40;
        public const int ResidualCountOffset = 44;
        public const int DesiredLengthOffset = 44;

        // Login stages (CSG/NSG).
        public const int SecurityNegotiation = 0;
        public const int OperationalNegotiation = 1;
        public const int FullFeaturePhase = 3;

        public static byte Opcode(ReadOnlySpan<byte> header) => (byte)(header[0] & OpcodeMask);

        public static int DataSegmentLength(ReadOnlySpan<byte> header)
        {
            return (header[DataSegmentLengthOffset] << 16) | (header[DataSegmentLengthOffset + 1] << 8) | header[DataSegmentLengthOffset + 2];
        }

        public static void SetDataSegmentLength(Span<byte> header, int length)
        {
            header[DataSegmentLengthOffset] = (byte)(length >> 16);
            header[DataSegmentLengthOffset + 1] = (byte)(length >> 8);
            header[DataSegmentLengthOffset + 2] = (byte)length;
        }

        /// <summary>Additional header segments, in bytes (the field counts 4-byte words).</summary>
        public static int AdditionalHeaderLength(ReadOnlySpan<byte> header) => header[TotalAhsLengthOffset] * 4;

        public static int PaddedLength(int length) => (length + 3) & ~3;

        public static uint ReadUInt32(ReadOnlySpan<byte> header, int offset) => BinaryPrimitives.ReadUInt32BigEndian(header.Slice(offset));

        public static void WriteUInt32(Span<byte> header, int offset, uint value) => BinaryPrimitives.WriteUInt32BigEndian(header.Slice(offset), value);

        /// <summary>Serial number arithmetic (RFC 1982, 32 bits) as iSCSI uses it for CmdSN/StatSN.</summary>
        public static bool SerialLessOrEqual(uint a, uint b) => (int)(b - a) >= 0;

        public static bool SerialLess(uint a, uint b) => (int)(b - a) > 0;
    }
}
