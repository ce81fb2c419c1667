// Guest RAM of the emulated machine: one page-aligned native block that stands at guest-physical 0.
// The CPU emulator maps it with uc_mem_map_ptr and the host model reaches it through
// MachineHost.TryGetGuestMemory, so the image, the emulated CPU and the Hyper-V host model all
// touch the same bytes, as a hypervisor and its guest share RAM. The top of the block is kept out of
// the image's memory map for guest code that is not ours (the enlightened loader's pages).
using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Bootstage.HyperV.Machine
{
    public sealed unsafe class GuestRam : IDisposable
    {
        public const ulong PageSize = 4096;

        private byte* _base;

        public GuestRam(ulong size)
        {
            if (size == 0 || size % PageSize != 0)
            {
                throw new ArgumentException("Guest RAM is a whole number of pages.", nameof(size));
            }

            Size = size;
            _base = (byte*)NativeMemory.AlignedAlloc((nuint)size, (nuint)PageSize);
            NativeMemory.Clear(_base, (nuint)size);
        }

        public ulong Size { get; }

        public byte* Base => _base;

        /// <summary>The bytes at [address, address + length) if they lie inside RAM; computed without overflow.</summary>
        public bool TryGet(ulong address, ulong length, out byte* pointer)
        {
            if (address < Size && length <= Size - address)
            {
                pointer = _base + address;
                return true;
            }

            pointer = null;
            return false;
        }

        public Span<byte> Slice(ulong address, int length)
        {
            if (!TryGet(address, (ulong)length, out byte* pointer))
            {
                throw new ArgumentOutOfRangeException(nameof(address), $"0x{address:X}+{length} is outside guest RAM");
            }

            return new Span<byte>(pointer, length);
        }

        public ulong ReadUInt64(ulong address) => BinaryPrimitives.ReadUInt64LittleEndian(Slice(address, 8));

        public uint ReadUInt32(ulong address) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(address, 4));

        public void WriteUInt64(ulong address, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Slice(address, 8), value);

        public void WriteUInt32(ulong address, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Slice(address, 4), value);

        public void Dispose()
        {
            if (_base != null)
            {
                NativeMemory.AlignedFree(_base);
                _base = null;
            }
        }
    }
}
