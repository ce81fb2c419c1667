// Outcomes of iSCSI and SCSI operations, as status codes (the image has no exceptions for
// control flow), with a short English description for log lines. Login status classes and
// details follow RFC 7143 §11.13.5.
using System;

namespace Bootstage.Boot.Iscsi
{
    public enum IscsiStatus
    {
        Success,
        Pending,
        InvalidArgument,
        InvalidCredentials,
        NoFreeTask,
        ConnectFailed,
        ConnectionLost,
        Timeout,
        ProtocolError,
        DigestError,
        NegotiationFailed,
        TargetNotAuthenticated,
        AuthenticationFailed,
        AuthorizationFailed,
        TargetNotFound,
        TargetRemoved,
        TooManyRedirects,
        LoginRejected,
        TargetBusy,
        TargetError,
        Rejected,
        CheckCondition,
        ScsiBusy,
        ScsiFailed,
        NotLoggedIn,
        LoggedOut,
        Aborted,
    }

    public static class IscsiStatusText
    {
        public static ReadOnlySpan<byte> Describe(IscsiStatus status)
        {
            switch (status)
            {
                case IscsiStatus.Success: return "success"u8;
                case IscsiStatus.Pending: return "pending"u8;
                case IscsiStatus.InvalidArgument: return "invalid argument"u8;
                case IscsiStatus.InvalidCredentials: return "invalid credentials (a reverse CHAP secret needs a forward one)"u8;
                case IscsiStatus.NoFreeTask: return "too many commands outstanding"u8;
                case IscsiStatus.ConnectFailed: return "could not connect to the target"u8;
                case IscsiStatus.ConnectionLost: return "connection to the target lost"u8;
                case IscsiStatus.Timeout: return "timed out"u8;
                case IscsiStatus.ProtocolError: return "target broke the iSCSI protocol"u8;
                case IscsiStatus.DigestError: return "header or data digest mismatch"u8;
                case IscsiStatus.NegotiationFailed: return "login parameter negotiation failed"u8;
                case IscsiStatus.TargetNotAuthenticated: return "target did not authenticate itself (mutual CHAP required)"u8;
                case IscsiStatus.AuthenticationFailed: return "authentication failed"u8;
                case IscsiStatus.AuthorizationFailed: return "initiator not authorised for this target"u8;
                case IscsiStatus.TargetNotFound: return "target not found"u8;
                case IscsiStatus.TargetRemoved: return "target removed"u8;
                case IscsiStatus.TooManyRedirects: return "too many login redirects"u8;
                case IscsiStatus.LoginRejected: return "login rejected by the target"u8;
                case IscsiStatus.TargetBusy: return "target out of resources or unavailable"u8;
                case IscsiStatus.TargetError: return "target error"u8;
                case IscsiStatus.Rejected: return "PDU rejected by the target"u8;
                case IscsiStatus.CheckCondition: return "SCSI check condition"u8;
                case IscsiStatus.ScsiBusy: return "SCSI busy or task set full"u8;
                case IscsiStatus.ScsiFailed: return "SCSI command failed"u8;
                case IscsiStatus.NotLoggedIn: return "not logged in"u8;
                case IscsiStatus.LoggedOut: return "logged out"u8;
                case IscsiStatus.Aborted: return "aborted"u8;
                default: return "unknown status"u8;
            }
        }

        /// <summary>Maps a login response's status class and detail (RFC 7143 §11.13.5).</summary>
        public static IscsiStatus FromLoginStatus(byte statusClass, byte detail)
        {
            if (statusClass == 0)
            {
                return IscsiStatus.Success;
            }

            if (statusClass == 2)
            {
                switch (detail)
                {
                    case 0x01: return IscsiStatus.AuthenticationFailed;
                    case 0x02: return IscsiStatus.AuthorizationFailed;
                    case 0x03: return IscsiStatus.TargetNotFound;
                    case 0x04: return IscsiStatus.TargetRemoved;
                    default: return IscsiStatus.LoginRejected;
                }
            }

            if (statusClass == 3)
            {
                return detail == 0x01 || detail == 0x02 ? IscsiStatus.TargetBusy : IscsiStatus.TargetError;
            }

            return IscsiStatus.ProtocolError;
        }
    }
}
