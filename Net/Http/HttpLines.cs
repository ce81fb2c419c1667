// Views over the lines of an HTTP/1.1 response head (RFC 9112): the status line (§4) and one
// header field line (§5). They read the line in place; HttpClient.Response feeds them.
using System;

namespace Bootstage.Net.Http
{
    /// <summary>status-line = HTTP-version SP status-code SP [ reason-phrase ]</summary>
    public readonly ref struct HttpStatusLine
    {
        private readonly ReadOnlySpan<byte> _line;

        public HttpStatusLine(ReadOnlySpan<byte> line)
        {
            _line = line;
        }

        /// <summary>HTTP/1.x, a space, three digits, then nothing or a space and the reason.</summary>
        public bool IsValid
        {
            get
            {
                if (_line.Length < 12 || !_line.StartsWith("HTTP/1."u8) || _line[8] != (byte)' ' || (_line.Length > 12 && _line[12] != (byte)' '))
                {
                    return false;
                }

                for (int i = 9; i < 12; i++)
                {
                    if (_line[i] < (byte)'0' || _line[i] > (byte)'9')
                    {
                        return false;
                    }
                }

                return true;
            }
        }

        public int Code => (_line[9] - '0') * 100 + (_line[10] - '0') * 10 + (_line[11] - '0');

        public ReadOnlySpan<byte> Reason => _line.Length > 13 ? _line.Slice(13) : default;
    }

    /// <summary>field-line = field-name ":" OWS field-value OWS</summary>
    public readonly ref struct HttpField
    {
        private readonly ReadOnlySpan<byte> _line;
        private readonly int _colon;

        public HttpField(ReadOnlySpan<byte> line)
        {
            _line = line;
            _colon = line.IndexOf((byte)':');
        }

        /// <summary>A name before the colon; a line starting with whitespace (obsolete folding, §5.2) is not a field.</summary>
        public bool IsValid => _colon > 0 && _line[0] != (byte)' ' && _line[0] != (byte)'\t';

        public ReadOnlySpan<byte> Name => _line.Slice(0, _colon);

        public ReadOnlySpan<byte> Value => TrimWhitespace(_line.Slice(_colon + 1));

        /// <summary>The name compared without regard to case (RFC 9110 §5.1).</summary>
        public bool Is(ReadOnlySpan<byte> lowercaseName) => HttpUrl.EqualsIgnoringCase(Name, lowercaseName);

        /// <summary>Optional whitespace (spaces and tabs) removed at both ends.</summary>
        public static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> text)
        {
            int start = 0;
            int end = text.Length;
            while (start < end && (text[start] == (byte)' ' || text[start] == (byte)'\t'))
            {
                start++;
            }

            while (end > start && (text[end - 1] == (byte)' ' || text[end - 1] == (byte)'\t'))
            {
                end--;
            }

            return text.Slice(start, end - start);
        }
    }
}
