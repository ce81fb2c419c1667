// Span<T>: a bounds-checked view over arrays, stack memory or raw physical memory.
// Same shape as .NET's, so shared driver code compiles unchanged for both targets.
using System.Runtime.CompilerServices;
using Internal.Runtime.CompilerHelpers;

namespace System
{
    public readonly ref struct Span<T>
    {
        internal readonly ref T _reference;
        private readonly int _length;

        public Span(T[] array)
        {
            if (array == null)
            {
                this = default;
                return;
            }

            _reference = ref Unsafe.As<byte, T>(ref Unsafe.AddByteOffset(ref ArrayData(array), 0));
            _length = array.Length;
        }

        // Inlined: constructed per packet field (bench sanprofile showed the call as its own line).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Span(T[] array, int start, int length)
        {
            if (array == null)
            {
                if (start != 0 || length != 0)
                {
                    ThrowHelpers.ThrowArgumentOutOfRangeException();
                }

                this = default;
                return;
            }

            if ((ulong)(uint)start + (ulong)(uint)length > (ulong)(uint)array.Length)
            {
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            }

            _reference = ref Unsafe.Add(ref Unsafe.As<byte, T>(ref ArrayData(array)), (nint)(uint)start);
            _length = length;
        }

        public unsafe Span(void* pointer, int length)
        {
            if (length < 0)
            {
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            }

            _reference = ref Unsafe.AsRef<T>(pointer);
            _length = length;
        }

        public Span(ref T reference)
        {
            _reference = ref reference;
            _length = 1;
        }

        internal Span(ref T reference, int length)
        {
            _reference = ref reference;
            _length = length;
        }

        public int Length => _length;

        public bool IsEmpty => _length == 0;

        public static Span<T> Empty => default;

        public ref T this[int index]
        {
            [Intrinsic]
            get
            {
                if ((uint)index >= (uint)_length)
                {
                    ThrowHelpers.ThrowIndexOutOfRangeException();
                }

                return ref Unsafe.Add(ref _reference, (nint)(uint)index);
            }
        }

        public ref T GetPinnableReference()
        {
            if (_length == 0)
            {
                return ref Unsafe.NullRef<T>();
            }

            return ref _reference;
        }

        public Span<T> Slice(int start)
        {
            if ((uint)start > (uint)_length)
            {
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            }

            return new Span<T>(ref Unsafe.Add(ref _reference, (nint)(uint)start), _length - start);
        }

        public Span<T> Slice(int start, int length)
        {
            if ((ulong)(uint)start + (ulong)(uint)length > (ulong)(uint)_length)
            {
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            }

            return new Span<T>(ref Unsafe.Add(ref _reference, (nint)(uint)start), length);
        }

        public void Clear()
        {
            for (int i = 0; i < _length; i++)
            {
                Unsafe.Add(ref _reference, (nint)(uint)i) = default;
            }
        }

        public void Fill(T value)
        {
            for (int i = 0; i < _length; i++)
            {
                Unsafe.Add(ref _reference, (nint)(uint)i) = value;
            }
        }

        public void CopyTo(Span<T> destination)
        {
            if (!TryCopyTo(destination))
            {
                ThrowHelpers.ThrowArgumentException();
            }
        }

        public bool TryCopyTo(Span<T> destination)
        {
            if ((uint)_length > (uint)destination.Length)
            {
                return false;
            }

            SpanCopy.Move(ref destination._reference, ref _reference, (nuint)(uint)_length);
            return true;
        }

        public T[] ToArray()
        {
            T[] result = new T[_length];
            CopyTo(result);
            return result;
        }

        public Enumerator GetEnumerator() => new Enumerator(this);

        public static implicit operator Span<T>(T[] array) => new Span<T>(array);

        public static implicit operator ReadOnlySpan<T>(Span<T> span) => new ReadOnlySpan<T>(ref span._reference, span._length);

        internal static ref byte ArrayData(T[] array)
        {
            // Elements start after the MethodTable pointer and the padded length.
            return ref Unsafe.AddByteOffset(ref Unsafe.As<RawArrayData>(array).Data, 0);
        }

        public ref struct Enumerator
        {
            private readonly Span<T> _span;
            private int _index;

            internal Enumerator(Span<T> span)
            {
                _span = span;
                _index = -1;
            }

            public bool MoveNext()
            {
                int next = _index + 1;
                if (next < _span.Length)
                {
                    _index = next;
                    return true;
                }

                return false;
            }

            public ref T Current => ref _span[_index];
        }
    }

    // Overlay used to find the first element of any array.
    internal sealed class RawArrayData
    {
#pragma warning disable 649, 169
        public uint Length;
        public uint Padding;
        public byte Data;
#pragma warning restore 649, 169
    }
}
