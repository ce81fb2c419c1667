// iSCSI text key=value pairs (RFC 7143 §6): each pair is `key=value` followed by a NUL byte, in
// the data segment of Login and Text PDUs. The writer appends pairs into a caller's buffer and
// reports overflow instead of truncating; the reader walks pairs in place and flags a pair
// without '=' as malformed. Numbers are decimal (or 0x hex, which targets rarely send).
using System;
using Bootstage.Boot;

namespace Bootstage.Boot.Iscsi
{
    public ref struct IscsiTextWriter
    {
        private readonly Span<byte> _buffer;
        private int _length;
        private bool _overflow;

        public IscsiTextWriter(Span<byte> buffer)
        {
            _buffer = buffer;
            _length = 0;
            _overflow = false;
        }

        public int Length => _length;

        public bool Overflow => _overflow;

        public void Add(scoped ReadOnlySpan<byte> key, scoped ReadOnlySpan<byte> value)
        {
            int needed = key.Length + 1 + value.Length + 1;
            if (_overflow || _length + needed > _buffer.Length)
            {
                _overflow = true;
                return;
            }

            key.CopyTo(_buffer.Slice(_length));
            _length += key.Length;
            _buffer[_length++] = (byte)'=';
            value.CopyTo(_buffer.Slice(_length));
            _length += value.Length;
            _buffer[_length++] = 0;
        }

        public void AddNumber(scoped ReadOnlySpan<byte> key, uint value)
        {
            Span<byte> digits = stackalloc byte[10];
            Add(key, digits.Slice(0, FormatDecimal(value, digits)));
        }

        public static int FormatDecimal(uint value, Span<byte> destination)
        {
            Span<byte> reversed = stackalloc byte[10];
            int count = 0;
            do
            {
                reversed[count++] = (byte)('0' + value % 10);
                value /= 10;
            }
            while (value != 0);

            for (int i = 0; i < count; i++)
            {
                destination[i] = reversed[count - 1 - i];
            }

            return count;
        }
    }

    public ref struct IscsiTextReader
    {
        private readonly ReadOnlySpan<byte> _text;
        private int _position;

        public IscsiTextReader(ReadOnlySpan<byte> text)
        {
            _text = text;
            _position = 0;
            Key = default;
            Value = default;
            Malformed = false;
        }

        public ReadOnlySpan<byte> Key { get; private set; }

        public ReadOnlySpan<byte> Value { get; private set; }

        /// <summary>A pair without '=' or with an empty key was seen; reading stopped there.</summary>
        public bool Malformed { get; private set; }

        public bool MoveNext()
        {
            // Skip the NUL padding some targets leave between pairs.
            while (_position < _text.Length && _text[_position] == 0)
            {
                _position++;
            }

            if (_position >= _text.Length || Malformed)
            {
                return false;
            }

            ReadOnlySpan<byte> rest = _text.Slice(_position);
            int end = rest.IndexOf((byte)0);
            ReadOnlySpan<byte> pair = end < 0 ? rest : rest.Slice(0, end);
            _position += pair.Length + 1;
            int equals = pair.IndexOf((byte)'=');
            if (equals <= 0)
            {
                Malformed = true;
                return false;
            }

            Key = pair.Slice(0, equals);
            Value = pair.Slice(equals + 1);
            return true;
        }

        /// <summary>Decimal or 0x-hex unsigned number; false when empty, not a number, or above 2^32-1.</summary>
        public static bool TryParseNumber(ReadOnlySpan<byte> text, out uint value)
        {
            value = 0;
            ulong result = 0;
            if (text.Length == 0)
            {
                return false;
            }

            bool hex = text.Length > 2 && text[0] == (byte)'0' && (text[1] == (byte)'x' || text[1] == (byte)'X');
            int start = hex ? 2 : 0;
            if (text.Length - start > 16)
            {
                return false;
            }

            for (int i = start; i < text.Length; i++)
            {
                int digit = AsciiHex.Value(text[i]);
                if (digit < 0 || (!hex && digit > 9))
                {
                    return false;
                }

                result = result * (hex ? 16UL : 10UL) + (ulong)digit;
                if (result > 0xFFFFFFFF)
                {
                    return false;
                }
            }

            value = (uint)result;
            return true;
        }

        /// <summary>True when a comma-separated list contains the item.</summary>
        public static bool ListContains(ReadOnlySpan<byte> list, ReadOnlySpan<byte> item)
        {
            while (true)
            {
                int comma = list.IndexOf((byte)',');
                ReadOnlySpan<byte> entry = comma < 0 ? list : list.Slice(0, comma);
                if (entry.SequenceEqual(item))
                {
                    return true;
                }

                if (comma < 0)
                {
                    return false;
                }

                list = list.Slice(comma + 1);
            }
        }
    }
}
