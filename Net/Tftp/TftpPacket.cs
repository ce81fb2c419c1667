// TFTP messages (RFC 1350 §5, options per RFC 2347): a view type for each message we receive
// (DATA, OACK, ERROR) over the datagram in place, and writers for those we send (RRQ with the
// blksize and tsize options of RFC 2348 and RFC 2349, ACK, ERROR). All numbers are big-endian.
using System;
using System.Buffers.Binary;

namespace Bootstage.Net.Tftp
{
    public static class TftpOpcode
    {
        public const ushort ReadRequest = 1;
        public const ushort WriteRequest = 2;
        public const ushort Data = 3;
        public const ushort Ack = 4;
        public const ushort Error = 5;
        public const ushort OptionAck = 6;

        /// <summary>The opcode of a datagram, 0 when it is too short to have one.</summary>
        public static ushort Of(ReadOnlySpan<byte> packet) => packet.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(packet) : (ushort)0;
    }

    /// <summary>DATA: opcode 3, block number, 0..blksize bytes.</summary>
    public readonly ref struct TftpData
    {
        private readonly ReadOnlySpan<byte> _packet;

        public TftpData(ReadOnlySpan<byte> packet)
        {
            _packet = packet;
        }

        public bool IsValid => _packet.Length >= 4 && TftpOpcode.Of(_packet) == TftpOpcode.Data;

        public ushort Block => BinaryPrimitives.ReadUInt16BigEndian(_packet.Slice(2));

        public ReadOnlySpan<byte> Payload => _packet.Slice(4);
    }

