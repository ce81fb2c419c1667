// A real TFTP server for the tests: Debian's dnsmasq with only its TFTP server on (--port=0 turns
// DNS off) on 127.0.0.2:69, serving files from a temporary directory. Our stack reaches it through
// slirp's NAT via the gateway 10.0.2.2 (whose own port 69 is slirp's built-in server, which is why
// dnsmasq is not on 127.0.0.1). One server per test class: port 69 is fixed. dnsmasq answers from a
// fresh port per transfer, as RFC 1350 wants. Used only once it has answered a read request of
// ours (a file it then serves), so no test meets a server still starting.
using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace Bootstage.Integration.Tests
{
    public sealed class TftpServer : IDisposable
    {
        private static readonly TimeSpan ReadyLimit = TimeSpan.FromSeconds(30);

        private readonly Process _dnsmasq;
        private readonly StringBuilder _log = new StringBuilder();

        public TftpServer()
        {
            Root = Path.Combine(Path.GetTempPath(), "bootstage-tftp-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Root);
            File.WriteAllText(Path.Combine(Root, "ready"), "ready");
            ProcessStartInfo start = new ProcessStartInfo("/usr/sbin/dnsmasq",
                "--keep-in-foreground --no-resolv --no-hosts --no-poll --pid-file= --user=root --port=0 "
                + "--bind-interfaces --listen-address=" + Address + " --enable-tftp --tftp-root=" + Root + " --log-facility=-")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            _dnsmasq = Process.Start(start) ?? throw new InvalidOperationException("dnsmasq did not start");
            DataReceivedEventHandler keep = (_, e) =>
            {
                if (e.Data != null)
                {
                    lock (_log)
                    {
                        _log.Append(e.Data).Append('\n');
                    }
                }
            };
            _dnsmasq.OutputDataReceived += keep;
            _dnsmasq.ErrorDataReceived += keep;
            _dnsmasq.BeginOutputReadLine();
            _dnsmasq.BeginErrorReadLine();
            if (!WaitUntilServing(out string why))
            {
                Dispose();
                throw new InvalidOperationException("dnsmasq's TFTP server never answered: " + why + "; its log: " + Log);
            }
        }

        /// <summary>
        /// Where dnsmasq listens: not 127.0.0.1, because slirp answers the guest's 10.0.2.2:69 with
        /// its own built-in TFTP server; slirp forwards 127.0.0.2 to the host unchanged.
        /// </summary>
        public const string Address = "127.0.0.2";

        public string Root { get; }

        public string Log
        {
            get
            {
                lock (_log)
                {
                    return _log.ToString();
                }
            }
        }

        public byte[] AddFile(string name, int length, int seed)
        {
            byte[] data = new byte[length];
            new Random(seed).NextBytes(data);
            File.WriteAllBytes(Path.Combine(Root, name), data);
            return data;
        }

        // Plain RRQ for "ready" until DATA block 1 comes back (then an ERROR ends that transfer).
        private bool WaitUntilServing(out string why)
        {
            byte[] request = Encoding.ASCII.GetBytes("\0\u0001ready\0octet\0");
            using UdpClient client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            client.Client.ReceiveTimeout = 500;
            Stopwatch waited = Stopwatch.StartNew();
            why = "no answer in " + ReadyLimit.TotalSeconds + " s";
            while (waited.Elapsed < ReadyLimit)
            {
                if (_dnsmasq.HasExited)
                {
                    _dnsmasq.WaitForExit();
                    why = "it exited with " + _dnsmasq.ExitCode;
                    return false;
                }

                try
                {
                    client.Send(request, request.Length, new IPEndPoint(IPAddress.Parse(Address), 69));
                    IPEndPoint? from = null;
                    byte[] reply = client.Receive(ref from);
                    if (reply.Length >= 4 && reply[1] == 3)
                    {
                        byte[] error = Encoding.ASCII.GetBytes("\0\u0005\0\0done\0");
                        client.Send(error, error.Length, from);
                        return true;
                    }
                }
                catch (SocketException error) when (error.SocketErrorCode == SocketError.ConnectionReset
                    || error.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    Thread.Sleep(20); // not bound yet: ICMP port unreachable
                }
                catch (SocketException error) when (error.SocketErrorCode == SocketError.TimedOut)
                {
                    // bound but not answering yet: ask again
                }
            }

            return false;
        }

        public void Dispose()
        {
            if (!_dnsmasq.HasExited)
            {
                _dnsmasq.Kill();
            }

            _dnsmasq.WaitForExit();
            _dnsmasq.Dispose();
            try
            {
                Directory.Delete(Root, true);
            }
            catch (IOException)
            {
                // a leftover temporary directory is harmless
            }
        }
    }
}
