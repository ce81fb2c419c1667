// A boot script end to end, the way the kernel is to use the pieces: our DHCP client takes a lease
// from slirp, UrlFetcher reads the script from dnsmasq's TFTP server, and ScriptInterpreter runs
// it over a host whose `dhcp` is our DHCP client again and whose settings are the interface's
// (net0/mac, ip) and the lease's. The SAN calls are recorded, not performed (no target here).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using Bootstage.Boot.Script;
using Bootstage.Net;
using Bootstage.Net.Dhcp;
using Bootstage.Net.Slirp;

namespace Bootstage.Integration.Tests
{
    [Collection(TftpServerCollection.Name)]
    public sealed class BootScriptTests
    {
        private static readonly byte[] Mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x5D };
        private readonly TftpServer _server;

        public BootScriptTests(TftpServer server)
        {
            _server = server;
        }

        private sealed class SlirpScriptHost : IScriptHost
        {
            private readonly NetInterface _netif;

            public SlirpScriptHost(NetInterface netif)
            {
                _netif = netif;
            }

            public List<string> Calls { get; } = new List<string>();

            public ScriptStatus SanBootResult { get; set; } = ScriptStatus.SanBootFailed;

            public int FetchSetting(ReadOnlySpan<byte> name, Span<byte> destination)
            {
                Span<byte> text = stackalloc byte[64];
                int length;
                if (name.SequenceEqual("net0/mac"u8) || name.SequenceEqual("mac"u8))
                {
                    length = _netif.Device.Mac.Format(text);
                }
                else if (name.SequenceEqual("ip"u8) && _netif.IsConfigured)
                {
                    length = _netif.Address.Format(text);
                }
                else
                {
                    return -1;
                }

                text.Slice(0, Math.Min(length, destination.Length)).CopyTo(destination);
                return length;
            }

            public ScriptStatus Dhcp(ReadOnlySpan<byte> device)
            {
                Calls.Add("dhcp");
                DhcpClient dhcp = new DhcpClient(_netif, 0x5151);
                dhcp.Start();
                Stopwatch limit = Stopwatch.StartNew();
                while (!dhcp.IsDone && limit.Elapsed < TimeSpan.FromSeconds(20))
                {
                    _netif.Poll();
                    dhcp.Poll();
                }

                return dhcp.State == DhcpState.Bound ? ScriptStatus.Success : ScriptStatus.DhcpFailed;
            }

            public ScriptStatus IfOpen(ReadOnlySpan<byte> device) => ScriptStatus.Success;

            public ScriptStatus SanHook(ReadOnlySpan<byte> rootPath, in ScriptSanRequest request) => ScriptStatus.SanHookFailed;

            public ScriptStatus SanBoot(ReadOnlySpan<byte> rootPath, in ScriptSanRequest request)
            {
                byte[] iqn = new byte[256];
                int length = request.Settings.Fetch("initiator-iqn"u8, iqn);
                Calls.Add("sanboot 0x" + request.Drive.ToString("x2") + " " + Encoding.ASCII.GetString(rootPath) + " as " + Encoding.ASCII.GetString(iqn, 0, Math.Max(length, 0)));
                return SanBootResult;
            }

            public ScriptStatus SanUnhook(in ScriptSanRequest request) => ScriptStatus.Success;

            public ScriptStatus Sleep(uint milliseconds) => ScriptStatus.Success;

            public void Echo(ReadOnlySpan<byte> text) => Calls.Add("echo " + Encoding.ASCII.GetString(text).TrimEnd('\n'));
        }

        [Fact]
        public void A_script_fetched_by_tftp_runs_against_the_live_stack()
        {
            File.WriteAllText(Path.Combine(_server.Root, "san.ipxe"),
                "#!ipxe\n"
                + "dhcp\n"
                + "echo ${net0/mac} got ${ip}\n"
                + "set initiator-iqn iqn.2024-01.test:${net0/mac}\n"
                + "isset ${root-path} || set root-path iscsi:10.0.2.2:::1:iqn.2024-01.test:disk\n"
                + "sanboot --drive 0x80 ${root-path} || goto failed\n"
                + "exit\n"
                + ":failed\n"
                + "echo boot failed\n"
                + "exit 1\n");
            using SlirpNetwork slirp = new SlirpNetwork();
            NetInterface netif = new NetInterface(new SlirpNetDevice(slirp, Mac), new WallClock());
            SlirpScriptHost host = new SlirpScriptHost(netif);
            Assert.Equal(ScriptStatus.Success, host.Dhcp(default));

            UrlFetcher fetcher = new UrlFetcher(netif, 99);
            DownloadBuffer script = new DownloadBuffer(ScriptInterpreter.MaxLineLength * 4);
            Assert.True(fetcher.Start(Encoding.ASCII.GetBytes("tftp://" + TftpServer.Address + "/san.ipxe"), script));
            Stopwatch limit = Stopwatch.StartNew();
            while (!fetcher.IsDone && limit.Elapsed < TimeSpan.FromSeconds(30))
            {
                netif.Poll();
                fetcher.Poll();
            }

            Assert.Equal(FetchState.Complete, fetcher.State);
            host.Calls.Clear();
            ScriptInterpreter interpreter = new ScriptInterpreter(host);
            ScriptStatus status = interpreter.Run(script.Data);
            Assert.Equal(ScriptStatus.ExitNonZero, status);
            Assert.Equal(1u, interpreter.ExitCode);
            Assert.Equal(10, interpreter.ErrorLine);
            Assert.Equal(new[]
            {
                "dhcp",
                "echo 52:54:00:12:34:5d got 10.0.2.15",
                "sanboot 0x80 iscsi:10.0.2.2:::1:iqn.2024-01.test:disk as iqn.2024-01.test:52:54:00:12:34:5d",
                "echo boot failed",
            }, host.Calls);
        }
    }
}
