// `script=<url>`: an iPXE-syntax boot script (Boot/Script, docs/scripts.md) drives the boot
// instead of the command line's root path. The script is fetched with UrlFetcher (tftp:// or
// http://) once the network is up, then run with this kernel as its host: `dhcp`/`ifopen`
// answer from the interface already configured, settings come from the NIC, the lease and
// SMBIOS, and `sanhook`/`sanboot` become the words SanBoot already understands (root-path=,
// sanhook=, san-drive=, keep-san, the credentials from the script's settings), so a script's
// SAN boot is the same code path as the command line's. Reports `@milestone name=script ...`.
using System;
using Bootstage.Boot;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.Script;
using Bootstage.Drivers.Net;
using Bootstage.Kernel.Console;
using Bootstage.Kernel.Hardware;
using Bootstage.Net;
using Bootstage.Net.Dhcp;
using Bootstage.Platform;

namespace Bootstage.Kernel.Core
{
    internal sealed class ScriptBoot : IScriptHost
    {
        private const int MaxScriptBytes = 64 * 1024;
        private const ulong FetchTimeoutMs = 30_000;
        private const int MaxHooks = BootOptions.MaxSanHooks;

        private readonly NetInterface _netif;
        private readonly DhcpLease _lease;
        private readonly NetDevice _device;
        private readonly bool _onPci;
        private readonly PciAddress _pci;
        private readonly IPlatform _platform;
        private readonly bool _biosTrace;
        private readonly byte[][] _hooks = new byte[MaxHooks][];
        private int _hookCount;
        private ScriptInterpreter? _interpreter;

        private ScriptBoot(NetInterface netif, DhcpLease lease, NetDevice device, bool onPci, PciAddress pci, IPlatform platform, bool biosTrace)
        {
            _netif = netif;
            _lease = lease;
            _device = device;
            _onPci = onPci;
            _pci = pci;
            _platform = platform;
            _biosTrace = biosTrace;
        }

        /// <summary>Fetches and runs the script; false when it could not be had or ended in an error.</summary>
        internal static bool Run(ReadOnlySpan<byte> url, NetInterface netif, DhcpLease lease, NetDevice device, bool onPci, PciAddress pci, IPlatform platform, bool biosTrace)
        {
            DownloadBuffer script = new DownloadBuffer(MaxScriptBytes);
            if (!Fetch(url, netif, platform, script))
            {
                return false;
            }

            ScriptBoot host = new ScriptBoot(netif, lease, device, onPci, pci, platform, biosTrace);
            ScriptInterpreter interpreter = new ScriptInterpreter(host);
            host._interpreter = interpreter;
            ScriptStatus status = interpreter.Run(script.Data);
            if (status != ScriptStatus.Success)
            {
                Span<byte> text = stackalloc byte[256];
                int length = interpreter.FormatError(text);
                Log.Milestone("script").Text(" status=failed line=").Dec((ulong)interpreter.ErrorLine).Text(" reason=")
                    .Ascii(text.Slice(0, length < 0 ? 0 : length > text.Length ? text.Length : length)).End();
                return false;
            }

            Log.Milestone("script").Text(" status=done lines=").Dec((ulong)interpreter.LinesRun).End();
            return true;
        }

        private static bool Fetch(ReadOnlySpan<byte> url, NetInterface netif, IPlatform platform, DownloadBuffer script)
        {
            UrlFetcher fetcher = new UrlFetcher(netif, (uint)platform.ReadTimestampCounter());
            if (!fetcher.Start(url, script))
            {
                Log.Milestone("script").Text(" status=failed reason=script= takes a tftp:// or http:// URL").End();
                return false;
            }

            ulong start = netif.Clock.Milliseconds;
            while (!fetcher.IsDone && netif.Clock.Milliseconds - start < FetchTimeoutMs)
            {
                netif.Poll();
                fetcher.Poll();
            }

            if (fetcher.State != FetchState.Complete)
            {
                Span<byte> reason = stackalloc byte[160];
                int length = fetcher.IsDone ? fetcher.DescribeFailure(reason) : 0;
                Log.Milestone("script").Text(" status=failed reason=")
                    .Ascii(length > 0 ? reason.Slice(0, length < reason.Length ? length : reason.Length) : "no answer in 30 s"u8).End();
                return false;
            }

            Log.Milestone("script").Text(" fetched bytes=").Dec((ulong)script.Length).End();
            return true;
        }

