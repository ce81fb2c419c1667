// Where the tests find the image: out/ of the checkout (./build.sh image writes it), and the
// machine options to boot it with a profile and command line.
using System;
using System.IO;
using Bootstage.HyperV.HostModel;
using Bootstage.HyperV.Machine;

namespace Bootstage.HyperV.Machine.Tests
{
    internal static class Images
    {
        /// <summary>A guard against hangs only: a boot takes about a second; the tests wait for the image's exit.</summary>
        public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

        public static string OutDirectory
        {
            get
            {
                string? directory = AppContext.BaseDirectory;
                while (directory != null && !File.Exists(Path.Combine(directory, "Cosmos.sln")))
                {
                    directory = Path.GetDirectoryName(directory);
                }

                if (directory == null)
                {
                    throw new InvalidOperationException("Cosmos.sln not found above " + AppContext.BaseDirectory);
                }

                string outDirectory = Path.Combine(directory, "out");
                if (!File.Exists(Path.Combine(outDirectory, "bootstage.bin")) || !File.Exists(Path.Combine(outDirectory, "native", "bootstage.elf")))
                {
                    throw new InvalidOperationException($"{outDirectory} has no bootstage.bin and native/bootstage.elf: build them with ./build.sh image");
                }

                return outDirectory;
            }
        }

        public static MachineOptions Options(string commandLine, HostProfile profile = HostProfile.WS2016)
        {
            return MachineOptions.FromOutDirectory(OutDirectory, commandLine, profile);
        }
    }
}
