// Benchmark entry: `dotnet run -c Release --project bench/Bootstage.Bench -- netvsc [frames]`.
using System;

namespace Bootstage.Bench
{
    internal static class Program
    {
        private static int Main(string[] args)
        {
            string which = args.Length > 0 ? args[0] : "netvsc";
            int frames = args.Length > 1 ? int.Parse(args[1]) : 200_000;
            switch (which)
            {
                case "netvsc":
                    NetVscBenchmark.Run(frames);
                    return 0;
                default:
                    Console.Error.WriteLine("usage: Bootstage.Bench netvsc [frames]");
                    return 2;
            }
        }
    }
}