    /// <summary>ERROR: opcode 5, error code, NUL-terminated message.</summary>
    public readonly ref struct TftpError
    {
        public const ushort NotDefined = 0;
        public const ushort FileNotFound = 1;
        public const ushort AccessViolation = 2;
        public const ushort DiskFull = 3;
        public const ushort IllegalOperation = 4;
        public const ushort UnknownTransferId = 5;
        public const ushort FileExists = 6;
        public const ushort NoSuchUser = 7;
        public const ushort OptionRefused = 8;

        private readonly ReadOnlySpan<byte> _packet;

        public TftpError(ReadOnlySpan<byte> packet)
        {
            _packet = packet;
        }

        public bool IsValid => _packet.Length >= 4 && TftpOpcode.Of(_packet) == TftpOpcode.Error;

        public ushort Code => BinaryPrimitives.ReadUInt16BigEndian(_packet.Slice(2));

        /// <summary>The message up to its NUL (or the datagram's end when a server omits the NUL).</summary>
        public ReadOnlySpan<byte> Message
        {
            get
            {
                ReadOnlySpan<byte> text = _packet.Slice(4);
                int end = text.IndexOf((byte)0);
                return end >= 0 ? text.Slice(0, end) : text;
            }
        }

        /// <summary>RFC 1350's (and RFC 2347's) name for an error code.</summary>
        public static ReadOnlySpan<byte> Describe(ushort code)
        {
            switch (code)
            {
                case FileNotFound: return "file not found"u8;
                case AccessViolation: return "access violation"u8;
                case DiskFull: return "disk full or allocation exceeded"u8;
                case IllegalOperation: return "illegal TFTP operation"u8;
                case UnknownTransferId: return "unknown transfer ID"u8;
                case FileExists: return "file already exists"u8;
                case NoSuchUser: return "no such user"u8;
                case OptionRefused: return "option negotiation refused"u8;
                default: return "not defined"u8;
            }
        }

        /// <summary>Writes an ERROR message; returns its length.</summary>
        public static int Write(Span<byte> packet, ushort code, ReadOnlySpan<byte> message)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet, TftpOpcode.Error);
            BinaryPrimitives.WriteUInt16BigEndian(packet.Slice(2), code);
            message.CopyTo(packet.Slice(4));
            packet[4 + message.Length] = 0;
            return 5 + message.Length;
        }
    }

    /// <summary>OACK (RFC 2347): opcode 6, then NUL-terminated option name and value pairs.</summary>
    public ref struct TftpOptionAck
    {
        private readonly ReadOnlySpan<byte> _packet;
        private int _position;

        public TftpOptionAck(ReadOnlySpan<byte> packet)
        {
            _packet = packet;
            _position = 2;
            Name = default;
            Value = default;
        }

        public bool IsValid => _packet.Length >= 2 && TftpOpcode.Of(_packet) == TftpOpcode.OptionAck;

        public ReadOnlySpan<byte> Name { get; private set; }

        public ReadOnlySpan<byte> Value { get; private set; }

        /// <summary>Steps to the next pair; false at the end. <paramref name="malformed"/> when a string lacks its NUL.</summary>
        public bool Next(out bool malformed)
        {
            malformed = false;
            if (_position >= _packet.Length)
            {
                return false;
            }

            ReadOnlySpan<byte> rest = _packet.Slice(_position);
            int nameEnd = rest.IndexOf((byte)0);
            int valueEnd = nameEnd >= 0 ? rest.Slice(nameEnd + 1).IndexOf((byte)0) : -1;
            if (valueEnd < 0)
            {
                malformed = true;
                return false;
            }

            Name = rest.Slice(0, nameEnd);
            Value = rest.Slice(nameEnd + 1, valueEnd);
            _position += nameEnd + 1 + valueEnd + 1;
            return true;
        }

        /// <summary>Option names compare without regard to case (RFC 2347).</summary>
        public static bool NameIs(ReadOnlySpan<byte> name, ReadOnlySpan<byte> lowercase)
        {
            if (name.Length != lowercase.Length)
            {
                return false;
            }

            for (int i = 0; i < name.Length; i++)
            {
                byte c = name[i];
                if (c >= (byte)'A' && c <= (byte)'Z')
                {
                    c = (byte)(c | 0x20);
                }

                if (c != lowercase[i])
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>A decimal option value; false when it is not one or exceeds 64 bits.</summary>
        public static bool TryParseNumber(ReadOnlySpan<byte> text, out ulong value)
        {
            value = 0;
            if (text.Length == 0 || text.Length > 19)
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

    /// <summary>The messages we send: RRQ and ACK.</summary>
    public static class TftpRequest
    {
        /// <summary>RRQ in octet mode, optionally asking for a block size and the transfer size. Returns the length, 0 if it does not fit.</summary>
        public static int WriteReadRequest(Span<byte> packet, ReadOnlySpan<byte> fileName, ushort blockSize, bool askSize)
        {
            int needed = 2 + fileName.Length + 1 + 6 + (blockSize != 0 ? 8 + 6 : 0) + (askSize ? 8 : 0);
            if (fileName.Length == 0 || fileName.IndexOf((byte)0) >= 0 || needed > packet.Length)
            {
                return 0;
            }

            BinaryPrimitives.WriteUInt16BigEndian(packet, TftpOpcode.ReadRequest);
            int length = 2;
            length = Put(packet, length, fileName);
            length = Put(packet, length, "octet"u8);
            if (blockSize != 0)
            {
                length = Put(packet, length, "blksize"u8);
                Span<byte> digits = stackalloc byte[5];
                int count = 0;
                uint value = blockSize;
                do
                {
                    digits[count++] = (byte)('0' + value % 10);
                    value /= 10;
                }
                while (value != 0);

                while (count > 0)
                {
                    packet[length++] = digits[--count];
                }

                packet[length++] = 0;
            }

            if (askSize)
            {
                length = Put(packet, length, "tsize"u8);
                length = Put(packet, length, "0"u8);
            }

            return length;
        }

        public static int WriteAck(Span<byte> packet, ushort block)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet, TftpOpcode.Ack);
            BinaryPrimitives.WriteUInt16BigEndian(packet.Slice(2), block);
            return 4;
        }

        private static int Put(Span<byte> packet, int length, ReadOnlySpan<byte> text)
        {
            text.CopyTo(packet.Slice(length));
            packet[length + text.Length] = 0;
            return length + text.Length + 1;
        }
    }
}
