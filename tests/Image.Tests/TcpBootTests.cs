// TCP from the image: over virtio-net and QEMU's slirp to an echo server this test runs on
// 127.0.0.1 (slirp maps 10.0.2.2 to the host). 1 MiB goes out and must come back byte for byte;
// the kernel reports the result and an FNV-1a of what it received, which the test recomputes.
using System;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Threading;

namespace Bootstage.Image.Tests
{
    public class TcpBootTests
    {
        private static byte Pattern(long i) => (byte)(i * 13 + (i >> 9));

        [Fact]
        public void The_image_completes_a_1_MiB_tcp_echo_with_a_host_server()
        {
            const int size = 1 << 20;
            TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            long echoed = 0;
            Exception? serverError = null;
            Thread server = new Thread(() =>
            {
                try
                {
                    using Socket socket = listener.AcceptSocket();
                    byte[] buffer = new byte[64 * 1024];
                    int read;
                    while ((read = socket.Receive(buffer)) > 0)
                    {
                        socket.Send(buffer, 0, read, SocketFlags.None);
                        echoed += read;
                    }
                }
                catch (SocketException)
                {
                    // The guest's end went away with QEMU, or nobody connected before Stop.
                }
                catch (Exception error)
                {
                    // Kept for the test: thrown on this thread it would take the test host down.
                    serverError = error;
                }
            })
            { IsBackground = true };
            server.Start();

            QemuResult result = Qemu.BootKernel($"console=serial nettest=tcp-echo:{port}:{size}",
                extraArguments: "-netdev user,id=n0 -device virtio-net-pci,netdev=n0");
            listener.Stop();
            // The guest can finish (and QEMU exit) before the server thread has counted the last
            // bytes it echoed: read the count only once the thread is done (the guest's connection
            // is gone with QEMU, and a guest that never connected ends the Accept with Stop).
            Assert.True(server.Join(TimeSpan.FromSeconds(60)), "the echo server did not finish");
            Assert.Null(serverError);

            uint fnv = 2166136261;
            for (long i = 0; i < size; i++)
            {
                fnv = (fnv ^ Pattern(i)) * 16777619;
            }

            Match match = Regex.Match(result.Serial, @"@milestone name=tcp-echo result=(\w+) bytes=(\d+) mismatches=(\d+) fnv=0x([0-9a-f]+)");
            Assert.True(match.Success, result.ToString());
            Assert.Equal("ok", match.Groups[1].Value);
            Assert.Equal(size.ToString(), match.Groups[2].Value);
            Assert.Equal("0", match.Groups[3].Value);
            Assert.Equal(fnv.ToString("x8"), match.Groups[4].Value);
            Assert.Equal(size, echoed);
            Assert.Equal(1, result.ExitCode);
        }
    }
}
