// ChapValue: iSCSI binary values (RFC 7143 §6.1) in hex ("0x", odd digit counts allowed) and
// base64 ("0b", RFC 4648 §10 vectors), encoding as lowercase hex, round trips, and the
// malformed or oversized inputs a target could send, which must give -1 rather than throw.
using System;
using System.Text;
using Bootstage.Boot.Crypto;

namespace Bootstage.Boot.Tests.Crypto
{
    public class ChapValueTests
    {
        private static byte[]? Decode(string text, int capacity = 64)
        {
            byte[] destination = new byte[capacity];
            int length = ChapValue.Decode(Encoding.ASCII.GetBytes(text), destination);
            return length < 0 ? null : destination.AsSpan(0, length).ToArray();
        }

        [Theory]
        [InlineData("0x00", "00")]
        [InlineData("0x0123456789abcdef", "0123456789abcdef")]
        [InlineData("0XABCDEF", "abcdef")]
        [InlineData("0xAbCd", "abcd")]
        [InlineData("0x5", "05")]
        [InlineData("0x123", "0123")]
        [InlineData("0xfffff", "0fffff")]
        public void Hex_values_decode_with_an_odd_first_digit_as_its_own_byte(string text, string expectedHex)
        {
            Assert.Equal(Convert.FromHexString(expectedHex), Decode(text));
        }

        [Theory]
        [InlineData("0bZg==", "f")]
        [InlineData("0bZm8=", "fo")]
        [InlineData("0bZm9v", "foo")]
        [InlineData("0bZm9vYg==", "foob")]
        [InlineData("0bZm9vYmE=", "fooba")]
        [InlineData("0BZm9vYmFy", "foobar")]
        public void Base64_values_decode_the_RFC4648_vectors(string text, string expected)
        {
            Assert.Equal(Encoding.ASCII.GetBytes(expected), Decode(text));
        }

        [Fact]
        public void Base64_values_use_the_standard_alphabet()
        {
            byte[] all = new byte[256];
            for (int i = 0; i < all.Length; i++)
            {
                all[i] = (byte)i;
            }

            // Every sextet value appears, '+' and '/' included, in each padding shape.
            for (int length = 1; length <= all.Length; length++)
            {
                byte[] value = all.AsSpan(256 - length).ToArray();
                Assert.Equal(value, Decode("0b" + Convert.ToBase64String(value), 256));
            }
        }

        [Fact]
        public void Base64_without_padding_is_accepted()
        {
            Assert.Equal(Encoding.ASCII.GetBytes("f"), Decode("0bZg"));
            Assert.Equal(Encoding.ASCII.GetBytes("fo"), Decode("0bZm8"));
        }

        [Theory]
        [InlineData("")]
        [InlineData("0")]
        [InlineData("0x")]
        [InlineData("0X")]
        [InlineData("0b")]
        [InlineData("0B")]
        [InlineData("1234")]
        [InlineData("x1234")]
        [InlineData("0y1234")]
        [InlineData("0x12g4")]
        [InlineData("0x12 34")]
        [InlineData("0x-1")]
        [InlineData("0xg")]
        [InlineData(" 0x12")]
        [InlineData("0x12\0")]
        [InlineData("0b====")]
        [InlineData("0bZ===")]
        [InlineData("0bZ")]
        [InlineData("0bZm9vY")]
        [InlineData("0bZg=")]
        [InlineData("0bZm8==")]
        [InlineData("0bZm9v=")]
        [InlineData("0bZg==Zg==")]
        [InlineData("0bZ=g=")]
        [InlineData("0bZm9v-_")]
        [InlineData("0bZm 9v")]
        [InlineData("0bZm9v\n")]
        public void Malformed_values_are_rejected(string text)
        {
            Assert.Null(Decode(text));
        }

        [Fact]
        public void Values_too_long_for_the_destination_are_rejected()
        {
            Assert.Equal(3, ChapValue.Decode("0x010203"u8, new byte[3]));
            Assert.Equal(-1, ChapValue.Decode("0x010203"u8, new byte[2]));
            Assert.Equal(-1, ChapValue.Decode("0x10203"u8, new byte[2]));
            Assert.Equal(6, ChapValue.Decode("0bZm9vYmFy"u8, new byte[6]));
            Assert.Equal(-1, ChapValue.Decode("0bZm9vYmFy"u8, new byte[5]));
            Assert.Equal(-1, ChapValue.Decode("0bZm9vYg=="u8, new byte[3]));
            Assert.Equal(-1, ChapValue.Decode("0x00"u8, Span<byte>.Empty));
        }

        [Fact]
        public void Encode_writes_0x_and_lowercase_hex()
        {
            byte[] destination = new byte[ChapValue.EncodedLength(4)];
            int length = ChapValue.Encode(new byte[] { 0x00, 0x9A, 0xBF, 0xFF }, destination);
            Assert.Equal(10, length);
            Assert.Equal("0x009abfff", Encoding.ASCII.GetString(destination, 0, length));

            Assert.Equal(2, ChapValue.Encode(ReadOnlySpan<byte>.Empty, new byte[2]));
        }

        [Fact]
        public void Encode_into_a_short_destination_writes_nothing()
        {
            byte[] destination = new byte[9];
            Assert.Equal(-1, ChapValue.Encode(new byte[] { 1, 2, 3, 4 }, destination));
            Assert.All(destination, b => Assert.Equal(0, b));
        }

        [Fact]
        public void Encoded_values_decode_back_to_the_same_bytes()
        {
            Random random = new Random(1994);
            byte[] encoded = new byte[ChapValue.EncodedLength(1024)];
            byte[] decoded = new byte[1024];
            for (int length = 1; length <= 1024; length += random.Next(1, 40))
            {
                byte[] value = new byte[length];
                random.NextBytes(value);

                int encodedLength = ChapValue.Encode(value, encoded);
                Assert.Equal(ChapValue.EncodedLength(length), encodedLength);
                Assert.Equal("0x" + Convert.ToHexStringLower(value), Encoding.ASCII.GetString(encoded, 0, encodedLength));

                int decodedLength = ChapValue.Decode(encoded.AsSpan(0, encodedLength), decoded);
                Assert.Equal(length, decodedLength);
                Assert.True(value.AsSpan().SequenceEqual(decoded.AsSpan(0, decodedLength)));

                // The base64 form of the same value decodes to it as well.
                Assert.Equal(value, Decode("0b" + Convert.ToBase64String(value), 1024));
            }
        }
    }
}
