// `-- sanread [MiB] [runs]`: SAN boot read speed of our image against Debian's iPXE, side by side.
// One tgtd LUN (64 MiB of pseudo-random bytes) holds our reader program (BootSectors/sanread.asm,
// assembled here with nasm) in blocks 0-3. Each run boots QEMU/TCG with virtio-net on slirp, once
// with our image (root-path= on its command line) and once with iPXE's ipxe.lkrn (`dhcp` then
// `sanboot` as its command-line script), alternating, so a slow or fast spell of the machine falls
// on both. The reader times its own INT 13h AH=42h calls; this side times QEMU start -> the reader's
// first line. A checksum that differs from the file's is a failed run (exit 1), never a figure.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Bootstage.Iscsi.Peers;

namespace Bootstage.Bench
{
    internal static class SanReadBenchmark
    {
        public const string IpxePath = "/usr/lib/ipxe/ipxe.lkrn";

        private const string Iqn = "iqn.2026-12.org.bootstage.bench:sanread";
        private const int ProgramBlocks = 4;
        private const int TimeoutSeconds = 300;

        private static readonly Regex Done = new Regex(
            @"@sanread done drive=([0-9a-f]{2}) bytes=(\d+) sum=([0-9a-f]{8}):([0-9a-f]{8}) io-us=(\d+) all-us=(\d+) tsc-per-pit=(\d+) calls=(\d+)");

        public sealed record Run(double StartSeconds, double IoSeconds, long Bytes, int Calls)
        {
            public double MiBPerSecond => Bytes / IoSeconds / (1 << 20);
        }

        /// <summary>
        /// <paramref name="baseline"/>: another build of our image (a path), booted as a third kernel
        /// in the same alternation, so a change is judged against the build before it under the
        /// same load; null for ours and iPXE only.
        /// </summary>
        public static int Execute(int mib, int runs, string? baseline)
        {
            if (baseline != null && !File.Exists(baseline))
            {
                Console.Error.WriteLine($"sanread: baseline image {baseline} does not exist");
                return 2;
            }

            return WithLun(mib, (image, target, rootPath, expectedSum) => Measure(image, target, mib, runs, rootPath, expectedSum, baseline));
        }

