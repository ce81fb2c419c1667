// `-- sanprofile [MiB] [ours|ipxe|both]`: where the guest's instructions go while the LUN's boot program reads, for
// our image and for iPXE, from QEMU's own logs (this QEMU has no TCG plugins). Under TCG the time a
// read takes follows the guest instructions executed, so this is the profile the SAN read
// optimisations are judged by. QEMU logs every translated block with its instructions (in_asm) and
// every execution of a block (exec, with chaining off so none is skipped), into a FIFO that this
// side parses as it comes: instructions executed = sum over executions of the block's length.
// Counting starts when the guest first runs 0000:7C00 (the boot program), so DHCP, login and the
// handoff are left out. Our blocks are named by the symbols of out/native/bootstage.elf; below
// 1 MiB and for iPXE (no symbols shipped) by region. Logging slows QEMU a hundredfold: the figures
// are instruction counts, not speeds.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;

namespace Bootstage.Bench
{
    internal static class SanProfile
    {
        private const ulong BootSector = 0x7C00;
        private const ulong ReaderEnd = 0x7C00 + 4 * 512;

        /// <summary><paramref name="which"/>: "ours", "ipxe" or "both" (iPXE's profile does not change with our work).</summary>
        public static int Execute(int mib, string which)
        {
            return SanReadBenchmark.WithLun(mib, (image, target, rootPath, expectedSum) =>
            {
                Symbols ours = Symbols.Load(Path.Combine(QemuImage.RepositoryRoot, "out", "native", "bootstage.elf"));
                Console.WriteLine($"Guest instructions while the boot program reads {mib} MiB through INT 13h (QEMU in_asm + exec logs)");
                long[] totals = new long[2];
                int k = 0;
                foreach ((string name, string kernel, string append) in SanReadBenchmark.Kernels(image, rootPath))
                {
                    if (which != "both" && !string.Equals(which, name, StringComparison.OrdinalIgnoreCase))
                    {
                        k++;
                        continue;
                    }

                    Dictionary<string, long>? profile = Record(kernel, append, name == "ours" ? ours : Symbols.None, (long)mib << 20, expectedSum, out string problem);
                    if (profile == null)
                    {
                        Console.WriteLine($"{name}: FAILED: {problem}");
                        return 1;
                    }

                    long total = profile.Values.Sum();
                    long reader = profile.TryGetValue("(the boot program)", out long r) ? r : 0;
                    totals[k++] = total - reader;
                    Console.WriteLine();
                    Console.WriteLine($"{name}: {total - reader:N0} instructions outside the boot program = {(total - reader) / (double)mib:N0} per MiB (boot program: {reader:N0})");
                    foreach (KeyValuePair<string, long> entry in profile.OrderByDescending(e => e.Value).Take(30))
                    {
                        Console.WriteLine($"  {entry.Value,14:N0}  {100.0 * entry.Value / total,5:F1}%  {entry.Key}");
                    }
                }

                if (totals[0] > 0 && totals[1] > 0)
                {
                    Console.WriteLine();
                    Console.WriteLine($"instructions per MiB outside the boot program, ours/iPXE: {totals[0] / (double)totals[1]:F2}");
                }

                return 0;
            });
        }

        private static Dictionary<string, long>? Record(string kernel, string append, Symbols symbols, long bytes, string expectedSum, out string problem)
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-profile-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string fifo = Path.Combine(directory, "qemu.log");
                using (Process mkfifo = Process.Start("mkfifo", fifo))
                {
                    mkfifo.WaitForExit();
                }

                Dictionary<ulong, long> executed = new Dictionary<ulong, long>();
                Dictionary<ulong, int> lengths = new Dictionary<ulong, int>();
                Thread reader = new Thread(() => Parse(fifo, lengths, executed)) { IsBackground = true };
                reader.Start();
                TimedBoot boot = QemuImage.BootTimed(kernel, append, 1800, "-d", "exec,nochain,in_asm", "-D", fifo);
                reader.Join();
                if (SanReadBenchmark.Parse(boot, expectedSum, bytes, out problem) == null)
                {
                    problem += "\n" + boot.Serial;
                    return null;
                }

                // The image moves itself at boot to the top of memory below 4 GiB; its memory milestone
                // says where (image=0xSTART-0xEND), so its addresses map back to the ELF's link addresses.
                Match moved = Regex.Match(boot.Serial, @"image=0x([0-9a-f]+)-0x([0-9a-f]+)");
                ulong start = moved.Success ? ulong.Parse(moved.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) : 0;
                ulong end = moved.Success ? ulong.Parse(moved.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) : 0;
                Dictionary<string, long> profile = new Dictionary<string, long>();
                foreach (KeyValuePair<ulong, long> entry in executed)
                {
                    ulong pc = entry.Key >= start && entry.Key <= end && moved.Success ? entry.Key - start + symbols.LinkBase : entry.Key;
                    string name = entry.Key >= BootSector && entry.Key < ReaderEnd ? "(the boot program)" : symbols.Name(pc);
                    profile[name] = profile.GetValueOrDefault(name) + entry.Value;
                }

