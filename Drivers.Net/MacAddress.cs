// An Ethernet MAC address (IEEE 802): six bytes, formatted as "00:15:5d:01:02:03".
using System;

namespace Bootstage.Drivers.Net
{
    public readonly struct MacAddress : IEquatable<MacAddress>
    {
        public const int Size = 6;
        public const int TextLength = 17;

        private readonly ulong _value;

        private MacAddress(ulong value)
        {
            _value = value;
        }

        public static MacAddress Read(ReadOnlySpan<byte> bytes)
        {
            ulong value = 0;
            for (int i = 0; i < Size; i++)
            {
                value = (value << 8) | bytes[i];
            }

            return new MacAddress(value);
        }

        public void Write(Span<byte> bytes)
        {
            for (int i = 0; i < Size; i++)
            {
                bytes[i] = (byte)(_value >> (8 * (Size - 1 - i)));
            }
        }

        public bool IsZero => _value == 0;

        public bool IsBroadcast => _value == 0xFFFFFFFFFFFF;

        /// <summary>Group bit of the first byte.</summary>
        public bool IsMulticast => ((_value >> 40) & 1) != 0;

        public int Format(Span<byte> text)
        {
            if (text.Length < TextLength)
            {
                return 0;
            }

            int position = 0;
            for (int i = 0; i < Size; i++)
            {
                if (i > 0)
                {
                    text[position++] = (byte)':';
                }

                int octet = (int)(_value >> (8 * (Size - 1 - i))) & 0xFF;
                text[position++] = Digit(octet >> 4);
                text[position++] = Digit(octet & 0xF);
            }

            return position;
        }

        private static byte Digit(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

        public bool Equals(MacAddress other) => _value == other._value;

        public override bool Equals(object? obj) => obj is MacAddress other && Equals(other);

        public override int GetHashCode() => (int)(_value ^ (_value >> 32));

        public static bool operator ==(MacAddress left, MacAddress right) => left.Equals(right);

        public static bool operator !=(MacAddress left, MacAddress right) => !left.Equals(right);
    }
}
