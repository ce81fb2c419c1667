// List<T>: the growable array shared code uses, with the subset of .NET's API that needs no
// equality comparers or reflection. Growth doubles the capacity, as .NET's does.
using Internal.Runtime.CompilerHelpers;

namespace System.Collections.Generic
{
    public class List<T>
    {
        private T[] _items;
        private int _size;

        public List()
        {
            _items = Array.Empty<T>();
        }

        public List(int capacity)
        {
            if (capacity < 0)
            {
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            }

            _items = capacity == 0 ? Array.Empty<T>() : new T[capacity];
        }

        public int Count => _size;

        public int Capacity => _items.Length;

        public T this[int index]
        {
            get
            {
                if ((uint)index >= (uint)_size)
                {
                    ThrowHelpers.ThrowArgumentOutOfRangeException();
                }

                return _items[index];
            }

            set
            {
                if ((uint)index >= (uint)_size)
                {
                    ThrowHelpers.ThrowArgumentOutOfRangeException();
                }

                _items[index] = value;
            }
        }

        public void Add(T item)
        {
            if (_size == _items.Length)
            {
                Grow(_size + 1);
            }

            _items[_size++] = item;
        }

        public void Insert(int index, T item)
        {
            if ((uint)index > (uint)_size)
            {
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            }

            if (_size == _items.Length)
            {
                Grow(_size + 1);
            }

            if (index < _size)
            {
                new ReadOnlySpan<T>(_items, index, _size - index).CopyTo(new Span<T>(_items, index + 1, _size - index));
            }

            _items[index] = item;
            _size++;
        }

        public void RemoveAt(int index)
        {
            if ((uint)index >= (uint)_size)
            {
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            }

            _size--;
            if (index < _size)
            {
                new ReadOnlySpan<T>(_items, index + 1, _size - index).CopyTo(new Span<T>(_items, index, _size - index));
            }

            _items[_size] = default;
        }

        public void Clear()
        {
            new Span<T>(_items, 0, _size).Clear();
            _size = 0;
        }

        public T[] ToArray()
        {
            return new ReadOnlySpan<T>(_items, 0, _size).ToArray();
        }

        public Enumerator GetEnumerator() => new Enumerator(this);

        internal Span<T> AsSpan() => new Span<T>(_items, 0, _size);

        private void Grow(int needed)
        {
            int capacity = _items.Length == 0 ? 4 : _items.Length * 2;
            if (capacity < needed)
            {
                capacity = needed;
            }

            T[] larger = new T[capacity];
            new ReadOnlySpan<T>(_items, 0, _size).CopyTo(larger);
            _items = larger;
        }

        public struct Enumerator
        {
            private readonly List<T> _list;
            private int _index;

            internal Enumerator(List<T> list)
            {
                _list = list;
                _index = -1;
            }

            public bool MoveNext()
            {
                _index++;
                return _index < _list._size;
            }

            public T Current => _list._items[_index];
        }
    }
}

namespace System.Runtime.InteropServices
{
    public static class CollectionsMarshal
    {
        public static Span<T> AsSpan<T>(System.Collections.Generic.List<T> list) => list == null ? default : list.AsSpan();
    }
}
