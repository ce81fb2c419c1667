// A split virtqueue in the legacy layout (Virtio 1.1 §2.6 "Split Virtqueues" and §2.6.2 "Legacy
// Interfaces: A Note on Virtqueue Layout"; §2.4 in 1.0, §2.7 in 1.2): one physically contiguous
// run of pages holding the descriptor table (16 bytes per entry: u64 address, u32 length, u16 flags,
// u16 next), then the available ring (u16 flags, u16 idx, u16 ring[size], u16 used_event), then,
// from the next 4096-byte boundary, the used ring (u16 flags, u16 idx, {u32 id, u32 len}[size],
// u16 avail_event). The driver writes descriptors and the available ring; the device writes the
// used ring, which is therefore read with volatile loads and never trusted for more completions
// than chains are outstanding.
using System;
using System.Threading;
using Bootstage.Platform;

namespace Bootstage.Drivers.Virtio
{
    public sealed unsafe class VirtQueue
    {
        public const int DescriptorSize = 16;
        public const uint RingAlignment = 4096;
        public const ushort MaxSize = 32768;

        // Descriptor flags.
        public const ushort DescriptorNext = 1;
        public const ushort DescriptorWrite = 2;

        // Available-ring flags: we poll, so the device need not interrupt us.
        public const ushort AvailNoInterrupt = 1;

        // Used-ring flags.
        public const ushort UsedNoNotify = 1;

        private const int RingHeaderSize = 4;   // u16 flags, u16 idx
        private const int UsedElementSize = 8;  // u32 id, u32 len

        private readonly PhysicalRegion _region;
        private readonly byte* _descriptors;
        private readonly byte* _avail;
        private readonly byte* _used;
        private readonly ushort _index;
        private readonly ushort _size;
        private ushort _nextAvail;
        private ushort _lastUsed;
        private int _outstanding;
        private ulong _overruns;

        private VirtQueue(ushort index, ushort size, PhysicalRegion region)
        {
            _index = index;
            _size = size;
            _region = region;
            _descriptors = (byte*)region.VirtualAddress;
            _avail = _descriptors + AvailOffset(size);
            _used = _descriptors + UsedOffset(size);
        }

        /// <summary>Queue number on the device (0 = receive, 1 = transmit for virtio-net).</summary>
        public ushort Index => _index;

        /// <summary>Number of descriptors (fixed by a legacy device).</summary>
        public ushort Size => _size;

        public PhysicalRegion Region => _region;

        /// <summary>What the legacy queue-address register takes: the physical address in 4096-byte units.</summary>
        public uint PageFrame => (uint)(_region.PhysicalAddress >> VirtioPciLegacy.QueueAddressShift);

        /// <summary>Chains made available and not yet returned through the used ring.</summary>
        public int Outstanding => _outstanding;

        /// <summary>Times the device's used index ran ahead of the chains we had made available (entries skipped).</summary>
        public ulong Overruns => _overruns;

        /// <summary>Legacy sizes are powers of two no larger than 32768; 0 means the queue does not exist.</summary>
        public static bool IsValidSize(ushort size) => size != 0 && size <= MaxSize && (size & (size - 1)) == 0;

        public static ulong AvailOffset(ushort size) => (ulong)size * DescriptorSize;

        public static ulong UsedOffset(ushort size) => Align(AvailOffset(size) + RingHeaderSize + 2UL * size + 2);

        public static ulong TotalBytes(ushort size) => UsedOffset(size) + Align(RingHeaderSize + (ulong)UsedElementSize * size + 2);

        public static uint PagesFor(ushort size) => (uint)(TotalBytes(size) / PhysicalRegion.PageSize);

