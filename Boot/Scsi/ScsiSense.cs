// SCSI status bytes and sense data: what a target says when a command ends in CHECK CONDITION.
// Sense data comes in the fixed format (response codes 70h/71h, SPC-4 §4.5.3) or the descriptor
// format (72h/73h, SPC-4 §4.5.2); the odd codes mark deferred errors, reported against a command
// that already completed. iSCSI carries it in the SCSI Response PDU's data segment behind a
// 2-byte big-endian SenseLength (RFC 7143 §11.4.7.2). Parsing only reads bytes that both arrived
// and fall inside the sense data's own stated length; fields beyond that read as zero.
using System;
using System.Buffers.Binary;

namespace Bootstage.Boot.Scsi
{
    /// <summary>The status byte of a completed SCSI command (SAM-5 §5.3.1).</summary>
    public enum ScsiStatus : byte
    {
        Good = 0x00,
        CheckCondition = 0x02,
        ConditionMet = 0x04,
        Busy = 0x08,
        ReservationConflict = 0x18,
        TaskSetFull = 0x28,
        AcaActive = 0x30,
        TaskAborted = 0x40,
    }

    /// <summary>The sense key (SPC-4 §4.5.6), the coarse class of a CHECK CONDITION.</summary>
    public enum SenseKey : byte
    {
        NoSense = 0x0,
        RecoveredError = 0x1,
        NotReady = 0x2,
        MediumError = 0x3,
        HardwareError = 0x4,
        IllegalRequest = 0x5,
        UnitAttention = 0x6,
        DataProtect = 0x7,
        BlankCheck = 0x8,
        VendorSpecific = 0x9,
        CopyAborted = 0xA,
        AbortedCommand = 0xB,
        Reserved0C = 0xC,
        VolumeOverflow = 0xD,
        Miscompare = 0xE,
        Completed = 0xF,
    }

