// What the initiator asks for at login (IscsiOptions) and what the login settled on
// (IscsiParameters), with the RFC 7143 §13 result functions: list keys take the target's choice
// from our list, numerical keys take the minimum (MaxBurstLength, FirstBurstLength,
// MaxOutstandingR2T, ErrorRecoveryLevel, MaxConnections, DefaultTime2Retain) or maximum
// (DefaultTime2Wait), Boolean keys take OR (InitialR2T, DataPDUInOrder, DataSequenceInOrder) or
// AND (ImmediateData). MaxRecvDataSegmentLength is declarative: each side states what it receives.
using System;

namespace Bootstage.Boot.Iscsi
{
    public sealed class IscsiOptions
    {
        public byte[] InitiatorName = new byte[0];
        public byte[] TargetName = new byte[0];
        public byte[] Username = new byte[0];
        public byte[] Password = new byte[0];
        public byte[] ReverseUsername = new byte[0];
        public byte[] ReversePassword = new byte[0];

        /// <summary>Offer CRC32C digests first (None stays acceptable).</summary>
        public bool HeaderDigest;
        public bool DataDigest;
        public bool ImmediateData = true;
        public bool InitialR2T;
        public uint MaxRecvDataSegmentLength = 256 * 1024;
        public uint MaxBurstLength = 1024 * 1024;
        public uint FirstBurstLength = 256 * 1024;
        public uint MaxOutstandingR2T = 4;

        public ulong LoginTimeoutMs = 15_000;

        /// <summary>A NOP-Out ping after this much silence; 0 disables it.</summary>
        public ulong KeepaliveIdleMs = 10_000;
        public ulong KeepaliveTimeoutMs = 15_000;

        public int MaxRedirects = 4;

        public bool UsesChap => Username.Length != 0;

        public bool UsesMutualChap => ReverseUsername.Length != 0;

        /// <summary>Rejects combinations that cannot work: a reverse secret without a forward one, a name without a secret.</summary>
        public IscsiStatus Validate()
        {
            if (InitiatorName.Length == 0 || TargetName.Length == 0)
            {
                return IscsiStatus.InvalidArgument;
            }

            if ((Username.Length == 0) != (Password.Length == 0) || (ReverseUsername.Length == 0) != (ReversePassword.Length == 0))
            {
                return IscsiStatus.InvalidCredentials;
            }

            if (UsesMutualChap && !UsesChap)
            {
                return IscsiStatus.InvalidCredentials;
            }

            if (MaxRecvDataSegmentLength < 512 || MaxRecvDataSegmentLength > 0xFFFFFF || FirstBurstLength > MaxBurstLength || MaxOutstandingR2T == 0)
            {
                return IscsiStatus.InvalidArgument;
            }

            return IscsiStatus.Success;
        }
    }

    public struct IscsiParameters
    {
        public bool HeaderDigest;
        public bool DataDigest;
        public bool ImmediateData;
        public bool InitialR2T;
        public bool DataPduInOrder;
        public bool DataSequenceInOrder;

        /// <summary>What we receive (we declared it).</summary>
        public uint OurMaxRecvDataSegmentLength;

        /// <summary>What the target receives: caps every data segment we send.</summary>
        public uint TargetMaxRecvDataSegmentLength;
        public uint MaxBurstLength;
        public uint FirstBurstLength;
        public uint MaxOutstandingR2T;
        public uint ErrorRecoveryLevel;
        public uint DefaultTime2Wait;
        public uint DefaultTime2Retain;
        public uint MaxConnections;
        public uint TargetPortalGroupTag;

        /// <summary>The RFC 7143 defaults, which hold for every key the target leaves out.</summary>
        public static IscsiParameters Defaults(IscsiOptions options)
        {
            IscsiParameters parameters = default;
            parameters.InitialR2T = true;
            parameters.ImmediateData = true;
            parameters.DataPduInOrder = true;
            parameters.DataSequenceInOrder = true;
            parameters.OurMaxRecvDataSegmentLength = options.MaxRecvDataSegmentLength;
            parameters.TargetMaxRecvDataSegmentLength = 8192;
            parameters.MaxBurstLength = 262144;
            parameters.FirstBurstLength = 65536;
            parameters.MaxOutstandingR2T = 1;
            parameters.DefaultTime2Wait = 2;
            parameters.DefaultTime2Retain = 20;
            parameters.MaxConnections = 1;
            return parameters;
        }

        /// <summary>Writes the operational keys we propose.</summary>
        public static void Propose(IscsiOptions options, ref IscsiTextWriter writer)
        {
            writer.Add("HeaderDigest"u8, options.HeaderDigest ? "CRC32C,None"u8 : "None"u8);
            writer.Add("DataDigest"u8, options.DataDigest ? "CRC32C,None"u8 : "None"u8);
            writer.AddNumber("MaxConnections"u8, 1);
            writer.Add("InitialR2T"u8, options.InitialR2T ? "Yes"u8 : "No"u8);
            writer.Add("ImmediateData"u8, options.ImmediateData ? "Yes"u8 : "No"u8);
            writer.AddNumber("MaxRecvDataSegmentLength"u8, options.MaxRecvDataSegmentLength);
            writer.AddNumber("MaxBurstLength"u8, options.MaxBurstLength);
            writer.AddNumber("FirstBurstLength"u8, options.FirstBurstLength);
            writer.AddNumber("DefaultTime2Wait"u8, 0);
            writer.AddNumber("DefaultTime2Retain"u8, 0);
            writer.AddNumber("MaxOutstandingR2T"u8, options.MaxOutstandingR2T);
            writer.Add("DataPDUInOrder"u8, "Yes"u8);
            writer.Add("DataSequenceInOrder"u8, "Yes"u8);
            writer.AddNumber("ErrorRecoveryLevel"u8, 0);
        }

