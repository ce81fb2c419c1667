// The kernel command line: space-separated `key=value` words as QEMU's -append, GRUB, syslinux's
// mboot.c32 or iPXE pass them (multiboot 0.6.96 §3.3 "cmdline"). A word without '=' is a flag
// with an empty value. A value may be double-quoted to hold spaces (a boot script). When a key
// repeats, the last word wins, as on Linux. Parsing works on the bytes in place: no allocation.
// A loader may put the image's own name first (mboot.c32 does); callers look keys up by name,
// so such a word is harmless.
using System;

namespace Bootstage.Boot
{
    public readonly ref struct KernelCommandLine
    {
        private readonly ReadOnlySpan<byte> _text;

        public KernelCommandLine(ReadOnlySpan<byte> text)
        {
            // Multiboot hands over a NUL-terminated string: stop at the terminator.
            int end = text.IndexOf((byte)0);
            _text = end >= 0 ? text.Slice(0, end) : text;
        }

        public ReadOnlySpan<byte> Text => _text;

        /// <summary>Finds the last word named <paramref name="key"/>.</summary>
        public bool TryGet(ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
        {
            bool found = false;
            value = default;
            Enumerator words = GetEnumerator();
            while (words.MoveNext())
            {
                if (words.Key.SequenceEqual(key))
                {
                    value = words.Value;
                    found = true;
                }
            }

            return found;
        }

        /// <summary>True when the key is present and its value is empty, "1", "yes", "on" or "true".</summary>
        public bool IsSet(ReadOnlySpan<byte> key)
        {
            if (!TryGet(key, out ReadOnlySpan<byte> value))
            {
                return false;
            }

            return value.Length == 0 || value.SequenceEqual("1"u8) || value.SequenceEqual("yes"u8)
                || value.SequenceEqual("on"u8) || value.SequenceEqual("true"u8);
        }

        /// <summary>Keys whose values are secrets (CHAP passwords): log lines show `key=***` instead.</summary>
        public static bool IsSecret(ReadOnlySpan<byte> key)
        {
            return key.SequenceEqual("password"u8) || key.SequenceEqual("reverse-password"u8);
        }

                public Enumerator GetEnumerator() => new Enumerator(_text);

        /// <summary>Walks the words in order; a malformed tail (unterminated quote) ends at the text's end.</summary>
        public ref struct Enumerator
        {
            private readonly ReadOnlySpan<byte> _text;
            private int _position;

            internal Enumerator(ReadOnlySpan<byte> text)
            {
                _text = text;
                _position = 0;
                Key = default;
                Value = default;
            }

            public ReadOnlySpan<byte> Key { get; private set; }

            public ReadOnlySpan<byte> Value { get; private set; }

            public bool MoveNext()
            {
                while (_position < _text.Length && IsSpace(_text[_position]))
                {
                    _position++;
                }

                if (_position >= _text.Length)
                {
                    return false;
                }

                int keyStart = _position;
                while (_position < _text.Length && !IsSpace(_text[_position]) && _text[_position] != (byte)'=')
                {
                    _position++;
                }

                Key = _text.Slice(keyStart, _position - keyStart);
                Value = default;
                if (_position < _text.Length && _text[_position] == (byte)'=')
                {
                    _position++;
                    if (_position < _text.Length && _text[_position] == (byte)'"')
                    {
                        int valueStart = ++_position;
                        while (_position < _text.Length && _text[_position] != (byte)'"')
                        {
                            _position++;
                        }

                        Value = _text.Slice(valueStart, _position - valueStart);
                        if (_position < _text.Length)
                        {
                            _position++;
                        }
                    }
                    else
                    {
                        int valueStart = _position;
                        while (_position < _text.Length && !IsSpace(_text[_position]))
                        {
                            _position++;
                        }

                        Value = _text.Slice(valueStart, _position - valueStart);
                    }
                }

                return true;
            }

            private static bool IsSpace(byte c) => c == (byte)' ' || c == (byte)'\t' || c == (byte)'\n' || c == (byte)'\r';
        }
    }
}
