// What a DHCP server told us (RFC 2132 options; iPXE's encapsulated options under 175).
// Text options are kept as byte copies in fixed buffers so the lease needs no allocation.
using System;

namespace Bootstage.Net.Dhcp
{
    public sealed class DhcpLease
    {
        public const int MaxText = 255;

        private readonly byte[] _rootPath = new byte[MaxText];
        private readonly byte[] _hostName = new byte[MaxText];
        private readonly byte[] _domainName = new byte[MaxText];
        private readonly byte[] _initiatorIqn = new byte[MaxText];
        private readonly byte[] _vendorClass = new byte[MaxText];
        private readonly byte[] _tftpServer = new byte[MaxText];
        private readonly byte[] _bootFile = new byte[MaxText];
        private readonly byte[] _username = new byte[MaxText];
        private readonly byte[] _password = new byte[MaxText];
        private readonly byte[] _reverseUsername = new byte[MaxText];
        private readonly byte[] _reversePassword = new byte[MaxText];
        private readonly byte[] _sanFilename = new byte[MaxText];
        private int _rootPathLength;
        private int _hostNameLength;
        private int _domainNameLength;
        private int _initiatorIqnLength;
        private int _vendorClassLength;
        private int _tftpServerLength;
        private int _bootFileLength;
        private int _usernameLength;
        private int _passwordLength;
        private int _reverseUsernameLength;
        private int _reversePasswordLength;
        private int _sanFilenameLength;

        public Ipv4Address Address { get; internal set; }

        public Ipv4Address Server { get; internal set; }

        public Ipv4Address Netmask { get; internal set; }

        public Ipv4Address Router { get; internal set; }

        public Ipv4Address Dns { get; internal set; }

        public ushort Mtu { get; internal set; }

        public uint LeaseSeconds { get; internal set; }

        public bool KeepSan { get; internal set; }

        public bool SkipSanBoot { get; internal set; }

        public byte SanRetries { get; internal set; }

        public byte SanDrive { get; internal set; }

        public ReadOnlySpan<byte> RootPath => new ReadOnlySpan<byte>(_rootPath, 0, _rootPathLength);

        public ReadOnlySpan<byte> HostName => new ReadOnlySpan<byte>(_hostName, 0, _hostNameLength);

        public ReadOnlySpan<byte> DomainName => new ReadOnlySpan<byte>(_domainName, 0, _domainNameLength);

        public ReadOnlySpan<byte> InitiatorIqn => new ReadOnlySpan<byte>(_initiatorIqn, 0, _initiatorIqnLength);

        public ReadOnlySpan<byte> VendorClass => new ReadOnlySpan<byte>(_vendorClass, 0, _vendorClassLength);

        public ReadOnlySpan<byte> TftpServer => new ReadOnlySpan<byte>(_tftpServer, 0, _tftpServerLength);

        public ReadOnlySpan<byte> BootFile => new ReadOnlySpan<byte>(_bootFile, 0, _bootFileLength);

        public ReadOnlySpan<byte> Username => new ReadOnlySpan<byte>(_username, 0, _usernameLength);

        public ReadOnlySpan<byte> Password => new ReadOnlySpan<byte>(_password, 0, _passwordLength);

        public ReadOnlySpan<byte> ReverseUsername => new ReadOnlySpan<byte>(_reverseUsername, 0, _reverseUsernameLength);

        public ReadOnlySpan<byte> ReversePassword => new ReadOnlySpan<byte>(_reversePassword, 0, _reversePasswordLength);

        public ReadOnlySpan<byte> SanFilename => new ReadOnlySpan<byte>(_sanFilename, 0, _sanFilenameLength);