        /// <summary>
        /// Applies one key from a login response. Returns Success when understood, ProtocolError for
        /// a value outside what we offered (a target must pick from our list or stay within our
        /// bounds), and NegotiationFailed for a key we do not know (the caller ignores those that are
        /// informational). `proposal` is true when we did not offer the key and the target is the
        /// proposer: then the caller must answer with our value (written by Answer).
        /// </summary>
        public IscsiStatus Apply(IscsiOptions options, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            uint number;
            if (key.SequenceEqual("HeaderDigest"u8) || key.SequenceEqual("DataDigest"u8))
            {
                bool header = key[0] == (byte)'H';
                bool offered = header ? options.HeaderDigest : options.DataDigest;
                bool crc = ListFirstIs(value, "CRC32C"u8);
                if (!crc && !ListFirstIs(value, "None"u8))
                {
                    return IscsiStatus.ProtocolError;
                }

                if (crc && !offered)
                {
                    // We offered None only and a responder must choose from our list (§6.2.1):
                    // going along with None while the target digests would desynchronise framing.
                    return IscsiStatus.ProtocolError;
                }

                if (header)
                {
                    HeaderDigest = crc;
                }
                else
                {
                    DataDigest = crc;
                }

                return IscsiStatus.Success;
            }

            if (key.SequenceEqual("MaxRecvDataSegmentLength"u8))
            {
                if (!IscsiTextReader.TryParseNumber(value, out number) || number < 512 || number > 0xFFFFFF)
                {
                    return IscsiStatus.ProtocolError;
                }

                TargetMaxRecvDataSegmentLength = number;
                return IscsiStatus.Success;
            }

            if (key.SequenceEqual("MaxBurstLength"u8))
            {
                return Minimum(value, options.MaxBurstLength, 512, ref MaxBurstLength);
            }

            if (key.SequenceEqual("FirstBurstLength"u8))
            {
                return Minimum(value, options.FirstBurstLength, 512, ref FirstBurstLength);
            }

            if (key.SequenceEqual("MaxOutstandingR2T"u8))
            {
                return Minimum(value, options.MaxOutstandingR2T, 1, ref MaxOutstandingR2T);
            }

            if (key.SequenceEqual("ErrorRecoveryLevel"u8))
            {
                return Minimum(value, 0, 0, ref ErrorRecoveryLevel);
            }

            if (key.SequenceEqual("MaxConnections"u8))
            {
                return Minimum(value, 1, 1, ref MaxConnections);
            }

            if (key.SequenceEqual("DefaultTime2Retain"u8))
            {
                return Minimum(value, 0, 0, ref DefaultTime2Retain);
            }

            if (key.SequenceEqual("DefaultTime2Wait"u8))
            {
                // Maximum function: any value at or above our 0 is a valid result.
                if (!IscsiTextReader.TryParseNumber(value, out number) || number > 3600)
                {
                    return IscsiStatus.ProtocolError;
                }

                DefaultTime2Wait = number;
                return IscsiStatus.Success;
            }

            if (key.SequenceEqual("InitialR2T"u8))
            {
                return Boolean(value, options.InitialR2T, orFunction: true, ref InitialR2T);
            }

            if (key.SequenceEqual("ImmediateData"u8))
            {
                return Boolean(value, options.ImmediateData, orFunction: false, ref ImmediateData);
            }

            if (key.SequenceEqual("DataPDUInOrder"u8))
            {
                return Boolean(value, true, orFunction: true, ref DataPduInOrder);
            }

            if (key.SequenceEqual("DataSequenceInOrder"u8))
            {
                return Boolean(value, true, orFunction: true, ref DataSequenceInOrder);
            }

            if (key.SequenceEqual("TargetPortalGroupTag"u8))
            {
                if (!IscsiTextReader.TryParseNumber(value, out number) || number > 0xFFFF)
                {
                    return IscsiStatus.ProtocolError;
                }

                TargetPortalGroupTag = number;
                return IscsiStatus.Success;
            }

            return IscsiStatus.NegotiationFailed;
        }

        private static bool ListFirstIs(ReadOnlySpan<byte> value, ReadOnlySpan<byte> item)
        {
            int comma = value.IndexOf((byte)',');
            return (comma < 0 ? value : value.Slice(0, comma)).SequenceEqual(item);
        }

        private static IscsiStatus Minimum(ReadOnlySpan<byte> value, uint ours, uint floor, ref uint result)
        {
            if (!IscsiTextReader.TryParseNumber(value, out uint theirs) || theirs < floor)
            {
                return IscsiStatus.ProtocolError;
            }

            // A responder answering above our offer is wrong; a proposer may ask more and the
            // result is still the minimum.
            result = theirs < ours ? theirs : ours;
            return IscsiStatus.Success;
        }

        private static IscsiStatus Boolean(ReadOnlySpan<byte> value, bool ours, bool orFunction, ref bool result)
        {
            bool theirs;
            if (value.SequenceEqual("Yes"u8))
            {
                theirs = true;
            }
            else if (value.SequenceEqual("No"u8))
            {
                theirs = false;
            }
            else
            {
                return IscsiStatus.ProtocolError;
            }

            result = orFunction ? (ours || theirs) : (ours && theirs);
            return IscsiStatus.Success;
        }

        /// <summary>Keys a target sends for information only: never answered, never an error.</summary>
        public static bool IsDeclarativeFromTarget(ReadOnlySpan<byte> key)
        {
            return key.SequenceEqual("TargetAlias"u8) || key.SequenceEqual("TargetAddress"u8)
                || key.SequenceEqual("TargetPortalGroupTag"u8) || key.SequenceEqual("MaxRecvDataSegmentLength"u8);
        }
    }
}
