// The SAN step of the boot: settings from the command line or DHCP (SanSettings), an iSCSI
// session over our TCP stack, the disk opened (login, TEST UNIT READY, INQUIRY, READ CAPACITY)
// and its first block read. Reports `@milestone name=san-open ...` and
// `@milestone name=san-mbr sig=<hex> crc32=<hex>` (CRC-32 of the first 512 bytes), which the
// image tests compare with the LUN's backing file. No root path: nothing to do, not an error.
using System;
using Bootstage.Boot;
using Bootstage.Boot.Crypto;
using Bootstage.Boot.Int13;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.San;
using Bootstage.Drivers.Net;
using Bootstage.Kernel.Console;
using Bootstage.Net;
using Bootstage.Net.Dhcp;
using Bootstage.Platform;

namespace Bootstage.Kernel.Core
{
    internal static class SanBoot
    {
        /// <summary>
        /// False when a SAN boot was asked for and failed. <paramref name="commandText"/> holds the
        /// words <paramref name="options"/> were parsed from: the kernel command line, or the
        /// words a boot script's sanboot stands for (ScriptBoot).
        /// </summary>
        internal static bool Run(NetInterface netif, DhcpLease lease, NetDevice device, bool onPci, Bootstage.Kernel.Hardware.PciAddress pci, IPlatform platform,
            ReadOnlySpan<byte> commandText, in BootOptions options)
        {
            KernelCommandLine commandLine = new KernelCommandLine(commandText);
            Span<byte> mac = stackalloc byte[MacAddress.Size];
            device.Mac.Write(mac);
            Span<byte> uuid = stackalloc byte[16];
            bool hasUuid = FindSystemUuid(uuid);
            SanSettings settings = new SanSettings();
            SanSettingsStatus status = settings.Resolve(commandLine, lease, mac, hasUuid ? uuid : default);
            if (status == SanSettingsStatus.NoRootPath)
            {
                return true;
            }

            if (status != SanSettingsStatus.Ok)
            {
                ReportSettingsFailure("san", status, settings);
                return false;
            }

            TscRandom random = new TscRandom(platform);
            SanDevice? disk = Open(settings, netif, random, "san", out IscsiRootPath path);
            if (disk == null)
            {
                return false;
            }

            Log.Milestone("san-open").Text(" blocks=").Dec(disk.BlockCount).Text(" block-size=").Dec(disk.BlockSize)
                .Text(" type=").Dec(disk.DeviceType).Text(" tsih=0x").Hex(disk.Session.Tsih, 4)
                .Text(" digests=").Text(disk.Session.Parameters.HeaderDigest ? "crc32c" : "none").End();

            byte[] block = new byte[disk.BlockSize];
            IscsiStatus read = disk.Read(0, 1, block, 0);
            if (read != IscsiStatus.Success)
            {
                Log.Milestone("san-mbr").Text(" status=failed reason=").Ascii(IscsiStatusText.Describe(read)).End();
                return false;
            }

            ReadOnlySpan<byte> mbr = new ReadOnlySpan<byte>(block, 0, 512);
            uint signature = (uint)(mbr[510] | (mbr[511] << 8));
            Log.Milestone("san-mbr").Text(" sig=").Hex(signature, 4).Text(" crc32=").Hex(Crc32.Compute(mbr), 8).End();
            if (options.SanTest.Present && !ReadTest(disk, options.SanTest.In(commandText), netif))
            {
                return false;
            }

            if (options.WantsSanBoot)
            {
                // Returns if the handoff is impossible (the reason is logged) or the loader gave up.
                if (!TryDriveNumber(options.SanDrive.In(commandText), options.SanDrive.Present, disk.BlockSize, out byte drive))
                {
                    Log.Milestone("san-boot").Text(" status=failed reason=san-drive= takes a hard disk number 0x80-0x8f (a CD-ROM: 0xe0-0xef)").End();
                    return false;
                }

                HookFurtherDrives(settings, netif, random, commandText, in options);
                Int13DevicePath devicePath = onPci ? new Int13DevicePath(pci.Bus, pci.Device, pci.Function, path.LunValue) : default;
                SanHandoff.Boot(disk, mbr, drive, devicePath, in options, Describe(settings, path, netif, lease, mac, onPci, pci));
                return false;
            }

            if (options.SanLogout)
            {
                IscsiStatus closed = disk.Close();
                Log.Milestone("san-logout").Text(" status=").Ascii(IscsiStatusText.Describe(closed)).End();
            }

            return true;
        }