        internal void Clear()
        {
            Address = default;
            Server = default;
            Netmask = default;
            Router = default;
            Dns = default;
            Mtu = 0;
            LeaseSeconds = 0;
            KeepSan = false;
            SkipSanBoot = false;
            SanRetries = 0;
            SanDrive = 0;
            _rootPathLength = _hostNameLength = _domainNameLength = _initiatorIqnLength = _vendorClassLength = 0;
            _tftpServerLength = _bootFileLength = _usernameLength = _passwordLength = 0;
            _reverseUsernameLength = _reversePasswordLength = _sanFilenameLength = 0;
        }

        /// <summary>Stores one option (code, data); unknown codes are ignored. Returns false for a malformed known option.</summary>
        internal bool Apply(byte code, ReadOnlySpan<byte> data)
        {
            switch (code)
            {
                case 1:
                    if (!ReadAddress(data, out Ipv4Address mask))
                    {
                        return false;
                    }

                    Netmask = mask;
                    return true;
                case 3:
                    if (!ReadAddress(data, out Ipv4Address router))
                    {
                        return false;
                    }

                    Router = router;
                    return true;
                case 6:
                    if (!ReadAddress(data, out Ipv4Address dns))
                    {
                        return false;
                    }

                    Dns = dns;
                    return true;
                case 12: return Copy(data, _hostName, ref _hostNameLength);
                case 15: return Copy(data, _domainName, ref _domainNameLength);
                case 17: return Copy(data, _rootPath, ref _rootPathLength);
                case 26:
                    if (data.Length != 2)
                    {
                        return false;
                    }

                    Mtu = (ushort)((data[0] << 8) | data[1]);
                    return true;
                case 51:
                    if (data.Length != 4)
                    {
                        return false;
                    }

                    LeaseSeconds = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data);
                    return true;
                case 54:
                    if (!ReadAddress(data, out Ipv4Address server))
                    {
                        return false;
                    }

                    Server = server;
                    return true;
                case 60: return Copy(data, _vendorClass, ref _vendorClassLength);
                case 66: return Copy(data, _tftpServer, ref _tftpServerLength);
                case 67: return Copy(data, _bootFile, ref _bootFileLength);
                case 175: return ApplyEncapsulated(data);
                case 203: return Copy(data, _initiatorIqn, ref _initiatorIqnLength);
                default: return true;
            }
        }

        // iPXE's encapsulated options (175.x), themselves code/length/data triples.
        private bool ApplyEncapsulated(ReadOnlySpan<byte> data)
        {
            DhcpOptionReader options = new DhcpOptionReader(data);
            while (options.Next(out byte code, out ReadOnlySpan<byte> value))
            {
                switch (code)
                {
                    case 8: KeepSan = value.Length > 0 && value[0] != 0; break;
                    case 9: SkipSanBoot = value.Length > 0 && value[0] != 0; break;
                    case 187: SanRetries = value.Length > 0 ? value[0] : (byte)0; break;
                    case 188: Copy(value, _sanFilename, ref _sanFilenameLength); break;
                    case 189: SanDrive = value.Length > 0 ? value[0] : (byte)0; break;
                    case 190: Copy(value, _username, ref _usernameLength); break;
                    case 191: Copy(value, _password, ref _passwordLength); break;
                    case 192: Copy(value, _reverseUsername, ref _reverseUsernameLength); break;
                    case 193: Copy(value, _reversePassword, ref _reversePasswordLength); break;
                }
            }

            return !options.Truncated;
        }

        private static bool ReadAddress(ReadOnlySpan<byte> data, out Ipv4Address address)
        {
            // Lists (routers, DNS servers) keep their first entry.
            if (data.Length < 4 || data.Length % 4 != 0)
            {
                address = default;
                return false;
            }

            address = Ipv4Address.Read(data);
            return true;
        }

        private static bool Copy(ReadOnlySpan<byte> data, byte[] destination, ref int length)
        {
            // Some servers NUL-terminate strings: drop the terminator.
            int count = data.Length;
            while (count > 0 && data[count - 1] == 0)
            {
                count--;
            }

            data.Slice(0, count).CopyTo(destination);
            length = count;
            return true;
        }
    }
}
