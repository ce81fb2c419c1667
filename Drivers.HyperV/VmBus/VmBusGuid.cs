// A GUID as VMBus carries it: 16 bytes in the Windows (mixed-endian) order, where the first three
// fields are little-endian and the last eight bytes are in order (docs/hyperv.md §6). The canonical
// text form therefore reverses bytes 0-3, 4-5 and 6-7 ([c]: instance UUIDs in device names).
using System;

namespace Bootstage.Drivers.HyperV.VmBus
{
    public readonly struct VmBusGuid : IEquatable<VmBusGuid>
    {
        public const int Size = 16;
        public const int TextLength = 36;

        private readonly ulong _low;
        private readonly ulong _high;

        /// <summary>From the canonical fields, as written in text: {a-b-c-d0d1-d2..d7}.</summary>
        public VmBusGuid(uint a, ushort b, ushort c, byte d0, byte d1, byte d2, byte d3, byte d4, byte d5, byte d6, byte d7)
        {
            _low = a | ((ulong)b << 32) | ((ulong)c << 48);
            _high = d0 | ((ulong)d1 << 8) | ((ulong)d2 << 16) | ((ulong)d3 << 24) | ((ulong)d4 << 32) | ((ulong)d5 << 40) | ((ulong)d6 << 48) | ((ulong)d7 << 56);
        }

        private VmBusGuid(ulong low, ulong high)
        {
            _low = low;
            _high = high;
        }

        /// <summary>Reads 16 bytes in the wire (little-endian fields) order.</summary>
        public static VmBusGuid Read(ReadOnlySpan<byte> wire)
        {
            ulong low = 0;
            ulong high = 0;
            for (int i = 7; i >= 0; i--)
            {
                low = (low << 8) | wire[i];
                high = (high << 8) | wire[8 + i];
            }

            return new VmBusGuid(low, high);
        }

        /// <summary>Writes the 16 wire bytes.</summary>
        public void Write(Span<byte> wire)
        {
            for (int i = 0; i < 8; i++)
            {
                wire[i] = (byte)(_low >> (8 * i));
                wire[8 + i] = (byte)(_high >> (8 * i));
            }
        }

        public bool IsEmpty => _low == 0 && _high == 0;

        /// <summary>Canonical lower-case text "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"; needs 36 bytes.</summary>
        public int Format(Span<byte> text)
        {
            if (text.Length < TextLength)
            {
                return 0;
            }

            int position = 0;
            position = Hex(text, position, (uint)_low, 8);
            text[position++] = (byte)'-';
            position = Hex(text, position, (ushort)(_low >> 32), 4);
            text[position++] = (byte)'-';
            position = Hex(text, position, (ushort)(_low >> 48), 4);
            text[position++] = (byte)'-';
            for (int i = 0; i < 8; i++)
            {
                if (i == 2)
                {
                    text[position++] = (byte)'-';
                }

                position = Hex(text, position, (byte)(_high >> (8 * i)), 2);
            }

            return position;
        }

        private static int Hex(Span<byte> text, int position, uint value, int digits)
        {
            for (int i = digits - 1; i >= 0; i--)
            {
                int nibble = (int)((value >> (4 * i)) & 0xF);
                text[position++] = (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
            }

            return position;
        }

        public bool Equals(VmBusGuid other) => _low == other._low && _high == other._high;

        public override bool Equals(object? obj) => obj is VmBusGuid other && Equals(other);

        public override int GetHashCode() => (int)(_low ^ (_low >> 32) ^ _high ^ (_high >> 32));

        public static bool operator ==(VmBusGuid left, VmBusGuid right) => left.Equals(right);

        public static bool operator !=(VmBusGuid left, VmBusGuid right) => !left.Equals(right);
    }
}