                return profile;
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        /// <summary>
        /// Reads QEMU's log: "IN:" blocks list a translated block's instructions ("0x<pc>: ..."), and
        /// "Trace <cpu>: <host> [<cs base>/<pc>/<flags>/<cflags>]" lines are its executions. Adds each
        /// execution's length to <paramref name="executed"/> by block address from the boot program's
        /// first run on.
        /// </summary>
        private static void Parse(string fifo, Dictionary<ulong, int> lengths, Dictionary<ulong, long> executed)
        {
            using StreamReader log = new StreamReader(new FileStream(fifo, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16), bufferSize: 1 << 20);
            bool counting = false;
            bool inBlock = false;
            ulong blockPc = 0;
            int blockLength = 0;
            string? line;
            while ((line = log.ReadLine()) != null)
            {
                if (line.StartsWith("Trace ", StringComparison.Ordinal))
                {
                    int open = line.IndexOf('/');
                    int close = open < 0 ? -1 : line.IndexOf('/', open + 1);
                    if (close < 0)
                    {
                        continue;
                    }

                    ulong pc = ulong.Parse(line.AsSpan(open + 1, close - open - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    counting |= pc == BootSector;
                    if (counting)
                    {
                        executed[pc] = executed.GetValueOrDefault(pc) + lengths.GetValueOrDefault(pc, 1);
                    }
                }
                else if (line.StartsWith("IN:", StringComparison.Ordinal))
                {
                    inBlock = true;
                    blockLength = 0;
                }
                else if (inBlock && line.StartsWith("0x", StringComparison.Ordinal))
                {
                    int colon = line.IndexOf(':');
                    if (blockLength == 0 && colon > 2)
                    {
                        blockPc = ulong.Parse(line.AsSpan(2, colon - 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    }

                    blockLength++;
                }
                else if (inBlock && line.Length == 0)
                {
                    inBlock = false;
                    if (blockLength > 0)
                    {
                        lengths[blockPc] = blockLength;
                    }
                }
            }
        }

        /// <summary>Function symbols of an ELF (nm), or none: then addresses are named by region.</summary>
        private sealed class Symbols
        {
            public static readonly Symbols None = new Symbols(Array.Empty<ulong>(), Array.Empty<string>());

            /// <summary>Where the image's first byte is linked: its lowest symbol's 64 KiB block.</summary>
            public ulong LinkBase => _addresses.Length > 0 ? _addresses[0] & ~0xFFFFUL : 0;

            private readonly ulong[] _addresses;
            private readonly string[] _names;

            private Symbols(ulong[] addresses, string[] names)
            {
                _addresses = addresses;
                _names = names;
            }

            public static Symbols Load(string elf)
            {
                ProcessStartInfo start = new ProcessStartInfo("nm", $"-n --defined-only \"{elf}\"") { RedirectStandardOutput = true, UseShellExecute = false };
                using Process nm = Process.Start(start) ?? throw new InvalidOperationException("nm did not start");
                List<ulong> addresses = new List<ulong>();
                List<string> names = new List<string>();
                string? line;
                while ((line = nm.StandardOutput.ReadLine()) != null)
                {
                    string[] parts = line.Split(' ');
                    if (parts.Length == 3 && (parts[1] == "T" || parts[1] == "t") && !parts[2].StartsWith(".", StringComparison.Ordinal))
                    {
                        addresses.Add(ulong.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        names.Add(parts[2].StartsWith("Kernel_", StringComparison.Ordinal) ? parts[2].Substring(7) : parts[2]);
                    }
                }

                nm.WaitForExit();
                return new Symbols(addresses.ToArray(), names.ToArray());
            }

            public string Name(ulong pc)
            {
                if (pc < 0x100000)
                {
                    return pc >= 0xF0000 ? "(BIOS, F0000-FFFFF)" : $"(base memory {pc & ~0xFFFUL:x5}, 4 KiB page)";
                }

                int index = Array.BinarySearch(_addresses, pc);
                if (index < 0)
                {
                    index = ~index - 1;
                }

                if (index < 0 || _names.Length == 0)
                {
                    return $"({pc & ~0xFFFFUL:x8}, 64 KiB region)";
                }

                // Local labels (name.label) belong to their function.
                string name = _names[index];
                int dot = name.IndexOf('.');
                return dot > 0 ? name.Substring(0, dot) : name;
            }
        }
    }
}
