// An initramfs as the Linux kernel unpacks it: a cpio archive in the "newc" format (the kernel's
// Documentation/driver-api/early-userspace/buffer-format.rst): per entry the magic "070701",
// thirteen 8-digit hex fields, the NUL-terminated name padded to 4 bytes, then the data padded to
// 4 bytes, and a last entry named "TRAILER!!!". Written here so the test needs no cpio tool and
// no root (the console device node is just a header).
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Bootstage.Image.Tests.Linux
{
    public sealed class Initramfs
    {
        private const int Directory = 0x4000;
        private const int RegularFile = 0x8000;
        private const int CharacterDevice = 0x2000;

        private readonly MemoryStream _archive = new MemoryStream();
        private int _inode = 1;

        public void AddDirectory(string name) => Add(name, Directory | 0x1ED, ReadOnlySpan<byte>.Empty, 0, 0);

        public void AddFile(string name, byte[] data, bool executable = false) => Add(name, RegularFile | (executable ? 0x1ED : 0x1A4), data, 0, 0);

        public void AddCharacterDevice(string name, int major, int minor) => Add(name, CharacterDevice | 0x180, ReadOnlySpan<byte>.Empty, major, minor);

        public byte[] ToArray()
        {
            MemoryStream copy = new MemoryStream();
            _archive.WriteTo(copy);
            WriteEntry(copy, "TRAILER!!!", 0, ReadOnlySpan<byte>.Empty, 0, 0, 0, 1);
            return copy.ToArray();
        }

        private void Add(string name, int mode, ReadOnlySpan<byte> data, int major, int minor)
        {
            WriteEntry(_archive, name, mode, data, major, minor, _inode++, (mode & Directory) != 0 ? 2 : 1);
        }

        private static void WriteEntry(Stream stream, string name, int mode, ReadOnlySpan<byte> data, int major, int minor, int inode, int links)
        {
            byte[] nameBytes = Encoding.ASCII.GetBytes(name + "\0");
            StringBuilder header = new StringBuilder("070701");
            foreach (long field in new long[] { inode, mode, 0, 0, links, 0, data.Length, 0, 0, major, minor, nameBytes.Length, 0 })
            {
                header.Append(field.ToString("x8"));
            }

            stream.Write(Encoding.ASCII.GetBytes(header.ToString()));
            stream.Write(nameBytes);
            Pad(stream);
            stream.Write(data);
            Pad(stream);
        }

        private static void Pad(Stream stream)
        {
            while (stream.Position % 4 != 0)
            {
                stream.WriteByte(0);
            }
        }
    }
}
