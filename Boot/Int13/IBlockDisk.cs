// What the INT 13h service needs of a disk: its geometry in blocks and whole-block reads and
// writes into a managed buffer, each reporting an iSCSI status. SanDevice is the product's disk;
// the interface keeps the service testable with any block source.
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Int13
{
    public interface IBlockDisk
    {
        uint BlockSize { get; }

        ulong BlockCount { get; }

        IscsiStatus Read(ulong lba, int blocks, byte[] buffer, int offset);

        IscsiStatus Write(ulong lba, int blocks, byte[] buffer, int offset);
    }
}
