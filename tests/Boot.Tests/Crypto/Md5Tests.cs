// Md5 against RFC 1321's test suite and against .NET's MD5 as the oracle: every length around
// the block and padding boundaries, a mebibyte, and the same data appended in random pieces.
// Also the CHAP response shape (RFC 1994): MD5 over identifier, secret and challenge.
using System;
using System.Security.Cryptography;
using System.Text;
using Bootstage.Boot.Crypto;

namespace Bootstage.Boot.Tests.Crypto
{
    public class Md5Tests
    {
        private static byte[] Ours(ReadOnlySpan<byte> data)
        {
            byte[] digest = new byte[Md5.DigestLength];
            Md5.Hash(data, digest);
            return digest;
        }

        private static byte[] RandomBytes(Random random, int length)
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            return data;
        }

        [Theory]
        [InlineData("", "d41d8cd98f00b204e9800998ecf8427e")]
        [InlineData("a", "0cc175b9c0f1b6a831c399e269772661")]
        [InlineData("abc", "900150983cd24fb0d6963f7d28e17f72")]
        [InlineData("message digest", "f96b697d7cb7938d525a2f31aaf161d0")]
        [InlineData("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b")]
        [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f")]
        [InlineData("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a")]
        public void Md5_matches_RFC1321_test_suite(string message, string expectedHex)
        {
            Assert.Equal(Convert.FromHexString(expectedHex), Ours(Encoding.ASCII.GetBytes(message)));
        }

        [Fact]
        public void Md5_matches_dotnet_for_every_length_up_to_300()
        {
            Random random = new Random(1321);
            for (int length = 0; length <= 300; length++)
            {
                byte[] data = RandomBytes(random, length);
                Assert.Equal(MD5.HashData(data), Ours(data));
            }
        }

        [Fact]
        public void Md5_matches_dotnet_for_one_mebibyte()
        {
            byte[] data = RandomBytes(new Random(1994), 1 << 20);
            Assert.Equal(MD5.HashData(data), Ours(data));
        }

        [Fact]
        public void Md5_appends_in_random_pieces_give_the_one_shot_digest()
        {
            Random random = new Random(7143);
            byte[] digest = new byte[Md5.DigestLength];
            for (int round = 0; round < 200; round++)
            {
                byte[] data = RandomBytes(random, random.Next(0, 1000));
                Md5 md5 = default;
                md5.Reset();
                int position = 0;
                while (position < data.Length)
                {
                    // Mostly small pieces, so partial blocks are topped up across many appends,
                    // sometimes one spanning several blocks.
                    int piece = Math.Min(data.Length - position, random.Next(0, 4) == 0 ? random.Next(0, 200) : random.Next(0, 9));
                    md5.Append(data.AsSpan(position, piece));
                    position += piece;
                }

                md5.Finish(digest);
                Assert.Equal(MD5.HashData(data), digest);
            }
        }

        [Fact]
        public void Md5_default_instance_hashes_and_Finish_resets_for_the_next_message()
        {
            byte[] first = Encoding.ASCII.GetBytes("abc");
            byte[] second = Encoding.ASCII.GetBytes("message digest");
            byte[] digest = new byte[Md5.DigestLength];

            Md5 md5 = default;
            md5.Append(first);
            md5.Finish(digest);
            Assert.Equal(MD5.HashData(first), digest);

            md5.Append(second);
            md5.Finish(digest);
            Assert.Equal(MD5.HashData(second), digest);

            // Reset discards what was appended.
            md5.Append(first);
            md5.Reset();
            md5.Append(second);
            md5.Finish(digest);
            Assert.Equal(MD5.HashData(second), digest);

            // Finish with nothing appended is the empty message.
            md5.Finish(digest);
            Assert.Equal(MD5.HashData(Array.Empty<byte>()), digest);
        }

        [Fact]
        public void Chap_response_is_md5_of_identifier_secret_and_challenge()
        {
            Random random = new Random(1994);
            for (int round = 0; round < 50; round++)
            {
                byte identifier = (byte)random.Next(256);
                byte[] secret = Encoding.ASCII.GetBytes("target-secret-" + round.ToString());
                byte[] challenge = RandomBytes(random, random.Next(1, 1025));

                byte[] message = new byte[1 + secret.Length + challenge.Length];
                message[0] = identifier;
                secret.CopyTo(message, 1);
                challenge.CopyTo(message, 1 + secret.Length);

                // The initiator hashes the three parts in place, without gathering them.
                Md5 md5 = default;
                md5.Append(new[] { identifier });
                md5.Append(secret);
                md5.Append(challenge);
                byte[] response = new byte[Md5.DigestLength];
                md5.Finish(response);

                Assert.Equal(MD5.HashData(message), response);
            }
        }
    }
}