        private static void ReportSettingsFailure(string milestone, SanSettingsStatus status, SanSettings settings)
        {
            LogLine line = Log.Milestone(milestone).Text(" status=failed reason=");
            if (status == SanSettingsStatus.BadRootPath)
            {
                line.Ascii(IscsiRootPath.Describe(settings.RootPathError));
            }
            else
            {
                line.Text(status == SanSettingsStatus.BadCredentials ? "bad credentials" : "bad initiator name");
            }

            line.End();
        }

        // Logs in and opens the disk a root path names; null (the first cause logged under
        // `milestone`) when that fails.
        private static SanDevice? Open(SanSettings settings, NetInterface netif, TscRandom random, string milestone, out IscsiRootPath path)
        {
            IscsiRootPath.TryParse(settings.RootPath, out path);
            if (path.IsIpv6Literal)
            {
                Log.Milestone(milestone).Text(" status=failed reason=IPv6 targets need an IPv6 stack, which this build does not have").End();
                return null;
            }

            Log.Begin(LogLevel.Info).Text(milestone).Text(": ").Ascii(settings.RootPath).Text(" as ").Ascii(settings.Options.InitiatorName)
                .Text(settings.Options.UsesChap ? (settings.Options.UsesMutualChap ? " (mutual CHAP)" : " (CHAP)") : "").End();
            IscsiSession session = new IscsiSession(settings.Options, new TcpIscsiTransport(netif, random), random);
            SanDevice disk = new SanDevice(session, path.Server, path.Port, path.LunValue);
            disk.Retries = settings.Retries;
            IscsiStatus opened = disk.Open();
            if (opened == IscsiStatus.Success)
            {
                return disk;
            }

            LogLine line = Log.Milestone(milestone).Text(" status=failed reason=").Ascii(IscsiStatusText.Describe(opened));
            if (opened == IscsiStatus.CheckCondition)
            {
                line.Text(" sense=").Ascii(disk.LastSense.Describe());
            }

            if (disk.Failure != SanFailure.None)
            {
                line.Text(" detail=").Ascii(SanFailureText.Describe(disk.Failure));
            }

            line.End();
            return null;
        }

        // `sanhook=<root path>` (iPXE's sanhook): further drives the loader sees beside the boot
        // drive, with the same initiator and credentials. One that cannot be opened is named and
        // left out; the boot goes on from the boot drive.
        private static void HookFurtherDrives(SanSettings boot, NetInterface netif, TscRandom random, ReadOnlySpan<byte> commandText, in BootOptions options)
        {
            if (options.SanHookCount > BootOptions.MaxSanHooks)
            {
                Log.Begin(LogLevel.Warn).Text("sanhook: only the first ").Dec(BootOptions.MaxSanHooks).Text(" are hooked").End();
            }

            for (int i = 0; i < options.SanHookCount && i < BootOptions.MaxSanHooks; i++)
            {
                SanSettings settings = new SanSettings();
                SanSettingsStatus status = settings.ResolveHook(options.SanHook(i).In(commandText), boot);
                if (status != SanSettingsStatus.Ok)
                {
                    ReportSettingsFailure("san-hook", status, settings);
                    continue;
                }

                SanDevice? disk = Open(settings, netif, random, "san-hook", out _);
                if (disk == null)
                {
                    continue;
                }

                byte[] block = new byte[disk.BlockSize];
                if (disk.Read(0, 1, block, 0) != IscsiStatus.Success)
                {
                    Log.Milestone("san-hook").Text(" status=failed reason=block 0 could not be read").End();
                    continue;
                }

                SanHandoff.AddDrive(disk, block);
            }
        }

        // `san-drive=` (iPXE's sanboot --drive): the BIOS number the LUN answers to; 0x80 for a
        // disk and 0xE0 for a CD-ROM by default.
        private static bool TryDriveNumber(ReadOnlySpan<byte> text, bool given, uint blockSize, out byte drive)
        {
            bool cdrom = blockSize == Bootstage.Boot.Int13.ElTorito.SectorSize;
            drive = cdrom ? SanHandoff.CdRomDrive : SanHandoff.Drive;
            if (!given)
            {
                return true;
            }

            if (!IscsiTextReader.TryParseNumber(text, out uint value) || value < (cdrom ? 0xE0u : 0x80u) || value > (cdrom ? 0xEFu : 0x8Fu))
            {
                return false;
            }

            drive = (byte)value;
            return true;
        }

