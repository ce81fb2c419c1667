// TCP receive throughput: in-process through our stack and libslirp from a host socket on
// 127.0.0.1, and in QEMU/TCG through the image's stack over virtio-net (the kernel reports the
// microseconds it took in its tcp-rx milestone).
using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Threading;
using Bootstage.Net;
using Bootstage.Net.Slirp;
using Bootstage.Net.Tcp;

namespace Bootstage.Bench
{
    internal static class TcpBenchmark
    {
        private static (TcpListener Listener, Thread Server) Serve(long size)
        {
            TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Thread server = new Thread(() =>
            {
                try
                {
                    using Socket socket = listener.AcceptSocket();
                    byte[] buffer = new byte[256 * 1024];
                    new Random(3).NextBytes(buffer);
                    long sent = 0;
                    while (sent < size)
                    {
                        int length = (int)Math.Min(buffer.Length, size - sent);
                        sent += socket.Send(buffer, 0, length, SocketFlags.None);
                    }

                    socket.Shutdown(SocketShutdown.Send);
                    Thread.Sleep(200);
                }
                catch (SocketException)
                {
                }
            })
            { IsBackground = true };
            server.Start();
            return (listener, server);
        }

        public static void InProcess(long size)
        {
            using SlirpNetwork slirp = new SlirpNetwork();
            SlirpNetDevice device = new SlirpNetDevice(slirp, new byte[] { 0x52, 0x54, 0, 0x12, 0x34, 0x56 });
            NetInterface netif = new NetInterface(device, new WallClock());
            netif.Configure(new Ipv4Address(10, 0, 2, 15), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(10, 0, 2, 2), default);
            (TcpListener listener, Thread _) = Serve(size);
            TcpConnection tcp = new TcpConnection(netif);
            tcp.Connect(new Ipv4Address(10, 0, 2, 2), (ushort)((IPEndPoint)listener.LocalEndpoint).Port, 42000, 0x1000);
            byte[] buffer = new byte[256 * 1024];
            long received = 0;
            Stopwatch watch = Stopwatch.StartNew();
            while (!tcp.RemoteClosed && watch.Elapsed < TimeSpan.FromMinutes(2))
            {
                netif.Poll(256);
                tcp.Poll();
                received += tcp.Read(buffer);
            }

            watch.Stop();
            listener.Stop();
            Console.WriteLine($"tcp RX in-process over slirp: {received >> 20} MiB in {watch.Elapsed.TotalSeconds:0.000} s = {received / watch.Elapsed.TotalSeconds / (1 << 20):0.0} MiB/s");
        }

        public static void Qemu(long size)
        {
            (TcpListener listener, Thread _) = Serve(size);
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            string output = QemuImage.Boot($"console=serial nettest=tcp-rx:{port}:{size}") ?? string.Empty;
            listener.Stop();
            Match match = Regex.Match(output, @"name=tcp-rx result=(\w+) bytes=(\d+) .* us=(\d+)");
            if (!match.Success)
            {
                Console.WriteLine("tcp RX in QEMU over virtio-net: no result (build the image with ./build.sh image)");
                return;
            }

            double bytes = double.Parse(match.Groups[2].Value);
            double seconds = double.Parse(match.Groups[3].Value) / 1e6;
            Console.WriteLine($"tcp RX in QEMU/TCG over virtio-net: {match.Groups[1].Value}, {bytes / (1 << 20):0} MiB in {seconds:0.000} s = {bytes / seconds / (1 << 20):0.0} MiB/s");
        }
    }
}
