// Where a download (TFTP, HTTP) puts the bytes it receives: told the size as soon as the protocol
// knows it (TFTP's tsize option, HTTP's Content-Length) so a file that cannot fit is refused
// before it is sent, then given the bytes in order. DownloadBuffer is the plain implementation
// over one fixed array (a boot script, a small image); the kernel may provide one over memory.
using System;

namespace Bootstage.Net
{
    public interface IDownloadSink
    {
        /// <summary>Starts a new download (a redirect or a restarted transfer starts again at 0).</summary>
        void Reset();

        /// <summary>The total size, when the protocol announces it; false refuses the download.</summary>
        bool Expect(ulong size);

        /// <summary>The next bytes, at <paramref name="offset"/>; false when they do not fit (the download is aborted).</summary>
        bool Write(ulong offset, ReadOnlySpan<byte> data);
    }

    public sealed class DownloadBuffer : IDownloadSink
    {
        private readonly byte[] _buffer;

        public DownloadBuffer(int capacity)
        {
            _buffer = new byte[capacity];
        }

        public int Capacity => _buffer.Length;

        /// <summary>Bytes received so far (the highest offset written).</summary>
        public int Length { get; private set; }

        public ReadOnlySpan<byte> Data => new ReadOnlySpan<byte>(_buffer, 0, Length);

        public void Reset() => Length = 0;

        public bool Expect(ulong size) => size <= (ulong)_buffer.Length;

        public bool Write(ulong offset, ReadOnlySpan<byte> data)
        {
            if (offset > (ulong)_buffer.Length || (ulong)data.Length > (ulong)_buffer.Length - offset)
            {
                return false;
            }

            data.CopyTo(new Span<byte>(_buffer, (int)offset, data.Length));
            int end = (int)offset + data.Length;
            if (end > Length)
            {
                Length = end;
            }

            return true;
        }
    }
}
