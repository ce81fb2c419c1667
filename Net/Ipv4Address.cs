// An IPv4 address (RFC 791) held in host order, written and read in network order.
using System;
using System.Buffers.Binary;

namespace Bootstage.Net
{
    public readonly struct Ipv4Address : IEquatable<Ipv4Address>
    {
        public const int Size = 4;

        public Ipv4Address(uint value)
        {
            Value = value;
        }

        public Ipv4Address(byte a, byte b, byte c, byte d)
        {
            Value = ((uint)a << 24) | ((uint)b << 16) | ((uint)c << 8) | d;
        }

        public uint Value { get; }

        public static Ipv4Address Any => default;

        public static Ipv4Address Broadcast => new Ipv4Address(0xFFFFFFFF);

        public bool IsZero => Value == 0;

        public static Ipv4Address Read(ReadOnlySpan<byte> bytes) => new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(bytes));

        public void Write(Span<byte> bytes) => BinaryPrimitives.WriteUInt32BigEndian(bytes, Value);

        /// <summary>True when both addresses share the network under <paramref name="mask"/>.</summary>
        public bool SameSubnet(Ipv4Address other, Ipv4Address mask) => (Value & mask.Value) == (other.Value & mask.Value);

        /// <summary>Dotted-quad text; needs 15 bytes.</summary>
        public int Format(Span<byte> text)
        {
            int position = 0;
            for (int shift = 24; shift >= 0; shift -= 8)
            {
                uint octet = (Value >> shift) & 0xFF;
                if (octet >= 100)
                {
                    text[position++] = (byte)('0' + octet / 100);
                }

                if (octet >= 10)
                {
                    text[position++] = (byte)('0' + octet / 10 % 10);
                }

                text[position++] = (byte)('0' + octet % 10);
                if (shift != 0)
                {
                    text[position++] = (byte)'.';
                }
            }

            return position;
        }

        /// <summary>Parses dotted-quad text ("10.0.2.15").</summary>
        public static bool TryParse(ReadOnlySpan<byte> text, out Ipv4Address address)
        {
            address = default;
            uint value = 0;
            int octets = 0;
            int position = 0;
            while (octets < 4)
            {
                int digits = 0;
                uint octet = 0;
                while (position < text.Length && text[position] >= (byte)'0' && text[position] <= (byte)'9' && digits < 3)
                {
                    octet = octet * 10 + (uint)(text[position] - '0');
                    position++;
                    digits++;
                }

                if (digits == 0 || octet > 255)
                {
                    return false;
                }

                value = (value << 8) | octet;
                octets++;
                if (octets < 4)
                {
                    if (position >= text.Length || text[position] != (byte)'.')
                    {
                        return false;
                    }

                    position++;
                }
            }

            if (position != text.Length)
            {
                return false;
            }

            address = new Ipv4Address(value);
            return true;
        }

        public bool Equals(Ipv4Address other) => Value == other.Value;

        public override bool Equals(object? obj) => obj is Ipv4Address other && Equals(other);

        public override int GetHashCode() => (int)Value;

        public static bool operator ==(Ipv4Address left, Ipv4Address right) => left.Value == right.Value;

        public static bool operator !=(Ipv4Address left, Ipv4Address right) => left.Value != right.Value;
    }
}
