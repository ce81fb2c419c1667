// ReadOnlySpan<T>: the read-only twin of Span<T>, same shape as .NET's.
using System.Runtime.CompilerServices;
using Internal.Runtime.CompilerHelpers;

namespace System
{
    public readonly ref struct ReadOnlySpan<T>
    {
        internal readonly ref T _reference;
        private readonly int _length;

        public ReadOnlySpan(T[] array)
        {
            if (array == null)
            {
                this = default;
                return;
            }

            _reference = ref Unsafe.As<byte, T>(ref Span<T>.ArrayData(array));
            _length = array.Length;
        }

        // Inlined: constructed per packet field (bench sanprofile showed the call as its own line).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ReadOnlySpan(T[] array, int start, int length)
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

            _reference = ref Unsafe.Add(ref Unsafe.As<byte, T>(ref Span<T>.ArrayData(array)), (nint)(uint)start);
            _length = length;
        }

        public unsafe ReadOnlySpan(void* pointer, int length)
        {
            if (length < 0)
            {
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            }

            _reference = ref Unsafe.AsRef<T>(pointer);
            _length = length;
        }

        public ReadOnlySpan(ref readonly T reference)
        {
            _reference = ref Unsafe.AsRef(in reference);
            _length = 1;
        }

        internal ReadOnlySpan(ref T reference, int length)
        {
            _reference = ref reference;
            _length = length;
        }

        public int Length => _length;

        public bool IsEmpty => _length == 0;

        public static ReadOnlySpan<T> Empty => default;

        public ref readonly T this[int index]
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

        public ref readonly T GetPinnableReference()
        {
            if (_length == 0)
            {
                return ref Unsafe.NullRef<T>();
            }

            return ref _reference;
        }

        public ReadOnlySpan<T> Slice(int start)
        {
            if ((uint)start > (uint)_length)
            {
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            }

            return new ReadOnlySpan<T>(ref Unsafe.Add(ref _reference, (nint)(uint)start), _length - start);
        }

        public ReadOnlySpan<T> Slice(int start, int length)
        {
            if ((ulong)(uint)start + (ulong)(uint)length > (ulong)(uint)_length)
            {
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            }

            return new ReadOnlySpan<T>(ref Unsafe.Add(ref _reference, (nint)(uint)start), length);
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

        public static implicit operator ReadOnlySpan<T>(T[] array) => new ReadOnlySpan<T>(array);

        public ref struct Enumerator
        {
            private readonly ReadOnlySpan<T> _span;
            private int _index;

            internal Enumerator(ReadOnlySpan<T> span)
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

            public ref readonly T Current => ref _span[_index];
        }
    }
}
