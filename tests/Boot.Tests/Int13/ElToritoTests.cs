// El Torito parsing against an ISO image made by xorriso (the same tool the project's ISO is
// built with) with a no-emulation boot file, and against hand-damaged catalogs: the checksum,
// the 55 AA key, a non-bootable or emulated default entry, and a disk without a boot record.
using System;
using System.Diagnostics;
using System.IO;
using Bootstage.Boot.Int13;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests.Int13
{
    public class ElToritoTests
    {
        private sealed class ImageDisk : IBlockDisk
        {
            private readonly byte[] _image;

            public ImageDisk(byte[] image)
            {
                _image = image;
            }

            public uint BlockSize => 2048;

            public ulong BlockCount => (ulong)_image.Length / 2048;

            public IscsiStatus Read(ulong lba, int blocks, byte[] buffer, int offset)
            {
                if (lba + (ulong)blocks > BlockCount)
                {
                    return IscsiStatus.InvalidArgument;
                }

                _image.AsSpan((int)lba * 2048, blocks * 2048).CopyTo(buffer.AsSpan(offset));
                return IscsiStatus.Success;
            }

            public IscsiStatus Write(ulong lba, int blocks, byte[] buffer, int offset) => IscsiStatus.InvalidArgument;
        }

        private static byte[] MakeIso(out byte[] bootFile)
        {
            string directory = Path.Combine(Path.GetTempPath(), "bootstage-eltorito-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path.Combine(directory, "tree"));
            try
            {
                bootFile = new byte[4096];
                new Random(17).NextBytes(bootFile);
                File.WriteAllBytes(Path.Combine(directory, "tree", "boot.bin"), bootFile);
                string iso = Path.Combine(directory, "test.iso");
                ProcessStartInfo start = new ProcessStartInfo("xorriso", $"-as mkisofs -quiet -o {iso} -b boot.bin -no-emul-boot -boot-load-size 4 {Path.Combine(directory, "tree")}")
                {
                    RedirectStandardError = true,
                    RedirectStandardOutput = true,
                };
                using Process process = Process.Start(start)!;
                string errors = process.StandardError.ReadToEnd();
                process.WaitForExit();
                Assert.True(process.ExitCode == 0, "xorriso failed: " + errors);
                return File.ReadAllBytes(iso);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        [Fact]
        public void The_default_entry_of_a_no_emulation_iso_names_the_boot_file()
        {
            byte[] iso = MakeIso(out byte[] bootFile);
            ImageDisk disk = new ImageDisk(iso);
            Int13Drive drive = new Int13Drive(0xE0, disk);
            Assert.Equal(ElToritoStatus.Ok, ElTorito.Describe(disk, drive, new byte[2048]));
            Assert.Equal(ElTorito.DefaultLoadSegment, drive.BootLoadSegment);
            Assert.Equal(4, drive.BootLoadSectors);
            Assert.Equal(bootFile, iso.AsSpan((int)drive.BootImageLba * 2048, 4096).ToArray());
            Assert.True(drive.BootCatalogLba > ElTorito.BootRecordLba);
        }

        [Fact]
        public void A_damaged_or_unbootable_catalog_is_refused_by_name()
        {
            byte[] iso = MakeIso(out _);
            Assert.True(ElTorito.TryReadBootRecord(iso.AsSpan(17 * 2048, 2048), out uint catalogLba));
            int catalog = (int)catalogLba * 2048;

            Assert.Equal(ElToritoStatus.BadCatalog, Damaged(iso, catalog + 4, 0x5A));
            Assert.Equal(ElToritoStatus.BadCatalog, Damaged(iso, catalog + 30, 0x00));
            Assert.Equal(ElToritoStatus.NotBootable, Damaged(iso, catalog + 32, 0x00));
            Assert.Equal(ElToritoStatus.Emulated, Damaged(iso, catalog + 33, 0x02));
            Assert.Equal(ElToritoStatus.NoBootRecord, Damaged(iso, 17 * 2048 + 1, (byte)'X'));
        }

        private static ElToritoStatus Damaged(byte[] iso, int offset, byte value)
        {
            byte[] copy = (byte[])iso.Clone();
            copy[offset] = value;
            ImageDisk disk = new ImageDisk(copy);
            return ElTorito.Describe(disk, new Int13Drive(0xE0, disk), new byte[2048]);
        }
    }
}
