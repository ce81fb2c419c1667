// `nettest=tcp-echo:<port>[:<bytes>]` and `nettest=tcp-rx:<port>[:<bytes>]`: after the network is
// configured, connect to the QEMU host (10.0.2.2 = the host's 127.0.0.1 under slirp) and either
// send a pattern and check the echo byte for byte, or just receive. Reports
// `@milestone name=tcp-echo bytes=... mismatches=... fnv=...` or `name=tcp-rx bytes=... us=...`
// (the figures the image benchmark reads).
using System;
using Bootstage.Kernel.Console;
using Bootstage.Kernel.Hardware;
using Bootstage.Net;
using Bootstage.Net.Tcp;

namespace Bootstage.Kernel.Core
{
    internal static class TcpNetTest
    {
        private const ulong TimeoutMicroseconds = 120_000_000;

        private static byte Pattern(long i) => (byte)(i * 13 + (i >> 9));

        /// <summary>Runs the test named by the nettest value; false when it is not a TCP test.</summary>
        internal static bool TryRun(ReadOnlySpan<byte> spec, NetInterface netif, Clock clock, ulong seed, out bool passed)
        {
            passed = false;
            bool echo = spec.StartsWith("tcp-echo:"u8);
            bool receive = spec.StartsWith("tcp-rx:"u8);
            if (!echo && !receive)
            {
                return false;
            }

            ReadOnlySpan<byte> rest = spec.Slice(echo ? 9 : 7);
            int colon = rest.IndexOf((byte)':');
            ulong port = ParseNumber(colon < 0 ? rest : rest.Slice(0, colon));
            ulong size = colon < 0 ? 1UL << 20 : ParseNumber(rest.Slice(colon + 1));
            if (netif == null || port == 0 || port > 65535 || size == 0)
            {
                Log.Milestone(echo ? "tcp-echo" : "tcp-rx").Text(" result=invalid").End();
                return true;
            }

            TcpConnection tcp = new TcpConnection(netif);
            tcp.Connect(new Ipv4Address(10, 0, 2, 2), (ushort)port, (ushort)(49152 + (seed & 0x3FFF)), (uint)(seed * 2654435761UL >> 7));
            byte[] buffer = new byte[64 * 1024];
            ulong start = clock.Microseconds;
            long sent = 0;
            long received = 0;
            long mismatches = 0;
            uint fnv = 2166136261;
            while (received < (long)size && clock.Microseconds - start < TimeoutMicroseconds)
            {
                netif.Poll(256);
                tcp.Poll();
                if (tcp.WasReset || tcp.TimedOut || tcp.State == TcpState.Closed)
                {
                    break;
                }

                if (echo && tcp.IsEstablished && sent < (long)size)
                {
                    int length = (int)Math.Min((ulong)buffer.Length, size - (ulong)sent);
                    for (int i = 0; i < length; i++)
                    {
                        buffer[i] = Pattern(sent + i);
                    }

                    sent += tcp.Write(new ReadOnlySpan<byte>(buffer, 0, length));
                }

                int read = tcp.Read(buffer);
                for (int i = 0; i < read; i++)
                {
                    if (echo && buffer[i] != Pattern(received + i))
                    {
                        mismatches++;
                    }

                    fnv = (fnv ^ buffer[i]) * 16777619;
                }

                received += read;
            }

            ulong elapsed = clock.Microseconds - start;
            tcp.Close();
            for (int i = 0; i < 20000 && tcp.State != TcpState.Closed && tcp.State != TcpState.TimeWait; i++)
            {
                netif.Poll(256);
                tcp.Poll();
            }

            passed = received == (long)size && mismatches == 0;
            Log.Milestone(echo ? "tcp-echo" : "tcp-rx").Text(passed ? " result=ok" : " result=failed")
                .Text(" bytes=").Dec((ulong)received).Text(" mismatches=").Dec((ulong)mismatches)
                .Text(" fnv=0x").Hex(fnv, 8).Text(" us=").Dec(elapsed)
                .Text(" retransmits=").Dec(tcp.Counters.Retransmits).Text(" ooo=").Dec(tcp.Counters.OutOfOrderQueued).End();
            return true;
        }

        private static ulong ParseNumber(ReadOnlySpan<byte> text)
        {
            ulong value = 0;
            if (text.Length == 0 || text.Length > 12)
            {
                return 0;
            }

            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] < (byte)'0' || text[i] > (byte)'9')
                {
                    return 0;
                }

                value = value * 10 + (ulong)(text[i] - '0');
            }

            return value;
        }
    }
}
