// MD5 message digest (RFC 1321), incremental and allocation-free. The iSCSI initiator needs it
// for CHAP (RFC 1994, as profiled by RFC 7143 §12.1.3): the response to a target's challenge is
// MD5(identifier || secret || challenge). MD5 offers no collision resistance any more; it is here
// only because CHAP prescribes it, so nothing new should pick it.
//
// The hash state is a mutable struct: four chaining words, a byte count and the partial 64-byte
// block in a fixed buffer, so a caller keeps one in a local or a field and nothing reaches the
// heap. A default-initialised Md5 behaves as a freshly reset one, and Finish resets it again, so
// one instance can hash message after message. Being a mutable struct, it must not be copied
// mid-message (pass it by ref).
using System;
using System.Buffers.Binary;

namespace Bootstage.Boot.Crypto
{
    public unsafe struct Md5
    {
        /// <summary>Bytes in an MD5 digest.</summary>
        public const int DigestLength = 16;

        /// <summary>Bytes MD5 consumes per compression step.</summary>
        public const int BlockLength = 64;

        // The last 8 bytes of the final block carry the message length in bits.
        private const int LengthFieldOffset = BlockLength - 8;

        private uint _a;
        private uint _b;
        private uint _c;
        private uint _d;
        private ulong _byteCount;
        private int _pending;
        private bool _started;
        private fixed byte _block[BlockLength];

        // RFC 1321 §3.4 table T: T[i] = floor(2^32 * |sin(i + 1)|), one per step. Kept as constant
        // data rather than computed so the image needs no floating-point sine.
        private static ReadOnlySpan<uint> StepConstants => new uint[]
        {
            0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
            0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
            0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
            0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
            0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
            0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
            0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
            0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
        };

        // Left-rotation amounts: each of the four rounds cycles through its own four values.
        private static ReadOnlySpan<byte> RotationAmounts => new byte[]
        {
            7, 12, 17, 22,
            5, 9, 14, 20,
            4, 11, 16, 23,
            6, 10, 15, 21,
        };

        /// <summary>Hashes <paramref name="data"/> in one call; <paramref name="digest"/> must hold 16 bytes.</summary>
        public static void Hash(ReadOnlySpan<byte> data, Span<byte> digest)
        {
            Md5 md5 = default;
            md5.Append(data);
            md5.Finish(digest);
        }

        /// <summary>Starts a new message, discarding anything appended so far.</summary>
        public void Reset()
        {
            // RFC 1321 §3.3 initial chaining values (the byte sequence 01 23 45 .. 10 read little-endian).
            _a = 0x67452301;
            _b = 0xefcdab89;
            _c = 0x98badcfe;
            _d = 0x10325476;
            _byteCount = 0;
            _pending = 0;
            _started = true;
        }

        /// <summary>Adds bytes to the message; pieces of any size give the same digest as one call.</summary>
        public void Append(ReadOnlySpan<byte> data)
        {
            if (!_started)
            {
                Reset();
            }

            _byteCount += (ulong)data.Length;
            fixed (byte* blockBytes = _block)
            {
                Span<byte> block = new Span<byte>(blockBytes, BlockLength);

                // Top up a partial block first; only a full one can be compressed.
                if (_pending > 0)
                {
                    int take = Math.Min(BlockLength - _pending, data.Length);
                    data.Slice(0, take).CopyTo(block.Slice(_pending));
                    _pending += take;
                    data = data.Slice(take);
                    if (_pending < BlockLength)
                    {
                        return;
                    }

                    Compress(block);
                    _pending = 0;
                }

                // Whole blocks straight from the caller's memory, without a copy.
                while (data.Length >= BlockLength)
                {
                    Compress(data.Slice(0, BlockLength));
                    data = data.Slice(BlockLength);
                }

                data.CopyTo(block);
                _pending = data.Length;
            }
        }

        /// <summary>
        /// Pads the message, writes the 16-byte digest and resets for the next message.
        /// <paramref name="digest"/> must hold at least 16 bytes.
        /// </summary>
        public void Finish(Span<byte> digest)
        {
            if (!_started)
            {
                Reset();
            }

            // The length is taken before padding: RFC 1321 §3.2 appends the original bit count.
            ulong bitCount = _byteCount << 3;
            fixed (byte* blockBytes = _block)
            {
                Span<byte> block = new Span<byte>(blockBytes, BlockLength);

                // §3.1: a single 1 bit, then zeros up to 56 bytes mod 64. When the marker leaves no
                // room for the length field, the zeros run to the end of this block and a second
                // block carries the length.
                block[_pending] = 0x80;
                int used = _pending + 1;
                if (used > LengthFieldOffset)
                {
                    block.Slice(used).Clear();
                    Compress(block);
                    used = 0;
                }

                block.Slice(used, LengthFieldOffset - used).Clear();
                BinaryPrimitives.WriteUInt64LittleEndian(block.Slice(LengthFieldOffset), bitCount);
                Compress(block);
            }

            // §3.5: the digest is A, B, C, D, each low-order byte first.
            BinaryPrimitives.WriteUInt32LittleEndian(digest.Slice(0, 4), _a);
            BinaryPrimitives.WriteUInt32LittleEndian(digest.Slice(4, 4), _b);
            BinaryPrimitives.WriteUInt32LittleEndian(digest.Slice(8, 4), _c);
            BinaryPrimitives.WriteUInt32LittleEndian(digest.Slice(12, 4), _d);
            Reset();
        }

        // One 64-byte block through the four rounds of §3.4. The rounds differ only in their
        // boolean function and in the order they visit the 16 message words, so a single loop
        // with a per-round selection keeps this short; it is not on a per-packet path.
        private void Compress(ReadOnlySpan<byte> block)
        {
            Span<uint> words = stackalloc uint[16];
            for (int i = 0; i < 16; i++)
            {
                words[i] = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(i * 4, 4));
            }

            ReadOnlySpan<uint> constants = StepConstants;
            ReadOnlySpan<byte> rotations = RotationAmounts;
            uint a = _a;
            uint b = _b;
            uint c = _c;
            uint d = _d;
            for (int step = 0; step < 64; step++)
            {
                int round = step >> 4;
                uint mixed;
                int wordIndex;
                if (round == 0)
                {
                    // F: where b is set take c, else d.
                    mixed = (b & c) | (~b & d);
                    wordIndex = step;
                }
                else if (round == 1)
                {
                    // G: where d is set take b, else c.
                    mixed = (b & d) | (c & ~d);
                    wordIndex = (5 * step + 1) & 15;
                }
                else if (round == 2)
                {
                    // H: parity.
                    mixed = b ^ c ^ d;
                    wordIndex = (3 * step + 5) & 15;
                }
                else
                {
                    // I.
                    mixed = c ^ (b | ~d);
                    wordIndex = (7 * step) & 15;
                }

                uint sum = a + mixed + constants[step] + words[wordIndex];
                int rotation = rotations[(round << 2) | (step & 3)];

                // The four registers rotate roles each step: the new b is computed, the others shift.
                a = d;
                d = c;
                c = b;
                b = b + RotateLeft(sum, rotation);
            }

            _a += a;
            _b += b;
            _c += c;
            _d += d;
        }

        // Written out because System.Numerics.BitOperations is not in the image's core library.
        private static uint RotateLeft(uint value, int count) => (value << count) | (value >> (32 - count));
    }
}
