// UTF-16 strings. ILC lays out literals itself and requires exactly these two fields.
// Strings are immutable here as in .NET; the kernel builds text through its console writers,
// so there is no concatenation or formatting (each would allocate on logging paths).
using System.Runtime.CompilerServices;

namespace System
{
    public sealed class String : IEquatable<string>
    {
        [Intrinsic]
        public static readonly string Empty = "";

        private readonly int _stringLength;
        private char _firstChar;

        public int Length => _stringLength;

        [IndexerName("Chars")]
        public char this[int index]
        {
            [Intrinsic]
            get
            {
                if ((uint)index >= (uint)_stringLength)
                {
                    Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowIndexOutOfRangeException();
                }

                return Unsafe.Add(ref _firstChar, (nint)(uint)index);
            }
        }

        public ref readonly char GetPinnableReference()
        {
            return ref _firstChar;
        }

        public static implicit operator ReadOnlySpan<char>(string value)
        {
            if (value == null)
            {
                return default;
            }

            return new ReadOnlySpan<char>(ref value._firstChar, value._stringLength);
        }

        public ReadOnlySpan<char> AsSpan()
        {
            return new ReadOnlySpan<char>(ref _firstChar, _stringLength);
        }

        public static bool operator ==(string a, string b)
        {
            return Equals(a, b);
        }

        public static bool operator !=(string a, string b)
        {
            return !Equals(a, b);
        }

        public static bool Equals(string a, string b)
        {
            if ((object)a == (object)b)
            {
                return true;
            }

            if ((object)a == null || (object)b == null || a._stringLength != b._stringLength)
            {
                return false;
            }

            return a.AsSpan().SequenceEqual(b.AsSpan());
        }

        public override bool Equals(object obj)
        {
            return obj is string other && Equals(this, other);
        }

        public bool Equals(string value)
        {
            return Equals(this, value);
        }

        public override int GetHashCode()
        {
            // FNV-1a over the UTF-16 code units: stable across runs, which the kernel prefers.
            uint hash = 2166136261;
            for (int i = 0; i < _stringLength; i++)
            {
                hash = (hash ^ this[i]) * 16777619;
            }

            return (int)hash;
        }

        public override string ToString()
        {
            return this;
        }

        public static bool IsNullOrEmpty(string value)
        {
            return (object)value == null || value._stringLength == 0;
        }

        public bool StartsWith(string value)
        {
            return AsSpan().StartsWith(value.AsSpan());
        }

        // Allocation of a string of a given length; the kernel's text builders fill it in.
        internal static unsafe string FastAllocateString(int length)
        {
            // Every literal carries the String MethodTable; borrowing it avoids a type-handle intrinsic.
            return Unsafe.As<string>(System.Runtime.RuntimeExports.RhNewArray(((object)"").m_pMethodTable, length));
        }

        public unsafe String(ReadOnlySpan<char> value)
        {
            // Never runs: ILC redirects string constructors to the static Ctor below.
            _stringLength = 0;
            _firstChar = '\0';
        }

        private static string Ctor(ReadOnlySpan<char> value)
        {
            if (value.Length == 0)
            {
                return Empty;
            }

            string result = FastAllocateString(value.Length);
            value.CopyTo(new Span<char>(ref result._firstChar, value.Length));
            return result;
        }

        public unsafe String(char[] value)
        {
            _stringLength = 0;
            _firstChar = '\0';
        }

        private static string Ctor(char[] value)
        {
            return Ctor(new ReadOnlySpan<char>(value));
        }
    }
}
