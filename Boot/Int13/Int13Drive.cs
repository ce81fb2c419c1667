// One drive the INT 13h service answers for: its BIOS drive number, the disk behind it, the CHS
// geometry presented to old callers, the status of its last call (AH=01h) and a bounce buffer:
// the disk reads into managed memory, the caller's buffer is real-mode or physical memory, so
// every transfer is cut into bounce-sized pieces and each piece is copied only once it has
// arrived whole. A 2048-byte-block disk is a CD-ROM: extended functions only, plus the El Torito
// calls when its boot catalog is known.
namespace Bootstage.Boot.Int13
{
    public sealed class Int13Drive
    {
        /// <summary>Default bounce size: 127 sectors of 512 bytes (the classic AH=42h limit) rounded up to 64 KiB.</summary>
        public const int DefaultBounceBytes = 64 * 1024;

        private readonly byte[] _bounce;

        public Int13Drive(byte number, IBlockDisk disk, int bounceBytes = DefaultBounceBytes)
        {
            Number = number;
            Disk = disk;
            int blockSize = (int)disk.BlockSize;
            int size = bounceBytes < blockSize ? blockSize : bounceBytes - bounceBytes % blockSize;
            _bounce = new byte[size];
        }

        public byte Number { get; }

        public IBlockDisk Disk { get; }

        public Int13Geometry Geometry { get; set; }

        public byte LastStatus { get; set; }

        public bool IsCdRom => Disk.BlockSize == 2048;

        /// <summary>El Torito: the boot catalog's LBA (2048-byte blocks), 0 when unknown.</summary>
        public uint BootCatalogLba { get; set; }

        /// <summary>El Torito: the default entry's image LBA, load segment and 512-byte sector count (AH=4Bh).</summary>
        public uint BootImageLba { get; set; }

        public ushort BootLoadSegment { get; set; }

        public ushort BootLoadSectors { get; set; }

        /// <summary>Where the disk is reached, for AH=48h's device path information.</summary>
        public Int13DevicePath Path { get; set; }

        internal byte[] Bounce => _bounce;

        internal int BounceBlocks => _bounce.Length / (int)Disk.BlockSize;
    }

    /// <summary>
    /// The NIC's PCI location (a NIC off PCI, such as a VMBus one, has none, and AH=48h then
    /// leaves the device path out, as iPXE does) and the SCSI LUN in its 8-byte SAM form.
    /// </summary>
    public readonly struct Int13DevicePath
    {
        public Int13DevicePath(byte bus, byte device, byte function, ulong lun)
        {
            OnPci = true;
            Bus = bus;
            Device = device;
            Function = function;
            Lun = lun;
        }

        public bool OnPci { get; }

        public byte Bus { get; }

        public byte Device { get; }

        public byte Function { get; }

        public ulong Lun { get; }
    }
}
