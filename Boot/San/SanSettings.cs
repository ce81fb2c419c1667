// Where the SAN boot settings come from, in iPXE's order of precedence: the kernel command line
// (`root-path=`, `initiator-iqn=`, `username=`, `password=`, `reverse-username=`,
// `reverse-password=`, `san-retries=`) over DHCP (option 17 root path, 203 initiator IQN, 12
// host name, 175.190-193 credentials, 175.187 retries). The initiator name falls back to one
// made from the host name, then the SMBIOS system UUID, then the MAC address. Secrets are copied into the options only; no
// log line is built from them.
using System;
using Bootstage.Boot.Iscsi;
using Bootstage.Net.Dhcp;

namespace Bootstage.Boot.San
{
    public enum SanSettingsStatus
    {
        Ok,
        NoRootPath,
        BadRootPath,
        BadInitiatorName,
        BadCredentials,
    }

    /// <summary>The SAN-related values of a DHCP lease (empty when there was no lease).</summary>
    public readonly ref struct SanDhcpValues
    {
        public SanDhcpValues(DhcpLease? lease)
        {
            RootPath = lease != null ? lease.RootPath : default;
            InitiatorIqn = lease != null ? lease.InitiatorIqn : default;
            HostName = lease != null ? lease.HostName : default;
            Username = lease != null ? lease.Username : default;
            Password = lease != null ? lease.Password : default;
            ReverseUsername = lease != null ? lease.ReverseUsername : default;
            ReversePassword = lease != null ? lease.ReversePassword : default;
            Retries = lease != null ? lease.SanRetries : (byte)0;
        }

        public ReadOnlySpan<byte> RootPath { get; init; }

        public ReadOnlySpan<byte> InitiatorIqn { get; init; }

        public ReadOnlySpan<byte> HostName { get; init; }

        public ReadOnlySpan<byte> Username { get; init; }

        public ReadOnlySpan<byte> Password { get; init; }

        public ReadOnlySpan<byte> ReverseUsername { get; init; }

        public ReadOnlySpan<byte> ReversePassword { get; init; }

        public byte Retries { get; init; }
    }

    public sealed class SanSettings
    {
        private readonly byte[] _rootPath = new byte[DhcpLease.MaxText + 1];
        private int _rootPathLength;

        public IscsiOptions Options { get; } = new IscsiOptions();

        public ReadOnlySpan<byte> RootPath => new ReadOnlySpan<byte>(_rootPath, 0, _rootPathLength);

        public RootPathStatus RootPathError { get; private set; }

        public int Retries { get; private set; } = 10;

        public SanSettingsStatus Resolve(KernelCommandLine commandLine, DhcpLease? lease, ReadOnlySpan<byte> mac, ReadOnlySpan<byte> systemUuid)
        {
            return Resolve(commandLine, new SanDhcpValues(lease), mac, systemUuid);
        }

        /// <summary><paramref name="systemUuid"/>: the SMBIOS UUID as stored (16 bytes), or empty.</summary>
        public SanSettingsStatus Resolve(KernelCommandLine commandLine, SanDhcpValues dhcp, ReadOnlySpan<byte> mac, ReadOnlySpan<byte> systemUuid = default)
        {
            SanSettingsStatus status = SetRootPath(Pick(commandLine, "root-path"u8, dhcp.RootPath));
            if (status != SanSettingsStatus.Ok)
            {
                return status;
            }

            Span<byte> name = stackalloc byte[256];
            ReadOnlySpan<byte> configured = Pick(commandLine, "initiator-iqn"u8, dhcp.InitiatorIqn);
            if (!configured.IsEmpty && !InitiatorName.IsValid(configured))
            {
                return SanSettingsStatus.BadInitiatorName;
            }

            int length = InitiatorName.Choose(configured, dhcp.HostName, systemUuid, mac, name);
            if (length <= 0)
            {
                return SanSettingsStatus.BadInitiatorName;
            }

            Options.InitiatorName = name.Slice(0, length).ToArray();
            Options.Username = Pick(commandLine, "username"u8, dhcp.Username).ToArray();
            Options.Password = Pick(commandLine, "password"u8, dhcp.Password).ToArray();
            Options.ReverseUsername = Pick(commandLine, "reverse-username"u8, dhcp.ReverseUsername).ToArray();
            Options.ReversePassword = Pick(commandLine, "reverse-password"u8, dhcp.ReversePassword).ToArray();
            if (Options.Validate() == IscsiStatus.InvalidCredentials)
            {
                return SanSettingsStatus.BadCredentials;
            }

            if (dhcp.Retries != 0)
            {
                Retries = dhcp.Retries;
            }

            if (commandLine.TryGet("san-retries"u8, out ReadOnlySpan<byte> retries) && IscsiTextReader.TryParseNumber(retries, out uint count) && count <= 1000)
            {
                Retries = (int)count;
            }

            return SanSettingsStatus.Ok;
        }

        /// <summary>
        /// A further drive (`sanhook=`, as iPXE's sanhook beside its sanboot): another root path,
        /// logged in to with the boot drive's initiator name, credentials and retries.
        /// </summary>
        public SanSettingsStatus ResolveHook(ReadOnlySpan<byte> rootPath, SanSettings boot)
        {
            SanSettingsStatus status = SetRootPath(rootPath);
            if (status != SanSettingsStatus.Ok)
            {
                return status;
            }

            Options.InitiatorName = boot.Options.InitiatorName;
            Options.Username = boot.Options.Username;
            Options.Password = boot.Options.Password;
            Options.ReverseUsername = boot.Options.ReverseUsername;
            Options.ReversePassword = boot.Options.ReversePassword;
            Retries = boot.Retries;
            return SanSettingsStatus.Ok;
        }

        // Keeps a copy of the root path and takes the target name from it.
        private SanSettingsStatus SetRootPath(ReadOnlySpan<byte> rootPath)
        {
            if (rootPath.IsEmpty)
            {
                return SanSettingsStatus.NoRootPath;
            }

            if (rootPath.Length > _rootPath.Length)
            {
                RootPathError = RootPathStatus.MissingField;
                return SanSettingsStatus.BadRootPath;
            }

            rootPath.CopyTo(_rootPath);
            _rootPathLength = rootPath.Length;
            RootPathError = IscsiRootPath.TryParse(RootPath, out IscsiRootPath parsed);
            if (RootPathError != RootPathStatus.Ok)
            {
                return SanSettingsStatus.BadRootPath;
            }

            Options.TargetName = parsed.TargetName.ToArray();
            return SanSettingsStatus.Ok;
        }

        private static ReadOnlySpan<byte> Pick(KernelCommandLine commandLine, ReadOnlySpan<byte> key, ReadOnlySpan<byte> fallback)
        {
            return commandLine.TryGet(key, out ReadOnlySpan<byte> value) && !value.IsEmpty ? value : fallback;
        }
    }
}