        public int FetchSetting(ReadOnlySpan<byte> name, Span<byte> destination)
        {
            Span<byte> text = stackalloc byte[64];
            int length = -1;
            if (name.SequenceEqual("net0/mac"u8) || name.SequenceEqual("mac"u8))
            {
                length = _device.Mac.Format(text);
            }
            else if (name.SequenceEqual("net0/ip"u8) || name.SequenceEqual("ip"u8))
            {
                length = _netif.Address.Format(text);
            }
            else if (name.SequenceEqual("net0/netmask"u8) || name.SequenceEqual("netmask"u8))
            {
                length = _netif.Netmask.Format(text);
            }
            else if (name.SequenceEqual("net0/gateway"u8) || name.SequenceEqual("gateway"u8))
            {
                length = _netif.Gateway.Format(text);
            }
            else if (name.SequenceEqual("uuid"u8))
            {
                Span<byte> uuid = stackalloc byte[16];
                length = Bootstage.Kernel.Core.SanBoot.FindSystemUuid(uuid) ? InitiatorName.FormatSmbiosUuid(uuid, text) : -1;
            }
            else if (_lease != null && name.SequenceEqual("root-path"u8))
            {
                return CopyOut(_lease.RootPath, destination);
            }
            else if (_lease != null && name.SequenceEqual("hostname"u8))
            {
                return CopyOut(_lease.HostName, destination);
            }

            return length < 0 ? -1 : CopyOut(text.Slice(0, length), destination);
        }

        private static int CopyOut(ReadOnlySpan<byte> value, Span<byte> destination)
        {
            if (value.IsEmpty)
            {
                return -1;
            }

            if (value.Length <= destination.Length)
            {
                value.CopyTo(destination);
            }

            return value.Length;
        }

        // The network came up before the script (DHCP or ip=); there is one NIC to boot from.
        public ScriptStatus Dhcp(ReadOnlySpan<byte> device) => Single(device) ? ScriptStatus.Success : ScriptStatus.NoNetwork;

        public ScriptStatus IfOpen(ReadOnlySpan<byte> device) => Single(device) ? ScriptStatus.Success : ScriptStatus.NoNetwork;

        private static bool Single(ReadOnlySpan<byte> device) => device.IsEmpty || device.SequenceEqual("net0"u8);

        public ScriptStatus SanHook(ReadOnlySpan<byte> rootPath, in ScriptSanRequest request)
        {
            if (_hookCount == MaxHooks || rootPath.IsEmpty)
            {
                return ScriptStatus.SanHookFailed;
            }

            _hooks[_hookCount++] = rootPath.ToArray();
            Log.Begin(LogLevel.Info).Text("script: sanhook ").Ascii(rootPath).Text(" (hooked when sanboot runs)").End();
            return ScriptStatus.Success;
        }

        public ScriptStatus SanUnhook(in ScriptSanRequest request)
        {
            if (_hookCount == 0)
            {
                return ScriptStatus.NoSuchDrive;
            }

            _hookCount--;
            return ScriptStatus.Success;
        }

        // Returns only when the boot did not happen or the loader gave up (SanBoot logs which).
        public ScriptStatus SanBoot(ReadOnlySpan<byte> rootPath, in ScriptSanRequest request)
        {
            byte[] words = new byte[4096];
            int length = ComposeWords(rootPath, in request, words);
            if (length < 0)
            {
                Log.Milestone("script").Text(" status=failed reason=a sanboot setting holds a quote or is too long").End();
                return ScriptStatus.SanBootFailed;
            }

            ReadOnlySpan<byte> text = new ReadOnlySpan<byte>(words, 0, length);
            BootOptions options = BootOptions.Parse(text);
            bool booted = Bootstage.Kernel.Core.SanBoot.Run(_netif, _lease, _device, _onPci, _pci, _platform, text, in options);
            return booted && !options.WantsSanBoot ? ScriptStatus.Success : ScriptStatus.SanBootFailed;
        }

