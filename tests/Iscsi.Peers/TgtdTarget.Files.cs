// Backing files for tgtd LUNs. Filled files hold deterministic pseudo-random bytes that can be
// recomputed for any byte range without reading the file (each 8-byte word is a SplitMix64 hash of
// the seed and the word's index), so a test can check what an initiator read at any LBA. Sparse
// files are mostly holes: a 3 TiB LUN costs only the few regions written into it, and tgtd's rdwr
// backing store reads holes as zeros.
using System;
using System.Buffers.Binary;
using System.IO;

namespace Bootstage.Iscsi.Peers
{
    public sealed partial class TgtdTarget
    {
        /// <summary>The granularity tgtd's disks use by default (Block size: 512).</summary>
        public const int BlockSize = 512;

        private const int ChunkSize = 1 << 20;

        /// <summary>
        /// Writes <paramref name="size"/> bytes (a multiple of 512) of the content
        /// <see cref="FillContent"/> describes for <paramref name="seed"/>, replacing any existing
        /// file. Returns the full path.
        /// </summary>
        public static string CreateBackingFile(string path, long size, int seed)
        {
            CheckSize(size);
            string fullPath = Path.GetFullPath(path);
            byte[] chunk = new byte[ChunkSize];
            using FileStream stream = new FileStream(fullPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
            stream.SetLength(size);
            for (long offset = 0; offset < size; offset += ChunkSize)
            {
                int length = (int)Math.Min(ChunkSize, size - offset);
                FillContent(seed, offset, chunk.AsSpan(0, length));
                stream.Write(chunk, 0, length);
            }

            return fullPath;
        }

        /// <summary>
        /// The bytes a file made by <see cref="CreateBackingFile"/> with <paramref name="seed"/> holds at
        /// <paramref name="offset"/>, written to <paramref name="destination"/>. Any offset and length.
        /// </summary>
        public static void FillContent(int seed, long offset, Span<byte> destination)
        {
            if (offset < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(offset), offset, "offsets are not negative");
            }

            ulong key = SplitMix64((ulong)(uint)seed);
            int done = 0;
            // A leading partial word, then whole words, then a trailing partial word.
            while (done < destination.Length && ((offset + done) & 7) != 0)
            {
                destination[done] = ByteAt(key, offset + done);
                done++;
            }

            ulong word = (ulong)(offset + done) >> 3;
            while (destination.Length - done >= 8)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(destination.Slice(done, 8), WordAt(key, word));
                word++;
                done += 8;
            }

            while (done < destination.Length)
            {
                destination[done] = ByteAt(key, offset + done);
                done++;
            }
        }

        /// <summary>
        /// Creates (or truncates) a file of <paramref name="size"/> bytes, a multiple of 512, that is all
        /// hole: it reads as zeros and occupies no disk blocks until written. Returns the full path.
        /// </summary>
        public static string CreateSparseFile(string path, long size)
        {
            CheckSize(size);
            string fullPath = Path.GetFullPath(path);
            using FileStream stream = new FileStream(fullPath, FileMode.Create, FileAccess.Write, FileShare.Read);
            stream.SetLength(size);
            return fullPath;
        }

        /// <summary>
        /// Writes <paramref name="data"/> into an existing file at <paramref name="offset"/>; the rest
        /// of the file, holes included, is left alone. Extends the file if the write runs past its end.
        /// </summary>
        public static void WriteAt(string path, long offset, ReadOnlySpan<byte> data)
        {
            using FileStream stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            stream.Seek(offset, SeekOrigin.Begin);
            stream.Write(data);
        }

        /// <summary>
        /// A recognisable region for placing into a sparse file at <paramref name="offset"/> (a multiple
        /// of 8): each little-endian 8-byte word holds its own absolute byte offset with 0xA5 in the top
        /// byte, so a read from the wrong LBA, a hole (zeros) or a truncated address all show.
        /// </summary>
        public static byte[] RegionPattern(long offset, int length = 4096)
        {
            if ((offset & 7) != 0 || (length & 7) != 0 || offset < 0 || length < 0)
            {
                throw new ArgumentException("offset and length must be non-negative multiples of 8");
            }

            byte[] region = new byte[length];
            for (int i = 0; i < length; i += 8)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(region.AsSpan(i, 8), 0xA500_0000_0000_0000UL | (ulong)(offset + i));
            }

            return region;
        }

        private static void CheckSize(long size)
        {
            if (size <= 0 || size % BlockSize != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(size), size, "a LUN's size is a positive multiple of " + BlockSize + " bytes");
            }
        }

        private static byte ByteAt(ulong key, long offset)
        {
            return (byte)(WordAt(key, (ulong)offset >> 3) >> (int)((offset & 7) * 8));
        }

        private static ulong WordAt(ulong key, ulong index)
        {
            return SplitMix64(key + index * 0x9E37_79B9_7F4A_7C15UL);
        }

        private static ulong SplitMix64(ulong x)
        {
            // SplitMix64's output function (Steele, Lea and Flood 2014): a fixed, well-mixed hash.
            ulong z = x + 0x9E37_79B9_7F4A_7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
            return z ^ (z >> 31);
        }
    }
}