        /// <summary>
        /// Makes the LUN (the reader for <paramref name="mib"/> MiB in blocks 0-3, pseudo-random bytes
        /// after it), serves it from a tgtd on loopback and calls <paramref name="body"/> with our image,
        /// the target, the root path a guest on slirp uses, and the sum the reader must print.
        /// </summary>
        public static int WithLun(int mib, Func<string, TgtdTarget, string, string, int> body)
        {
            string? image = QemuImage.ImagePath;
            if (image == null)
            {
                Console.Error.WriteLine("sanread: out/bootstage.bin is missing: ./build.sh image");
                return 2;
            }

            if (!File.Exists(IpxePath))
            {
                Console.Error.WriteLine($"sanread: {IpxePath} is missing: apt-get install ipxe (./build.sh deps)");
                return 2;
            }

            string directory = Path.Combine(Path.GetTempPath(), "bootstage-bench-sanread-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                long size = Math.Max(64L << 20, ((long)mib << 20) + ProgramBlocks * 512);
                string file = TgtdTarget.CreateBackingFile(Path.Combine(directory, "lun.img"), size, 13);
                TgtdTarget.WriteAt(file, 0, Assemble(directory, mib));
                (uint a, uint b) = Checksum(file, ProgramBlocks * 512L, (long)mib << 20);
                using TgtdTarget target = TgtdTarget.Start(Path.Combine(directory, "tgtd"));
                target.AddTarget(1, Iqn);
                target.AddLun(1, 1, file);
                target.BindAll(1);
                // A copy: others may rebuild out/bootstage.bin while the runs go on.
                string copy = Path.Combine(directory, "bootstage.bin");
                File.Copy(image, copy);
                return body(copy, target, $"iscsi:10.0.2.2::{target.Port}:1:{Iqn}", $"{a:x8}:{b:x8}");
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        /// <summary>The two kernels compared, with the command line that makes each SAN-boot <paramref name="rootPath"/>.</summary>
        public static (string Name, string Kernel, string Append)[] Kernels(string image, string rootPath)
        {
            return new[]
            {
                ("ours", image, $"console=serial root-path={rootPath}"),
                ("iPXE", IpxePath, $"dhcp && sanboot {rootPath}"),
            };
        }

        private static int Measure(string image, TgtdTarget target, int mib, int runs, string rootPath, string expectedSum, string? baseline)
        {
            var kernels = Kernels(image, rootPath);
            if (baseline != null)
            {
                kernels = kernels.Append(("base", Path.GetFullPath(baseline), kernels[0].Append)).ToArray();
            }

            Console.WriteLine($"SAN boot read: {mib} MiB through INT 13h AH=42h (127 blocks a call) by the LUN's own boot program,");
            Console.WriteLine($"QEMU/TCG, virtio-net, slirp, tgtd 64 MiB LUN on 127.0.0.1:{target.Port}; {runs} alternating runs");
            // ipxe.lkrn is a symbolic link into /boot: the size is the file's.
            long ipxeSize = File.ReadAllBytes(IpxePath).Length;
            Console.WriteLine($"kernels: ours {new FileInfo(image).Length / 1024} KiB, iPXE {ipxeSize / 1024} KiB: ours/iPXE {new FileInfo(image).Length / (double)ipxeSize:F2}");
            Console.WriteLine("run  kernel   MiB/s   INT 13h s   calls   QEMU start -> boot sector s");
            List<Run>[] results = kernels.Select(_ => new List<Run>()).ToArray();
            for (int run = 1; run <= runs; run++)
            {
                for (int k = 0; k < kernels.Length; k++)
                {
                    TimedBoot boot = QemuImage.BootTimed(kernels[k].Kernel, kernels[k].Append, TimeoutSeconds);
                    Run? result = Parse(boot, expectedSum, (long)mib << 20, out string problem);
                    if (result == null)
                    {
                        Console.WriteLine($"{run,3}  {kernels[k].Name,-6}   FAILED: {problem}");
                        Console.WriteLine($"exit={boot.ExitCode} timedOut={boot.TimedOut}; console:");
                        Console.WriteLine(boot.Serial);
                        return 1;
                    }

                    results[k].Add(result);
                    Console.WriteLine($"{run,3}  {kernels[k].Name,-6} {result.MiBPerSecond,7:F1}   {result.IoSeconds,9:F3}   {result.Calls,5}   {result.StartSeconds,27:F2}");
                }
            }

            double oursRate = Median(results[0].Select(r => r.MiBPerSecond));
            double ipxeRate = Median(results[1].Select(r => r.MiBPerSecond));
            double oursStart = Median(results[0].Select(r => r.StartSeconds));
            double ipxeStart = Median(results[1].Select(r => r.StartSeconds));
            Console.WriteLine($"median  ours {oursRate:F1} MiB/s, iPXE {ipxeRate:F1} MiB/s: ours/iPXE {oursRate / ipxeRate:F2} (target >= 3)");
            Console.WriteLine($"median  QEMU start -> boot sector: ours {oursStart:F2} s, iPXE {ipxeStart:F2} s: ours/iPXE {oursStart / ipxeStart:F3} (target <= 0.1)");
            if (baseline != null)
            {
                double baseRate = Median(results[2].Select(r => r.MiBPerSecond));
                double baseStart = Median(results[2].Select(r => r.StartSeconds));
                Console.WriteLine($"median  baseline {baseRate:F1} MiB/s (ours/baseline {oursRate / baseRate:F2}), boot sector at {baseStart:F2} s; baseline/iPXE {baseRate / ipxeRate:F2}");
            }
            return 0;
        }

        /// <summary>The run's figures, or null with <paramref name="problem"/> set: a wrong checksum or size is a failure.</summary>
        public static Run? Parse(TimedBoot boot, string expectedSum, long expectedBytes, out string problem)
        {
            ConsoleLine? start = null;
            Match done = Match.Empty;
            foreach (ConsoleLine line in boot.Lines)
            {
                if (start == null && line.Text.Contains("@sanread start", StringComparison.Ordinal))
                {
                    start = line;
                }

                Match match = Done.Match(line.Text);
                if (match.Success)
                {
                    done = match;
                }
            }

            problem = string.Empty;
            if (start == null || !done.Success)
            {
                problem = start == null ? "the boot program never ran" : "the boot program did not finish";
                return null;
            }

            long bytes = long.Parse(done.Groups[2].Value, CultureInfo.InvariantCulture);
            string sum = done.Groups[3].Value + ":" + done.Groups[4].Value;
            if (bytes != expectedBytes || sum != expectedSum)
            {
                problem = $"read {bytes} bytes with sum {sum}; the LUN holds {expectedBytes} bytes with sum {expectedSum}";
                return null;
            }

            if (boot.ExitCode != 1)
            {
                problem = $"QEMU exited with {boot.ExitCode}, not 1 (the boot program's isa-debug-exit 0)";
                return null;
            }

            double io = long.Parse(done.Groups[5].Value, CultureInfo.InvariantCulture) / 1e6;
            return new Run(start.Value.Seconds, io, bytes, int.Parse(done.Groups[8].Value, CultureInfo.InvariantCulture));
        }

        private static byte[] Assemble(string directory, int mib)
        {
            string source = Path.Combine(AppContext.BaseDirectory, "BootSectors", "sanread.asm");
            string output = Path.Combine(directory, "sanread.bin");
            ProcessStartInfo start = new ProcessStartInfo("nasm") { RedirectStandardError = true, UseShellExecute = false };
            foreach (string argument in new[] { "-f", "bin", $"-DREAD_MIB={mib}", "-o", output, source })
            {
                start.ArgumentList.Add(argument);
            }

            using Process nasm = Process.Start(start) ?? throw new InvalidOperationException("nasm did not start");
            string errors = nasm.StandardError.ReadToEnd();
            nasm.WaitForExit();
            if (nasm.ExitCode != 0)
            {
                throw new InvalidOperationException("nasm: " + errors);
            }

            byte[] program = File.ReadAllBytes(output);
            if (program.Length != ProgramBlocks * 512 || program[510] != 0x55 || program[511] != 0xAA)
            {
                throw new InvalidOperationException($"sanread.asm assembled to {program.Length} bytes, not a {ProgramBlocks}-block boot program");
            }

            return program;
        }

        /// <summary>The reader's sum over <paramref name="length"/> bytes at <paramref name="offset"/>: a += w, b += a over LE 32-bit words.</summary>
        private static (uint A, uint B) Checksum(string file, long offset, long length)
        {
            using FileStream stream = File.OpenRead(file);
            stream.Seek(offset, SeekOrigin.Begin);
            byte[] chunk = new byte[1 << 20];
            uint a = 0;
            uint b = 0;
            for (long done = 0; done < length;)
            {
                int want = (int)Math.Min(chunk.Length, length - done);
                stream.ReadExactly(chunk, 0, want);
                for (int i = 0; i < want; i += 4)
                {
                    a += BinaryPrimitives.ReadUInt32LittleEndian(chunk.AsSpan(i));
                    b += a;
                }

                done += want;
            }

            return (a, b);
        }

        private static double Median(IEnumerable<double> values)
        {
            double[] sorted = values.OrderBy(v => v).ToArray();
            int middle = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }
    }
}