    public readonly struct ScsiSense
    {
        public const byte FixedCurrent = 0x70;
        public const byte FixedDeferred = 0x71;
        public const byte DescriptorCurrent = 0x72;
        public const byte DescriptorDeferred = 0x73;

        /// <summary>Both formats begin with an 8-byte header ending in the additional sense length.</summary>
        public const int HeaderLength = 8;

        private ScsiSense(SenseKey key, byte asc, byte ascq, bool deferred, bool descriptorFormat,
            bool informationValid, ulong information, bool senseKeySpecificValid, uint senseKeySpecific)
        {
            Key = key;
            Asc = asc;
            Ascq = ascq;
            Deferred = deferred;
            IsDescriptorFormat = descriptorFormat;
            InformationValid = informationValid;
            Information = information;
            SenseKeySpecificValid = senseKeySpecificValid;
            SenseKeySpecific = senseKeySpecific;
        }

        public SenseKey Key { get; }

        /// <summary>Additional sense code.</summary>
        public byte Asc { get; }

        /// <summary>Additional sense code qualifier.</summary>
        public byte Ascq { get; }

        /// <summary>The error belongs to an earlier command that was reported as successful.</summary>
        public bool Deferred { get; }

        public bool IsDescriptorFormat { get; }

        /// <summary>True when <see cref="Information"/> holds something, e.g. the first failing LBA of a medium error.</summary>
        public bool InformationValid { get; }

        public ulong Information { get; }

        /// <summary>SKSV: <see cref="SenseKeySpecific"/> is meaningful.</summary>
        public bool SenseKeySpecificValid { get; }

        /// <summary>
        /// The 23 bits after SKSV; for ILLEGAL REQUEST the field pointer (SPC-4 §4.5.2.4.2) names the
        /// offending CDB or parameter byte in its low 16 bits.
        /// </summary>
        public uint SenseKeySpecific { get; }

        /// <summary>
        /// Worth reissuing unchanged. UNIT ATTENTION reports a one-time event (power on, reset, a
        /// changed LUN inventory) and the command was not executed, so the retry runs. NOT READY with
        /// 04h/01h says the unit is spinning up and will accept it shortly. ABORTED COMMAND means the
        /// target gave up on this attempt (often a transport hiccup), not that the request was wrong.
        /// Everything else would fail the same way again.
        /// </summary>
        public bool IsRetryable
        {
            get
            {
                switch (Key)
                {
                    case SenseKey.UnitAttention:
                    case SenseKey.AbortedCommand:
                        return true;
                    case SenseKey.NotReady:
                        return Asc == 0x04 && Ascq == 0x01;
                    default:
                        return false;
                }
            }
        }

        /// <summary>
        /// Parses sense data in either format. False on an unknown response code (including the
        /// vendor-specific 7Fh) or fewer than the 8 header bytes.
        /// </summary>
        public static bool TryParse(ReadOnlySpan<byte> senseBytes, out ScsiSense sense)
        {
            sense = default;
            if (senseBytes.Length < HeaderLength)
            {
                return false;
            }

            // The additional length counts the bytes after the header. Trust neither it nor the
            // received count alone: use what both agree on.
            int length = Math.Min(senseBytes.Length, HeaderLength + senseBytes[7]);
            ReadOnlySpan<byte> data = senseBytes.Slice(0, length);
            byte responseCode = (byte)(data[0] & 0x7F);
            switch (responseCode)
            {
                case FixedCurrent:
                case FixedDeferred:
                    sense = ParseFixed(data, responseCode == FixedDeferred);
                    return true;
                case DescriptorCurrent:
                case DescriptorDeferred:
                    sense = ParseDescriptor(data, responseCode == DescriptorDeferred);
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>
        /// Parses the data segment of an iSCSI SCSI Response: SenseLength (2 bytes, big-endian) then
        /// that many sense bytes. False when there is no sense, or SenseLength claims more than arrived.
        /// </summary>
        public static bool TryParseIscsiSenseSegment(ReadOnlySpan<byte> segment, out ScsiSense sense)
        {
            sense = default;
            if (segment.Length < 2)
            {
                return false;
            }

            int senseLength = BinaryPrimitives.ReadUInt16BigEndian(segment);
            if (senseLength == 0 || senseLength > segment.Length - 2)
            {
                return false;
            }

            return TryParse(segment.Slice(2, senseLength), out sense);
        }

        private static ScsiSense ParseFixed(ReadOnlySpan<byte> data, bool deferred)
        {
            bool informationValid = (data[0] & 0x80) != 0;
            ulong information = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(3));
            byte asc = data.Length > 12 ? data[12] : (byte)0;
            byte ascq = data.Length > 13 ? data[13] : (byte)0;
            bool skipValid = false;
            uint specific = 0;
            if (data.Length >= 18)
            {
                skipValid = (data[15] & 0x80) != 0;
                specific = ((uint)(data[15] & 0x7F) << 16) | ((uint)data[16] << 8) | data[17];
            }

            return new ScsiSense((SenseKey)(data[2] & 0x0F), asc, ascq, deferred, false, informationValid, information, skipValid, specific);
        }

        private static ScsiSense ParseDescriptor(ReadOnlySpan<byte> data, bool deferred)
        {
            bool informationValid = false;
            ulong information = 0;
            bool skipValid = false;
            uint specific = 0;

            // Walk the descriptors (type, additional length, body); stop at one that would overrun.
            int offset = HeaderLength;
            while (offset + 2 <= data.Length)
            {
                int descriptorLength = 2 + data[offset + 1];
                if (descriptorLength > data.Length - offset)
                {
                    break;
                }

                ReadOnlySpan<byte> descriptor = data.Slice(offset, descriptorLength);
                if (descriptor[0] == 0x00 && descriptor.Length >= 12)
                {
                    // Information descriptor (SPC-4 §4.5.2.2): VALID bit, then a 64-bit field.
                    informationValid = (descriptor[2] & 0x80) != 0;
                    information = BinaryPrimitives.ReadUInt64BigEndian(descriptor.Slice(4));
                }
                else if (descriptor[0] == 0x02 && descriptor.Length >= 7)
                {
                    // Sense key specific descriptor (SPC-4 §4.5.2.4): SKSV and 23 bits, as in fixed format.
                    skipValid = (descriptor[4] & 0x80) != 0;
                    specific = ((uint)(descriptor[4] & 0x7F) << 16) | ((uint)descriptor[5] << 8) | descriptor[6];
                }

                offset += descriptorLength;
            }

            return new ScsiSense((SenseKey)(data[1] & 0x0F), data[2], data[3], deferred, true, informationValid, information, skipValid, specific);
        }

        /// <summary>A short English name for the condition: the ASC/ASCQ when known, else the sense key.</summary>
        public ReadOnlySpan<byte> Describe()
        {
            switch (Asc)
            {
                case 0x04:
                    switch (Ascq)
                    {
                        case 0x00: return "not ready, cause not reportable"u8;
                        case 0x01: return "becoming ready"u8;
                        case 0x02: return "initializing command required"u8;
                    }

                    break;
                case 0x0C:
                    if (Ascq == 0x00)
                    {
                        return "write error"u8;
                    }

                    break;
                case 0x11:
                    if (Ascq == 0x00)
                    {
                        return "unrecovered read error"u8;
                    }

                    break;
                case 0x20:
                    if (Ascq == 0x00)
                    {
                        return "invalid command operation code"u8;
                    }

                    break;
                case 0x21:
                    if (Ascq == 0x00)
                    {
                        return "LBA out of range"u8;
                    }

                    break;
                case 0x24:
                    if (Ascq == 0x00)
                    {
                        return "invalid field in CDB"u8;
                    }

                    break;
                case 0x25:
                    if (Ascq == 0x00)
                    {
                        return "logical unit not supported"u8;
                    }

                    break;
                case 0x27:
                    if (Ascq == 0x00)
                    {
                        return "write protected"u8;
                    }

                    break;
                case 0x28:
                    if (Ascq == 0x00)
                    {
                        return "not ready to ready change, medium may have changed"u8;
                    }

                    break;
                case 0x29:
                    return "power on, reset, or bus device reset occurred"u8;
                case 0x2A:
                    if (Ascq == 0x01)
                    {
                        return "mode parameters changed"u8;
                    }

                    break;
                case 0x3A:
                    return "medium not present"u8;
                case 0x3F:
                    if (Ascq == 0x0E)
                    {
                        return "reported LUNs data has changed"u8;
                    }

                    break;
                case 0x44:
                    if (Ascq == 0x00)
                    {
                        return "internal target failure"u8;
                    }

                    break;
                case 0x47:
                    if (Ascq == 0x00)
                    {
                        return "SCSI parity error"u8;
                    }

                    break;
                case 0x4B:
                    return "data phase error"u8;
                case 0x5D:
                    return "failure prediction threshold exceeded"u8;
            }

            return SenseKeyName(Key);
        }

        public static ReadOnlySpan<byte> SenseKeyName(SenseKey key)
        {
            switch (key)
            {
                case SenseKey.NoSense: return "no sense"u8;
                case SenseKey.RecoveredError: return "recovered error"u8;
                case SenseKey.NotReady: return "not ready"u8;
                case SenseKey.MediumError: return "medium error"u8;
                case SenseKey.HardwareError: return "hardware error"u8;
                case SenseKey.IllegalRequest: return "illegal request"u8;
                case SenseKey.UnitAttention: return "unit attention"u8;
                case SenseKey.DataProtect: return "data protect"u8;
                case SenseKey.BlankCheck: return "blank check"u8;
                case SenseKey.VendorSpecific: return "vendor specific"u8;
                case SenseKey.CopyAborted: return "copy aborted"u8;
                case SenseKey.AbortedCommand: return "aborted command"u8;
                case SenseKey.Reserved0C: return "reserved sense key 0Ch"u8;
                case SenseKey.VolumeOverflow: return "volume overflow"u8;
                case SenseKey.Miscompare: return "miscompare"u8;
                case SenseKey.Completed: return "completed"u8;
                default: return "unknown sense key"u8;
            }
        }
    }
}
