// BinaryPrimitives: explicit-endianness reads and writes, with .NET's exact signatures.
// x86-64 is little-endian, so the LittleEndian forms are plain unaligned accesses. The byte swaps
// are marked [Intrinsic] as in .NET, so the code generator emits BSWAP/ROL inline instead of a
// call to the shifts below (which stay as the fallback): every header field on the packet path
// goes through them (bench sanprofile showed the call as its own line).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace System.Buffers.Binary
{
    public static class BinaryPrimitives
    {
        public static byte ReverseEndianness(byte value) => value;

        [Intrinsic]
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ushort ReverseEndianness(ushort value) => (ushort)((value >> 8) | (value << 8));

        public static short ReverseEndianness(short value) => (short)ReverseEndianness((ushort)value);

        [Intrinsic]
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint ReverseEndianness(uint value)
        {
            return (value >> 24) | ((value >> 8) & 0x0000FF00u) | ((value << 8) & 0x00FF0000u) | (value << 24);
        }

        public static int ReverseEndianness(int value) => (int)ReverseEndianness((uint)value);

        [Intrinsic]
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong ReverseEndianness(ulong value)
        {
            return ((ulong)ReverseEndianness((uint)value) << 32) | ReverseEndianness((uint)(value >> 32));
        }

        public static long ReverseEndianness(long value) => (long)ReverseEndianness((ulong)value);

        public static ushort ReadUInt16LittleEndian(ReadOnlySpan<byte> source) => MemoryMarshal.Read<ushort>(source);

        public static ushort ReadUInt16BigEndian(ReadOnlySpan<byte> source) => ReverseEndianness(MemoryMarshal.Read<ushort>(source));

        public static bool TryReadUInt16LittleEndian(ReadOnlySpan<byte> source, out ushort value)
        {
            if (source.Length < 2)
            {
                value = default;
                return false;
            }

            value = MemoryMarshal.Read<ushort>(source);
            return true;
        }

        public static bool TryReadUInt16BigEndian(ReadOnlySpan<byte> source, out ushort value)
        {
            if (source.Length < 2)
            {
                value = default;
                return false;
            }

            value = ReverseEndianness(MemoryMarshal.Read<ushort>(source));
            return true;
        }

        public static void WriteUInt16LittleEndian(Span<byte> destination, ushort value) => MemoryMarshal.Write(destination, in value);

        public static void WriteUInt16BigEndian(Span<byte> destination, ushort value)
        {
            ushort swapped = ReverseEndianness(value);
            MemoryMarshal.Write(destination, in swapped);
        }

        public static bool TryWriteUInt16LittleEndian(Span<byte> destination, ushort value)
        {
            if (destination.Length < 2)
            {
                return false;
            }

            MemoryMarshal.Write(destination, in value);
            return true;
        }

        public static bool TryWriteUInt16BigEndian(Span<byte> destination, ushort value)
        {
            if (destination.Length < 2)
            {
                return false;
            }

            ushort swapped = ReverseEndianness(value);
            MemoryMarshal.Write(destination, in swapped);
            return true;
        }

        public static short ReadInt16LittleEndian(ReadOnlySpan<byte> source) => MemoryMarshal.Read<short>(source);

        public static short ReadInt16BigEndian(ReadOnlySpan<byte> source) => ReverseEndianness(MemoryMarshal.Read<short>(source));

        public static bool TryReadInt16LittleEndian(ReadOnlySpan<byte> source, out short value)
        {
            if (source.Length < 2)
            {
                value = default;
                return false;
            }

            value = MemoryMarshal.Read<short>(source);
            return true;
        }

        public static bool TryReadInt16BigEndian(ReadOnlySpan<byte> source, out short value)
        {
            if (source.Length < 2)
            {
                value = default;
                return false;
            }

            value = ReverseEndianness(MemoryMarshal.Read<short>(source));
            return true;
        }

        public static void WriteInt16LittleEndian(Span<byte> destination, short value) => MemoryMarshal.Write(destination, in value);

        public static void WriteInt16BigEndian(Span<byte> destination, short value)
        {
            short swapped = ReverseEndianness(value);
            MemoryMarshal.Write(destination, in swapped);
        }

        public static bool TryWriteInt16LittleEndian(Span<byte> destination, short value)
        {
            if (destination.Length < 2)
            {
                return false;
            }

            MemoryMarshal.Write(destination, in value);
            return true;
        }

        public static bool TryWriteInt16BigEndian(Span<byte> destination, short value)
        {
            if (destination.Length < 2)
            {
                return false;
            }

            short swapped = ReverseEndianness(value);
            MemoryMarshal.Write(destination, in swapped);
            return true;
        }

        public static uint ReadUInt32LittleEndian(ReadOnlySpan<byte> source) => MemoryMarshal.Read<uint>(source);

        public static uint ReadUInt32BigEndian(ReadOnlySpan<byte> source) => ReverseEndianness(MemoryMarshal.Read<uint>(source));

        public static bool TryReadUInt32LittleEndian(ReadOnlySpan<byte> source, out uint value)
        {
            if (source.Length < 4)
            {
                value = default;
                return false;
            }

            value = MemoryMarshal.Read<uint>(source);
            return true;
        }

        public static bool TryReadUInt32BigEndian(ReadOnlySpan<byte> source, out uint value)
        {
            if (source.Length < 4)
            {
                value = default;
                return false;
            }

            value = ReverseEndianness(MemoryMarshal.Read<uint>(source));
            return true;
        }

        public static void WriteUInt32LittleEndian(Span<byte> destination, uint value) => MemoryMarshal.Write(destination, in value);

        public static void WriteUInt32BigEndian(Span<byte> destination, uint value)
        {
            uint swapped = ReverseEndianness(value);
            MemoryMarshal.Write(destination, in swapped);
        }

        public static bool TryWriteUInt32LittleEndian(Span<byte> destination, uint value)
        {
            if (destination.Length < 4)
            {
                return false;
            }

            MemoryMarshal.Write(destination, in value);
            return true;
        }

        public static bool TryWriteUInt32BigEndian(Span<byte> destination, uint value)
        {
            if (destination.Length < 4)
            {
                return false;
            }

            uint swapped = ReverseEndianness(value);
            MemoryMarshal.Write(destination, in swapped);
            return true;
        }

        public static int ReadInt32LittleEndian(ReadOnlySpan<byte> source) => MemoryMarshal.Read<int>(source);

        public static int ReadInt32BigEndian(ReadOnlySpan<byte> source) => ReverseEndianness(MemoryMarshal.Read<int>(source));

        public static bool TryReadInt32LittleEndian(ReadOnlySpan<byte> source, out int value)
        {
            if (source.Length < 4)
            {
                value = default;
                return false;
            }

            value = MemoryMarshal.Read<int>(source);
            return true;
        }

        public static bool TryReadInt32BigEndian(ReadOnlySpan<byte> source, out int value)
        {
            if (source.Length < 4)
            {
                value = default;
                return false;
            }

            value = ReverseEndianness(MemoryMarshal.Read<int>(source));
            return true;
        }

        public static void WriteInt32LittleEndian(Span<byte> destination, int value) => MemoryMarshal.Write(destination, in value);

        public static void WriteInt32BigEndian(Span<byte> destination, int value)
        {
            int swapped = ReverseEndianness(value);
            MemoryMarshal.Write(destination, in swapped);
        }

        public static bool TryWriteInt32LittleEndian(Span<byte> destination, int value)
        {
            if (destination.Length < 4)
            {
                return false;
            }

            MemoryMarshal.Write(destination, in value);
            return true;
        }

        public static bool TryWriteInt32BigEndian(Span<byte> destination, int value)
        {
            if (destination.Length < 4)
            {
                return false;
            }

            int swapped = ReverseEndianness(value);
            MemoryMarshal.Write(destination, in swapped);
            return true;
        }

        public static ulong ReadUInt64LittleEndian(ReadOnlySpan<byte> source) => MemoryMarshal.Read<ulong>(source);

        public static ulong ReadUInt64BigEndian(ReadOnlySpan<byte> source) => ReverseEndianness(MemoryMarshal.Read<ulong>(source));

        public static bool TryReadUInt64LittleEndian(ReadOnlySpan<byte> source, out ulong value)
        {
            if (source.Length < 8)
            {
                value = default;
                return false;
            }

            value = MemoryMarshal.Read<ulong>(source);
            return true;
        }

        public static bool TryReadUInt64BigEndian(ReadOnlySpan<byte> source, out ulong value)
        {
            if (source.Length < 8)
            {
                value = default;
                return false;
            }

            value = ReverseEndianness(MemoryMarshal.Read<ulong>(source));
            return true;
        }

        public static void WriteUInt64LittleEndian(Span<byte> destination, ulong value) => MemoryMarshal.Write(destination, in value);

        public static void WriteUInt64BigEndian(Span<byte> destination, ulong value)
        {
            ulong swapped = ReverseEndianness(value);
            MemoryMarshal.Write(destination, in swapped);
        }

        public static bool TryWriteUInt64LittleEndian(Span<byte> destination, ulong value)
        {
            if (destination.Length < 8)
            {
                return false;
            }

            MemoryMarshal.Write(destination, in value);
            return true;
        }

        public static bool TryWriteUInt64BigEndian(Span<byte> destination, ulong value)
        {
            if (destination.Length < 8)
            {
                return false;
            }

            ulong swapped = ReverseEndianness(value);
            MemoryMarshal.Write(destination, in swapped);
            return true;
        }

        public static long ReadInt64LittleEndian(ReadOnlySpan<byte> source) => MemoryMarshal.Read<long>(source);

        public static long ReadInt64BigEndian(ReadOnlySpan<byte> source) => ReverseEndianness(MemoryMarshal.Read<long>(source));

        public static bool TryReadInt64LittleEndian(ReadOnlySpan<byte> source, out long value)
        {
            if (source.Length < 8)
            {
                value = default;
                return false;
            }

            value = MemoryMarshal.Read<long>(source);
            return true;
        }

        public static bool TryReadInt64BigEndian(ReadOnlySpan<byte> source, out long value)
        {
            if (source.Length < 8)
            {
                value = default;
                return false;
            }

            value = ReverseEndianness(MemoryMarshal.Read<long>(source));
            return true;
        }

        public static void WriteInt64LittleEndian(Span<byte> destination, long value) => MemoryMarshal.Write(destination, in value);

        public static void WriteInt64BigEndian(Span<byte> destination, long value)
        {
            long swapped = ReverseEndianness(value);
            MemoryMarshal.Write(destination, in swapped);
        }

        public static bool TryWriteInt64LittleEndian(Span<byte> destination, long value)
        {
            if (destination.Length < 8)
            {
                return false;
            }

            MemoryMarshal.Write(destination, in value);
            return true;
        }

        public static bool TryWriteInt64BigEndian(Span<byte> destination, long value)
        {
            if (destination.Length < 8)
            {
                return false;
            }

            long swapped = ReverseEndianness(value);
            MemoryMarshal.Write(destination, in swapped);
            return true;
        }
    }
}
