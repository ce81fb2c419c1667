// MemoryMarshal: reinterpreting spans, the tool for reading hardware and wire structures in place.
using System.Runtime.CompilerServices;
using Internal.Runtime.CompilerHelpers;

namespace System.Runtime.InteropServices
{
    public static class MemoryMarshal
    {
        public static ref T GetReference<T>(Span<T> span) => ref span._reference;

        public static ref T GetReference<T>(ReadOnlySpan<T> span) => ref span._reference;

        public static Span<T> CreateSpan<T>(scoped ref T reference, int length)
        {
            return new Span<T>(ref Unsafe.AsRef(in reference), length);
        }

        public static ReadOnlySpan<T> CreateReadOnlySpan<T>(scoped ref readonly T reference, int length)
        {
            return new ReadOnlySpan<T>(ref Unsafe.AsRef(in reference), length);
        }

        public static Span<byte> AsBytes<T>(Span<T> span) where T : struct
        {
            return new Span<byte>(ref Unsafe.As<T, byte>(ref span._reference), checked(span.Length * Unsafe.SizeOf<T>()));
        }

        public static ReadOnlySpan<byte> AsBytes<T>(ReadOnlySpan<T> span) where T : struct
        {
            return new ReadOnlySpan<byte>(ref Unsafe.As<T, byte>(ref span._reference), checked(span.Length * Unsafe.SizeOf<T>()));
        }

        public static Span<TTo> Cast<TFrom, TTo>(Span<TFrom> span) where TFrom : struct where TTo : struct
        {
            ulong bytes = (ulong)(uint)span.Length * (ulong)(uint)Unsafe.SizeOf<TFrom>();
            return new Span<TTo>(ref Unsafe.As<TFrom, TTo>(ref span._reference), (int)(bytes / (uint)Unsafe.SizeOf<TTo>()));
        }

        public static ReadOnlySpan<TTo> Cast<TFrom, TTo>(ReadOnlySpan<TFrom> span) where TFrom : struct where TTo : struct
        {
            ulong bytes = (ulong)(uint)span.Length * (ulong)(uint)Unsafe.SizeOf<TFrom>();
            return new ReadOnlySpan<TTo>(ref Unsafe.As<TFrom, TTo>(ref span._reference), (int)(bytes / (uint)Unsafe.SizeOf<TTo>()));
        }

        public static T Read<T>(ReadOnlySpan<byte> source) where T : struct
        {
            if (Unsafe.SizeOf<T>() > source.Length)
            {
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            }

            return Unsafe.ReadUnaligned<T>(ref source._reference);
        }

        public static void Write<T>(Span<byte> destination, in T value) where T : struct
        {
            if (Unsafe.SizeOf<T>() > destination.Length)
            {
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            }

            Unsafe.WriteUnaligned(ref destination._reference, value);
        }

        public static ref T AsRef<T>(Span<byte> span) where T : struct
        {
            if (Unsafe.SizeOf<T>() > span.Length)
            {
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            }

            return ref Unsafe.As<byte, T>(ref span._reference);
        }
    }
}