        // What the OS's own initiator needs to log in again (the iBFT): this NIC and its
        // addresses, the target and the credentials the boot used. A target named by host name
        // has no address to publish; the OS would have to resolve it itself.
        private static Bootstage.Boot.Ibft.IbftDescription? Describe(SanSettings settings, IscsiRootPath path, NetInterface netif, DhcpLease lease, ReadOnlySpan<byte> mac,
            bool onPci, Bootstage.Kernel.Hardware.PciAddress pci)
        {
            if (!Ipv4Address.TryParse(path.Server, out Ipv4Address target))
            {
                return null;
            }

            Bootstage.Boot.Ibft.IbftDescription description = new Bootstage.Boot.Ibft.IbftDescription();
            description.InitiatorName = settings.Options.InitiatorName;
            description.Mac = mac.ToArray();
            if (onPci)
            {
                description.PciBus = pci.Bus;
                description.PciDevice = pci.Device;
                description.PciFunction = pci.Function;
            }

            description.Ip = netif.Address;
            description.PrefixLength = (byte)Bootstage.Boot.Ibft.IbftTable.PrefixLength(netif.Netmask);
            description.Gateway = netif.Gateway;
            description.PrimaryDns = netif.Dns;
            description.DhcpServer = lease.Server;
            description.FromDhcp = lease.Address == netif.Address && lease.Server != default;
            description.TargetIp = target;
            description.TargetPort = path.Port;
            description.Lun = path.LunValue;
            description.TargetName = settings.Options.TargetName;
            description.ChapName = settings.Options.Username;
            description.ChapSecret = settings.Options.Password;
            description.ReverseChapName = settings.Options.ReverseUsername;
            description.ReverseChapSecret = settings.Options.ReversePassword;
            return description;
        }

        // `santest=read:<MiB>`: read the first MiB of the disk in 1 MiB requests (the device keeps
        // 16 commands of 64 KiB in flight) and report the time and the CRC-32 of what was read, which
        // the image test compares with the backing file and the benchmark turns into MiB/s.
        private static bool ReadTest(SanDevice disk, ReadOnlySpan<byte> spec, NetInterface netif)
        {
            if (!spec.StartsWith("read:"u8) || !IscsiTextReader.TryParseNumber(spec.Slice(5), out uint mebibytes) || mebibytes == 0 || mebibytes > 4096)
            {
                Log.Milestone("san-read").Text(" status=invalid").End();
                return false;
            }

            const int chunk = 1 << 20;
            ulong total = (ulong)mebibytes << 20;
            if (total > disk.BlockCount * disk.BlockSize)
            {
                total = disk.BlockCount * disk.BlockSize / chunk * chunk;
            }

            byte[] buffer = new byte[chunk];
            int blocks = chunk / (int)disk.BlockSize;
            uint crc = Crc32.Begin();
            ulong start = netif.Clock.Milliseconds;
            for (ulong done = 0; done < total; done += chunk)
            {
                IscsiStatus status = disk.Read(done / disk.BlockSize, blocks, buffer, 0);
                if (status != IscsiStatus.Success)
                {
                    Log.Milestone("san-read").Text(" status=failed reason=").Ascii(IscsiStatusText.Describe(status)).End();
                    return false;
                }

                crc = Crc32.Update(crc, buffer);
            }

            ulong elapsed = netif.Clock.Milliseconds - start;
            Log.Milestone("san-read").Text(" bytes=").Dec(total).Text(" ms=").Dec(elapsed).Text(" crc32=").Hex(Crc32.Finish(crc), 8)
                .Text(" commands=").Dec(disk.Counters.Commands).Text(" reconnects=").Dec(disk.Counters.Reconnects).End();
            return true;
        }

        // The BIOS area and the SMBIOS table are identity-mapped physical memory (the first 4 GiB).
        internal static unsafe bool FindSystemUuid(Span<byte> uuid)
        {
            ReadOnlySpan<byte> bios = new ReadOnlySpan<byte>((void*)SmbiosTable.BiosAreaStart, SmbiosTable.BiosAreaLength);
            if (!SmbiosTable.TryFindEntryPoint(bios, out ulong address, out int length) || address == 0 || address + (ulong)length > 0x1_0000_0000UL)
            {
                return false;
            }

            return SmbiosTable.TryFindSystemUuid(new ReadOnlySpan<byte>((void*)address, length), uuid);
        }

        // Unpredictable enough for ISIDs, CHAP challenges and TCP sequence numbers: TSC jitter
        // folded through a xorshift generator (the state keeps mixing in fresh TSC reads).
        private sealed class TscRandom : IRandomSource
        {
            private readonly IPlatform _platform;
            private ulong _state;

            internal TscRandom(IPlatform platform)
            {
                _platform = platform;
                _state = platform.ReadTimestampCounter() | 1;
            }

            public uint NextUInt32()
            {
                _state ^= _platform.ReadTimestampCounter() * 0x9E3779B97F4A7C15UL;
                _state ^= _state << 13;
                _state ^= _state >> 7;
                _state ^= _state << 17;
                return (uint)(_state >> 16);
            }
        }
    }
}