        // The words SanBoot reads: the root path (or the first hooked one), the further hooks, the
        // credentials and switches the script set, and the kernel's own bios-trace.
        private int ComposeWords(ReadOnlySpan<byte> rootPath, in ScriptSanRequest request, Span<byte> words)
        {
            int at = 0;
            int first = 0;
            if (rootPath.IsEmpty)
            {
                if (_hookCount == 0)
                {
                    return -1;
                }

                rootPath = _hooks[0];
                first = 1;
            }

            at = Word(words, at, "root-path"u8, rootPath);
            for (int i = first; i < _hookCount && at >= 0; i++)
            {
                at = Word(words, at, "sanhook"u8, _hooks[i]);
            }

            ScriptSettings settings = request.Settings;
            Span<byte> value = stackalloc byte[ScriptSettings.MaxValueLength];
            ReadOnlySpan<byte> names = "initiator-iqn username password reverse-username reverse-password san-retries"u8;
            while (at >= 0 && !names.IsEmpty)
            {
                int space = names.IndexOf((byte)' ');
                ReadOnlySpan<byte> name = space < 0 ? names : names.Slice(0, space);
                names = space < 0 ? default : names.Slice(space + 1);
                int length = settings.Fetch(name, value);
                if (length > 0 && length <= value.Length)
                {
                    at = Word(words, at, name, value.Slice(0, length));
                }
            }

            if (at >= 0 && request.Drive != ScriptSanRequest.DefaultDrive)
            {
                Span<byte> number = stackalloc byte[8];
                number[0] = (byte)'0';
                number[1] = (byte)'x';
                number[2] = (byte)"0123456789abcdef"u8[(request.Drive >> 4) & 0xF];
                number[3] = (byte)"0123456789abcdef"u8[request.Drive & 0xF];
                at = Word(words, at, "san-drive"u8, number.Slice(0, 4));
            }

            at = Flag(words, at, "keep-san"u8, request.Keep || settings.IsTrue("keep-san"u8));
            at = Flag(words, at, "skip-san-boot"u8, settings.IsTrue("skip-san-boot"u8));
            return Flag(words, at, "bios-trace"u8, _biosTrace);
        }

        private static int Word(Span<byte> words, int at, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            if (at < 0 || value.IndexOf((byte)'"') >= 0 || at + key.Length + value.Length + 4 > words.Length)
            {
                return -1;
            }

            key.CopyTo(words.Slice(at));
            at += key.Length;
            words[at++] = (byte)'=';
            words[at++] = (byte)'"';
            value.CopyTo(words.Slice(at));
            at += value.Length;
            words[at++] = (byte)'"';
            words[at++] = (byte)' ';
            return at;
        }

        private static int Flag(Span<byte> words, int at, ReadOnlySpan<byte> key, bool set)
        {
            if (at < 0 || !set)
            {
                return at;
            }

            if (at + key.Length + 1 > words.Length)
            {
                return -1;
            }

            key.CopyTo(words.Slice(at));
            at += key.Length;
            words[at++] = (byte)' ';
            return at;
        }

        public ScriptStatus Sleep(uint milliseconds)
        {
            ulong start = _netif.Clock.Milliseconds;
            while (_netif.Clock.Milliseconds - start < milliseconds)
            {
                _netif.Poll();
            }

            return ScriptStatus.Success;
        }

        public void Echo(ReadOnlySpan<byte> text)
        {
            // Line by line through the log, so script output reaches serial and VGA as ours does.
            while (!text.IsEmpty)
            {
                int newline = text.IndexOf((byte)'\n');
                ReadOnlySpan<byte> line = newline < 0 ? text : text.Slice(0, newline);
                Log.Plain().Ascii(line).End();
                text = newline < 0 ? default : text.Slice(newline + 1);
            }
        }
    }
}
