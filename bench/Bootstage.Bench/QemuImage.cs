// Boots out/bootstage.bin in QEMU/TCG with virtio-net on the user network and returns the
// serial console text, for the benchmarks that read figures from the image's milestone lines.
using System;
using System.Diagnostics;
using System.IO;

namespace Bootstage.Bench
{
    internal static class QemuImage
    {
        /// <summary>The serial output, or null when the image has not been built.</summary>
        public static string? Boot(string append)
        {
            string root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "Cosmos.sln")))
            {
                root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Cosmos.sln not found");
            }

            string image = Path.Combine(root, "out", "bootstage.bin");
            if (!File.Exists(image))
            {
                return null;
            }

            ProcessStartInfo start = new ProcessStartInfo("qemu-system-x86_64",
                $"-machine pc -accel tcg -cpu qemu64 -m 256 -display none -serial stdio -monitor none -no-reboot "
                + "-device isa-debug-exit,iobase=0xf4,iosize=0x04 -netdev user,id=n0 -device virtio-net-pci,netdev=n0 "
                + $"-kernel \"{image}\" -append \"{append}\"")
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            using Process qemu = Process.Start(start)!;
            string output = qemu.StandardOutput.ReadToEnd();
            qemu.WaitForExit();
            return output;
        }
    }
}
