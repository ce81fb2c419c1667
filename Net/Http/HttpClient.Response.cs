// The response side of HttpClient (RFC 9112): the status line (§4), header fields one per line
// (§5; obsolete line folding refused as §5.2 allows), and the body's framing (§6.3): chunked
// when Transfer-Encoding ends in chunked (§7.1: hex size, extensions ignored, trailers read and
// dropped), else Content-Length (conflicting values refused), else up to the connection's close.
// Interim 1xx responses are skipped. Bytes arrive in arbitrary pieces, so parsing is a state
// machine over a line buffer; body bytes go straight to the sink.
using System;

namespace Bootstage.Net.Http
{
    public sealed partial class HttpClient
    {
        public const int MaxReason = 64;

        private enum Phase
        {
            StatusLine,
            Headers,
            Body,
            UntilClose,
            ChunkSize,
            ChunkData,
            ChunkEnd,
            Trailers,
            Done,
            Redirect,
        }

        private readonly byte[] _line = new byte[MaxLineLength];
        private readonly byte[] _reason = new byte[MaxReason];
        private readonly byte[] _location = new byte[MaxUrlLength];
        private Phase _phase;
        private int _lineLength;
        private int _reasonLength;
        private int _locationLength;
        private bool _chunked;
        private ulong _remaining;

        /// <summary>The status code of the final response (0 before one arrived).</summary>
        public int StatusCode { get; private set; }

        /// <summary>The reason phrase of the final response, for the console.</summary>
        public ReadOnlySpan<byte> Reason => new ReadOnlySpan<byte>(_reason, 0, _reasonLength);

        /// <summary>Content-Length of the response, -1 when it had none.</summary>
        public long ContentLength { get; private set; }

        public ulong BytesReceived { get; private set; }

        private ReadOnlySpan<byte> Location => new ReadOnlySpan<byte>(_location, 0, _locationLength);

        private void ResetResponse()
        {
            _phase = Phase.StatusLine;
            _lineLength = 0;
            _reasonLength = 0;
            _locationLength = 0;
            _chunked = false;
            _remaining = 0;
            StatusCode = 0;
            ContentLength = -1;
            BytesReceived = 0;
        }

        private void Feed(ReadOnlySpan<byte> data)
        {
            while (data.Length > 0 && State == HttpState.Receiving)
            {
                switch (_phase)
                {
                    case Phase.Body:
                    case Phase.ChunkData:
                    case Phase.UntilClose:
                        int take = _phase == Phase.UntilClose || (ulong)data.Length < _remaining ? data.Length : (int)_remaining;
                        if (!Deliver(data.Slice(0, take)))
                        {
                            return;
                        }

                        data = data.Slice(take);
                        if (_phase != Phase.UntilClose)
                        {
                            _remaining -= (ulong)take;
                            if (_remaining == 0)
                            {
                                if (_phase == Phase.Body)
                                {
                                    Finish();
                                    return;
                                }

                                _phase = Phase.ChunkEnd;
                            }
                        }

                        break;
                    case Phase.Done:
                    case Phase.Redirect:
                        return;
                    default:
                        int end = data.IndexOf((byte)'\n');
                        ReadOnlySpan<byte> piece = end >= 0 ? data.Slice(0, end) : data;
                        if (_lineLength + piece.Length > MaxLineLength)
                        {
                            Fail(HttpFailure.HeaderTooLong);
                            return;
                        }

                        piece.CopyTo(new Span<byte>(_line, _lineLength, piece.Length));
                        _lineLength += piece.Length;
                        data = data.Slice(end >= 0 ? end + 1 : data.Length);
                        if (end >= 0)
                        {
                            int length = _lineLength > 0 && _line[_lineLength - 1] == (byte)'\r' ? _lineLength - 1 : _lineLength;
                            _lineLength = 0;
                            Line(new ReadOnlySpan<byte>(_line, 0, length));
                        }

                        break;
                }
            }
        }

        private bool Deliver(ReadOnlySpan<byte> data)
        {
            if (!_sink!.Write(BytesReceived, data))
            {
                Fail(HttpFailure.TooLarge);
                return false;
            }

            BytesReceived += (ulong)data.Length;
            return true;
        }

        private void Line(ReadOnlySpan<byte> line)
        {
            switch (_phase)
            {
                case Phase.StatusLine:
                    StatusLine(line);
                    break;
                case Phase.Headers:
                    if (line.Length == 0)
                    {
                        EndOfHeaders();
                    }
                    else
                    {
                        HeaderField(line);
                    }

                    break;
                case Phase.ChunkSize:
                    ChunkSize(line);
                    break;
                case Phase.ChunkEnd:
                    if (line.Length != 0)
                    {
                        Fail(HttpFailure.BadResponse);
                        return;
                    }

                    _phase = Phase.ChunkSize;
                    break;
                case Phase.Trailers:
                    if (line.Length == 0)
                    {
                        Finish();
                    }

                    break;
            }
        }