        /// <summary>
        /// Allocates the rings for a queue of <paramref name="size"/> entries. InvalidArgument for a size a
        /// legacy device may not have, NotSupported when the memory lies beyond what the 32-bit
        /// page-frame register can name (16 TiB), OutOfMemory when no pages are left.
        /// </summary>
        public static PlatformStatus Create(IPlatform platform, ushort index, ushort size, out VirtQueue? queue)
        {
            queue = null;
            if (!IsValidSize(size))
            {
                return PlatformStatus.InvalidArgument;
            }

            PlatformStatus status = platform.AllocatePages(PagesFor(size), out PhysicalRegion region);
            if (status != PlatformStatus.Success)
            {
                return status;
            }

            ulong last = region.PhysicalAddress + region.Length - 1;
            if ((region.PhysicalAddress & (RingAlignment - 1)) != 0 || (last >> VirtioPciLegacy.QueueAddressShift) > uint.MaxValue)
            {
                platform.FreePages(region);
                return PlatformStatus.NotSupported;
            }

            queue = new VirtQueue(index, size, region);
            return PlatformStatus.Success;
        }

        /// <summary>Zeroes the rings and the driver's indices (after a device reset, before handing the queue over again).</summary>
        public void Clear()
        {
            new Span<byte>(_descriptors, (int)_region.Length).Clear();

            _nextAvail = 0;
            _lastUsed = 0;
            _outstanding = 0;
        }

        public void Free(IPlatform platform) => platform.FreePages(_region);

        /// <summary>Writes descriptor <paramref name="index"/>; an index outside the table is ignored and reported false.</summary>
        public bool SetDescriptor(int index, ulong address, uint length, ushort flags, ushort next)
        {
            if ((uint)index >= _size)
            {
                return false;
            }

            byte* descriptor = _descriptors + index * DescriptorSize;
            *(ulong*)descriptor = address;
            *(uint*)(descriptor + 8) = length;
            *(ushort*)(descriptor + 12) = flags;
            *(ushort*)(descriptor + 14) = next;
            return true;
        }

        public ushort AvailFlags
        {
            get => Volatile.Read(ref *(ushort*)_avail);
            set => Volatile.Write(ref *(ushort*)_avail, value);
        }

        /// <summary>The device's hint: NO_NOTIFY set means it is already busy with the queue.</summary>
        public ushort UsedFlags => Volatile.Read(ref *(ushort*)_used);

        /// <summary>The device's used index (how many chains it has returned, modulo 2^16).</summary>
        public ushort UsedIndex => Volatile.Read(ref *(ushort*)(_used + 2));

        /// <summary>
        /// Makes the chain starting at descriptor <paramref name="head"/> available: ring entry first,
        /// then the index, so the device never sees an index covering an unwritten entry. False when
        /// every entry is already outstanding or the head lies outside the table.
        /// </summary>
        public bool Publish(ushort head)
        {
            if (head >= _size || _outstanding >= _size)
            {
                return false;
            }

            ushort* ring = (ushort*)(_avail + RingHeaderSize);
            Volatile.Write(ref ring[_nextAvail & (_size - 1)], head);
            _nextAvail++;
            _outstanding++;
            Volatile.Write(ref *(ushort*)(_avail + 2), _nextAvail);
            return true;
        }

        /// <summary>
        /// Takes the next used element: <paramref name="id"/> is the head the device names (unchecked:
        /// the caller validates it against what it made available), <paramref name="length"/> the bytes
        /// it says it wrote. False when nothing is pending. A used index that claims more completions
        /// than chains are outstanding is skipped to and counted in <see cref="Overruns"/>.
        /// </summary>
        public bool TryTakeUsed(out uint id, out uint length)
        {
            id = 0;
            length = 0;
            ushort deviceIndex = UsedIndex;
            if (deviceIndex == _lastUsed)
            {
                return false;
            }

            if (_outstanding == 0)
            {
                _overruns++;
                _lastUsed = deviceIndex;
                return false;
            }

            byte* element = _used + RingHeaderSize + (_lastUsed & (_size - 1)) * UsedElementSize;
            id = Volatile.Read(ref *(uint*)element);
            length = Volatile.Read(ref *(uint*)(element + 4));
            _lastUsed++;
            _outstanding--;
            return true;
        }

        private static ulong Align(ulong value) => (value + RingAlignment - 1) & ~(ulong)(RingAlignment - 1);
    }
}
