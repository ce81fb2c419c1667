// The span extension methods shared driver code uses, with .NET's exact signatures.
namespace System
{
    public static class MemoryExtensions
    {
        public static Span<T> AsSpan<T>(this T[] array) => new Span<T>(array);

        public static Span<T> AsSpan<T>(this T[] array, int start) => new Span<T>(array, start, array.Length - start);

        public static Span<T> AsSpan<T>(this T[] array, int start, int length) => new Span<T>(array, start, length);

        public static ReadOnlySpan<char> AsSpan(this string text, int start) => text.AsSpan().Slice(start);

        public static ReadOnlySpan<char> AsSpan(this string text, int start, int length) => text.AsSpan().Slice(start, length);

        public static bool SequenceEqual<T>(this Span<T> span, ReadOnlySpan<T> other) where T : IEquatable<T>
        {
            return SequenceEqual((ReadOnlySpan<T>)span, other);
        }

        public static bool SequenceEqual<T>(this ReadOnlySpan<T> span, ReadOnlySpan<T> other) where T : IEquatable<T>
        {
            if (span.Length != other.Length)
            {
                return false;
            }

            for (int i = 0; i < span.Length; i++)
            {
                if (!span[i].Equals(other[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public static int IndexOf<T>(this Span<T> span, T value) where T : IEquatable<T>
        {
            return IndexOf((ReadOnlySpan<T>)span, value);
        }

        public static int IndexOf<T>(this ReadOnlySpan<T> span, T value) where T : IEquatable<T>
        {
            for (int i = 0; i < span.Length; i++)
            {
                if (span[i].Equals(value))
                {
                    return i;
                }
            }

            return -1;
        }

        public static int IndexOf<T>(this ReadOnlySpan<T> span, ReadOnlySpan<T> value) where T : IEquatable<T>
        {
            if (value.Length == 0)
            {
                return 0;
            }

            for (int i = 0; i + value.Length <= span.Length; i++)
            {
                if (SequenceEqual(span.Slice(i, value.Length), value))
                {
                    return i;
                }
            }

            return -1;
        }

        public static int LastIndexOf<T>(this ReadOnlySpan<T> span, T value) where T : IEquatable<T>
        {
            for (int i = span.Length - 1; i >= 0; i--)
            {
                if (span[i].Equals(value))
                {
                    return i;
                }
            }

            return -1;
        }

        public static bool Contains<T>(this ReadOnlySpan<T> span, T value) where T : IEquatable<T>
        {
            return IndexOf(span, value) >= 0;
        }

        public static bool StartsWith<T>(this ReadOnlySpan<T> span, ReadOnlySpan<T> value) where T : IEquatable<T>
        {
            return value.Length <= span.Length && SequenceEqual(span.Slice(0, value.Length), value);
        }

        public static bool EndsWith<T>(this ReadOnlySpan<T> span, ReadOnlySpan<T> value) where T : IEquatable<T>
        {
            return value.Length <= span.Length && SequenceEqual(span.Slice(span.Length - value.Length), value);
        }
    }
}
