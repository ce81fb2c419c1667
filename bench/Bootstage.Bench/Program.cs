// Benchmark entry: `dotnet run -c Release --project bench/Bootstage.Bench -- netvsc [frames]`
// or `... -- tcp [in-process MiB] [qemu MiB]` (the QEMU run needs ./build.sh image first),
// or `... -- iscsi [seconds]` (our initiator beside libiscsi's iscsi-perf on one tgtd LUN),
// or `... -- sanread [MiB] [runs] [baseline image]` (our image against iPXE's sanboot, read
// through INT 13h, and optionally against another build of ours),
// or `... -- sanprofile [MiB] [ours|ipxe|both]` (the guest instructions of that read, by function).
using System;

namespace Bootstage.Bench
{
    internal static class Program
    {
        private static int Main(string[] args)
        {
            string which = args.Length > 0 ? args[0] : "netvsc";
            int frames = which == "netvsc" && args.Length > 1 ? int.Parse(args[1]) : 200_000;
            switch (which)
            {
                case "netvsc":
                    NetVscBenchmark.Run(frames);
                    return 0;
                case "tcp":
                    TcpBenchmark.InProcess(args.Length > 1 ? long.Parse(args[1]) << 20 : 256L << 20);
                    TcpBenchmark.Qemu(args.Length > 2 ? long.Parse(args[2]) << 20 : 64L << 20);
                    return 0;
                case "iscsi":
                    IscsiBenchmark.Run(args.Length > 1 ? int.Parse(args[1]) : 5);
                    return 0;
                case "sanread":
                    return SanReadBenchmark.Execute(args.Length > 1 ? int.Parse(args[1]) : 16, args.Length > 2 ? int.Parse(args[2]) : 3, args.Length > 3 ? args[3] : null);
                case "sanprofile":
                    return SanProfile.Execute(args.Length > 1 ? int.Parse(args[1]) : 4, args.Length > 2 ? args[2] : "both");
                default:
                    Console.Error.WriteLine("usage: Bootstage.Bench netvsc [frames] | tcp [in-process MiB] [qemu MiB] | iscsi [seconds] | sanread [MiB] [runs] [baseline image] | sanprofile [MiB] [ours|ipxe|both]");
                    return 2;
            }
        }
    }
}
