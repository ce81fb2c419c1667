// Walks DHCP options (RFC 2132 §2): code, length, data triples, with pad (0) skipped and end
// (255) stopping the walk. The same format nests inside encapsulated options (iPXE's 175.x).
// A triple whose length runs past the buffer stops the walk and sets Truncated.
using System;

namespace Bootstage.Net.Dhcp
{
    internal ref struct DhcpOptionReader
    {
        private readonly ReadOnlySpan<byte> _options;
        private int _position;

        public DhcpOptionReader(ReadOnlySpan<byte> options)
        {
            _options = options;
            _position = 0;
            Truncated = false;
        }

        /// <summary>The walk stopped at an option that did not fit in the buffer.</summary>
        public bool Truncated { get; private set; }

        public bool Next(out byte code, out ReadOnlySpan<byte> data)
        {
            data = default;
            while (_position < _options.Length)
            {
                code = _options[_position++];
                if (code == 0)
                {
                    continue;
                }

                if (code == 255)
                {
                    _position = _options.Length;
                    return false;
                }

                if (_position >= _options.Length || _position + 1 + _options[_position] > _options.Length)
                {
                    Truncated = true;
                    _position = _options.Length;
                    return false;
                }

                int length = _options[_position];
                data = _options.Slice(_position + 1, length);
                _position += 1 + length;
                return true;
            }

            code = 0;
            return false;
        }
    }
}
