// What a boot script needs from the machine it runs on: the network (dhcp, ifopen), settings the
// script did not set itself (net0/mac, ip, uuid, ...), the SAN drives (sanhook, sanboot,
// sanunhook), a console and a clock. The kernel implements it over its NetInterface, DHCP lease,
// SMBIOS and SAN boot; the tests implement it with a recorder. Every call is synchronous: a host
// that waits (DHCP, sleep) polls its own network stack meanwhile, so nothing here needs threads.
// The commands mirror iPXE's (docs/scripts.md lists what differs).
using System;

namespace Bootstage.Boot.Script
{
    public interface IScriptHost
    {
        /// <summary>
        /// Writes the text of a setting the script did not set (`net0/mac`, `netX/ip`, `ip`, `uuid`,
        /// `hostname`, `root-path`, ...) into <paramref name="destination"/>. Returns its length,
        /// -1 when there is no such setting (it then expands to nothing, as in iPXE), or a length
        /// larger than the destination when it does not fit (the command then fails).
        /// </summary>
        int FetchSetting(ReadOnlySpan<byte> name, Span<byte> destination);

        /// <summary>`dhcp [netX]`: configures the device (empty: the boot NIC, or each in turn until one answers).</summary>
        ScriptStatus Dhcp(ReadOnlySpan<byte> device);

        /// <summary>`ifopen [netX]`: opens the device (empty: every device) without configuring it.</summary>
        ScriptStatus IfOpen(ReadOnlySpan<byte> device);

        /// <summary>`sanhook`: attaches the root path as a BIOS drive and leaves it attached.</summary>
        ScriptStatus SanHook(ReadOnlySpan<byte> rootPath, in ScriptSanRequest request);

        /// <summary>
        /// `sanboot`: attaches the root path (or, when empty, uses a drive already hooked) and boots
        /// from it. Returns only when the boot did not happen or the booted program gave up; then
        /// the drive is unhooked unless <see cref="ScriptSanRequest.Keep"/> or the `keep-san`
        /// setting says otherwise (the host reads that one through the request's settings).
        /// </summary>
        ScriptStatus SanBoot(ReadOnlySpan<byte> rootPath, in ScriptSanRequest request);

        /// <summary>`sanunhook`: detaches a hooked drive.</summary>
        ScriptStatus SanUnhook(in ScriptSanRequest request);

        /// <summary>`sleep`: waits (polling the network meanwhile); Cancelled when interrupted.</summary>
        ScriptStatus Sleep(uint milliseconds);

        /// <summary>`echo`: console output, the newline included when the command prints one.</summary>
        void Echo(ReadOnlySpan<byte> text);
    }

    /// <summary>The options of one sanhook/sanboot/sanunhook command.</summary>
    public readonly struct ScriptSanRequest
    {
        /// <summary>No --drive: the host picks its default (iPXE: 0x80, or the next free number).</summary>
        public const int DefaultDrive = -1;

        public ScriptSanRequest(int drive, bool noDescribe, bool keep, ScriptSettings settings)
        {
            Drive = drive;
            NoDescribe = noDescribe;
            Keep = keep;
            Settings = settings;
        }

        /// <summary>BIOS drive number from --drive, or <see cref="DefaultDrive"/>.</summary>
        public int Drive { get; }

        /// <summary>--no-describe: leave the drive out of the iBFT (and other boot firmware tables).</summary>
        public bool NoDescribe { get; }

        /// <summary>--keep (sanboot only): leave the drive hooked when the boot returns.</summary>
        public bool Keep { get; }

        /// <summary>The script's settings (initiator-iqn, username, password, keep-san, skip-san-boot, ...).</summary>
        public ScriptSettings Settings { get; }
    }
}