        private void StatusLine(ReadOnlySpan<byte> line)
        {
            HttpStatusLine status = new HttpStatusLine(line);
            if (!status.IsValid)
            {
                Fail(HttpFailure.BadResponse);
                return;
            }

            StatusCode = status.Code;
            ReadOnlySpan<byte> reason = status.Reason;
            _reasonLength = reason.Length < MaxReason ? reason.Length : MaxReason;
            reason.Slice(0, _reasonLength).CopyTo(_reason);
            _phase = Phase.Headers;
        }

        private void HeaderField(ReadOnlySpan<byte> line)
        {
            HttpField field = new HttpField(line);
            if (!field.IsValid)
            {
                Fail(HttpFailure.BadResponse);
                return;
            }

            ReadOnlySpan<byte> value = field.Value;
            if (field.Is("content-length"u8))
            {
                if (!TryParseDecimal(value, out ulong length) || (ContentLength >= 0 && (ulong)ContentLength != length))
                {
                    Fail(HttpFailure.BadResponse);
                    return;
                }

                ContentLength = (long)length;
            }
            else if (field.Is("transfer-encoding"u8))
            {
                // Codings are applied in order; chunked must come last (RFC 9112 §6.1). Anything
                // else (gzip, ...) we cannot decode.
                int comma = value.LastIndexOf((byte)',');
                ReadOnlySpan<byte> last = HttpField.TrimWhitespace(comma >= 0 ? value.Slice(comma + 1) : value);
                if (!HttpUrl.EqualsIgnoringCase(last, "chunked"u8) || (comma >= 0 && !OnlyChunkedOrIdentity(value.Slice(0, comma))))
                {
                    Fail(HttpFailure.UnsupportedCoding);
                    return;
                }

                _chunked = true;
            }
            else if (field.Is("location"u8))
            {
                int length = value.Length < MaxUrlLength ? value.Length : MaxUrlLength;
                value.Slice(0, length).CopyTo(_location);
                _locationLength = length;
            }
        }

        private static bool OnlyChunkedOrIdentity(ReadOnlySpan<byte> codings)
        {
            while (codings.Length > 0)
            {
                int comma = codings.IndexOf((byte)',');
                ReadOnlySpan<byte> coding = HttpField.TrimWhitespace(comma >= 0 ? codings.Slice(0, comma) : codings);
                if (!HttpUrl.EqualsIgnoringCase(coding, "identity"u8))
                {
                    return false;
                }

                codings = comma >= 0 ? codings.Slice(comma + 1) : default;
            }

            return true;
        }

        private void EndOfHeaders()
        {
            if (StatusCode >= 100 && StatusCode < 200)
            {
                // An interim response: the real one follows (RFC 9110 §15.2).
                ResetResponse();
                return;
            }

            bool redirect = StatusCode == 301 || StatusCode == 302 || StatusCode == 303 || StatusCode == 307 || StatusCode == 308;
            if (redirect && _locationLength > 0)
            {
                _phase = Phase.Redirect;
                return;
            }

            if (StatusCode < 200 || StatusCode > 299)
            {
                Fail(HttpFailure.Status);
                return;
            }

            if (_chunked)
            {
                // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3).
                ContentLength = -1;
                _phase = Phase.ChunkSize;
                return;
            }

            if (ContentLength >= 0)
            {
                if (!_sink!.Expect((ulong)ContentLength))
                {
                    Fail(HttpFailure.TooLarge);
                    return;
                }

                _remaining = (ulong)ContentLength;
                _phase = Phase.Body;
                if (_remaining == 0)
                {
                    Finish();
                }

                return;
            }

            _phase = Phase.UntilClose;
        }

        // chunk-size [ chunk-ext ]: hexadecimal, at most 15 digits so the sum cannot overflow.
        private void ChunkSize(ReadOnlySpan<byte> line)
        {
            int end = 0;
            ulong size = 0;
            while (end < line.Length && AsciiHexValue(line[end]) >= 0)
            {
                size = (size << 4) | (uint)AsciiHexValue(line[end]);
                end++;
            }

            if (end == 0 || end > 15 || (end < line.Length && line[end] != (byte)';' && line[end] != (byte)' ' && line[end] != (byte)'\t'))
            {
                Fail(HttpFailure.BadResponse);
                return;
            }

            if (size == 0)
            {
                _phase = Phase.Trailers;
                return;
            }

            _remaining = size;
            _phase = Phase.ChunkData;
        }

        // The connection closed: the end of a close-delimited body, else a response cut short.
        private void EndOfConnection(bool orderly)
        {
            if (_phase == Phase.UntilClose && orderly)
            {
                Finish();
            }
            else if (_phase != Phase.Done)
            {
                Fail(HttpFailure.ConnectionLost);
            }
        }

        private static int AsciiHexValue(byte c)
        {
            if (c >= (byte)'0' && c <= (byte)'9')
            {
                return c - '0';
            }

            byte lower = (byte)(c | 0x20);
            return lower >= (byte)'a' && lower <= (byte)'f' ? lower - 'a' + 10 : -1;
        }

        private static bool TryParseDecimal(ReadOnlySpan<byte> text, out ulong value)
        {
            value = 0;
            if (text.Length == 0 || text.Length > 18)
            {
                return false;
            }

            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] < (byte)'0' || text[i] > (byte)'9')
                {
                    return false;
                }

                value = value * 10 + (ulong)(text[i] - '0');
            }

            return true;
        }
    }
}
