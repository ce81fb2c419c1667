// The primitive value types. Their single field of their own type is how corlib declares them;
// ILC and the JIT know their layout. Only constants live here: formatting is the console's job.
namespace System
{
    public readonly struct Boolean : IEquatable<bool>
    {
#pragma warning disable 169
        private readonly bool m_value;
#pragma warning restore 169

        public bool Equals(bool other) => m_value == other;

        public override bool Equals(object obj) => obj is bool other && m_value == other;

        public override int GetHashCode() => m_value ? 1 : 0;

    }

    public readonly struct Char : IEquatable<char>
    {
#pragma warning disable 169
        private readonly char m_value;
#pragma warning restore 169

        public bool Equals(char other) => m_value == other;

        public override bool Equals(object obj) => obj is char other && m_value == other;

        public override int GetHashCode() => m_value;

        public const char MinValue = (char)0;
        public const char MaxValue = (char)0xFFFF;
    }

    public readonly struct SByte : IEquatable<sbyte>
    {
#pragma warning disable 169
        private readonly sbyte m_value;
#pragma warning restore 169

        public bool Equals(sbyte other) => m_value == other;

        public override bool Equals(object obj) => obj is sbyte other && m_value == other;

        public override int GetHashCode() => m_value;

        public const sbyte MinValue = -128;
        public const sbyte MaxValue = 127;
    }

    public readonly struct Byte : IEquatable<byte>
    {
#pragma warning disable 169
        private readonly byte m_value;
#pragma warning restore 169

        public bool Equals(byte other) => m_value == other;

        public override bool Equals(object obj) => obj is byte other && m_value == other;

        public override int GetHashCode() => m_value;

        public const byte MinValue = 0;
        public const byte MaxValue = 0xFF;
    }

    public readonly struct Int16 : IEquatable<short>
    {
#pragma warning disable 169
        private readonly short m_value;
#pragma warning restore 169

        public bool Equals(short other) => m_value == other;

        public override bool Equals(object obj) => obj is short other && m_value == other;

        public override int GetHashCode() => m_value;

        public const short MinValue = -32768;
        public const short MaxValue = 32767;
    }

    public readonly struct UInt16 : IEquatable<ushort>
    {
#pragma warning disable 169
        private readonly ushort m_value;
#pragma warning restore 169

        public bool Equals(ushort other) => m_value == other;

        public override bool Equals(object obj) => obj is ushort other && m_value == other;

        public override int GetHashCode() => m_value;

        public const ushort MinValue = 0;
        public const ushort MaxValue = 0xFFFF;
    }

    public readonly struct Int32 : IEquatable<int>
    {
#pragma warning disable 169
        private readonly int m_value;
#pragma warning restore 169

        public bool Equals(int other) => m_value == other;

        public override bool Equals(object obj) => obj is int other && m_value == other;

        public override int GetHashCode() => m_value;

        public const int MinValue = unchecked((int)0x80000000);
        public const int MaxValue = 0x7FFFFFFF;
    }

    public readonly struct UInt32 : IEquatable<uint>
    {
#pragma warning disable 169
        private readonly uint m_value;
#pragma warning restore 169

        public bool Equals(uint other) => m_value == other;

        public override bool Equals(object obj) => obj is uint other && m_value == other;

        public override int GetHashCode() => (int)m_value;

        public const uint MinValue = 0;
        public const uint MaxValue = 0xFFFFFFFF;
    }

    public readonly struct Int64 : IEquatable<long>
    {
#pragma warning disable 169
        private readonly long m_value;
#pragma warning restore 169

        public bool Equals(long other) => m_value == other;

        public override bool Equals(object obj) => obj is long other && m_value == other;

        public override int GetHashCode() => (int)m_value ^ (int)(m_value >> 32);

        public const long MinValue = unchecked((long)0x8000000000000000);
        public const long MaxValue = 0x7FFFFFFFFFFFFFFF;
    }

    public readonly struct UInt64 : IEquatable<ulong>
    {
#pragma warning disable 169
        private readonly ulong m_value;
#pragma warning restore 169

        public bool Equals(ulong other) => m_value == other;

        public override bool Equals(object obj) => obj is ulong other && m_value == other;

        public override int GetHashCode() => (int)m_value ^ (int)(m_value >> 32);

        public const ulong MinValue = 0;
        public const ulong MaxValue = 0xFFFFFFFFFFFFFFFF;
    }

    public readonly struct Single : IEquatable<float>
    {
#pragma warning disable 169
        private readonly float m_value;
#pragma warning restore 169

        public bool Equals(float other) => m_value == other;

        public override bool Equals(object obj) => obj is float other && m_value == other;

        public override int GetHashCode() => (int)m_value;

    }

    public readonly struct Double : IEquatable<double>
    {
#pragma warning disable 169
        private readonly double m_value;
#pragma warning restore 169

        public bool Equals(double other) => m_value == other;

        public override bool Equals(object obj) => obj is double other && m_value == other;

        public override int GetHashCode() => (int)m_value;

    }
}
