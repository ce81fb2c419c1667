// What made SanDevice.Open fail, beyond its iSCSI status: the first cause found, named for the
// log line (a short INQUIRY is not "target not found", an impossible block length is not a lost
// connection).
using System;

namespace Bootstage.Boot.San
{
    public enum SanFailure
    {
        None,
        ShortInquiry,
        NoLogicalUnit,
        ShortCapacity,
        ImpossibleBlockSize,
    }

    public static class SanFailureText
    {
        public static ReadOnlySpan<byte> Describe(SanFailure failure)
        {
            switch (failure)
            {
                case SanFailure.ShortInquiry: return "short INQUIRY data"u8;
                case SanFailure.NoLogicalUnit: return "no logical unit at this LUN"u8;
                case SanFailure.ShortCapacity: return "short READ CAPACITY data"u8;
                case SanFailure.ImpossibleBlockSize: return "impossible block length"u8;
                default: return "none"u8;
            }
        }
    }
}
