// Loads a Multiboot v1 image into guest RAM as a loader would (Multiboot Specification 0.6.96:
// §3.1.1 header in the first 8192 bytes, 4-byte aligned, magic + flags + checksum summing to zero;
// §3.1.3 the a.out-kludge address fields, used because flag 16 is set; §3.2 machine state at entry,
// EAX = 0x2BADB002 and EBX = the information block; §3.3 the information block with mem_lower/upper,
// the command line, the memory map (entries of size, base, length, type) and the loader name).
// The memory map is a Gen1 PC's: base memory up to the EBDA, the BIOS area reserved, extended memory
// from 1 MiB, and a reserved tail that belongs to other guest code (see GuestRam).
using System;
using System.Buffers.Binary;
using System.Text;

namespace Bootstage.HyperV.Machine
{
    public sealed class MultibootImage
    {
        public const uint HeaderMagic = 0x1BADB002;
        public const uint LoaderMagic = 0x2BADB002;

        // Where the loader puts its information block, memory map and strings (below the image, in base memory).
        public const ulong InfoAddress = 0x9000;
        private const ulong MemoryMapAddress = 0x9100;
        private const ulong LoaderNameAddress = 0x9300;
        private const ulong CommandLineAddress = 0x9400;
        private const int CommandLineCapacity = 0xC00;
        private const ulong BaseMemoryEnd = 0x9FC00;
        private const ulong BiosAreaStart = 0xF0000;
        private const ulong ExtendedStart = 0x100000;

        private MultibootImage(uint loadAddress, uint loadEnd, uint bssEnd, uint entry, int fileOffset)
        {
            LoadAddress = loadAddress;
            LoadEnd = loadEnd;
            BssEnd = bssEnd;
            Entry = entry;
            FileOffset = fileOffset;
        }

        public uint LoadAddress { get; }

        public uint LoadEnd { get; }

        public uint BssEnd { get; }

        public uint Entry { get; }

        /// <summary>Offset in the file of the byte loaded at <see cref="LoadAddress"/>.</summary>
        public int FileOffset { get; }

        /// <summary>Finds and checks the header; only a.out-kludge images are accepted (ours is a flat binary).</summary>
        public static MultibootImage Parse(ReadOnlySpan<byte> file)
        {
            int limit = Math.Min(file.Length, 8192) - 32;
            for (int offset = 0; offset <= limit; offset += 4)
            {
                uint magic = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(offset));
                if (magic != HeaderMagic)
                {
                    continue;
                }

                uint flags = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(offset + 4));
                uint checksum = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(offset + 8));
                if (unchecked(magic + flags + checksum) != 0)
                {
                    throw new FormatException($"Multiboot header at {offset}: the checksum does not sum to zero");
                }

                if ((flags & (1u << 16)) == 0)
                {
                    throw new FormatException("the image is not an a.out-kludge Multiboot image (flag 16 clear)");
                }

                uint headerAddress = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(offset + 12));
                uint loadAddress = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(offset + 16));
                uint loadEnd = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(offset + 20));
                uint bssEnd = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(offset + 24));
                uint entry = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(offset + 28));
                long fileOffset = offset - ((long)headerAddress - loadAddress);
                long loadLength = loadEnd == 0 ? file.Length - fileOffset : (long)loadEnd - loadAddress;
                if (fileOffset < 0 || loadLength < 0 || fileOffset + loadLength > file.Length || (bssEnd != 0 && bssEnd < loadAddress + loadLength))
                {
                    throw new FormatException("the Multiboot address fields do not fit the file");
                }

                return new MultibootImage(loadAddress, (uint)(loadAddress + loadLength), bssEnd == 0 ? (uint)(loadAddress + loadLength) : bssEnd, entry, (int)fileOffset);
            }

            throw new FormatException("no Multiboot header in the first 8192 bytes");
        }

        /// <summary>
        /// Copies the image, zeroes its bss and writes the information block; returns the EBX value.
        /// <paramref name="usableEnd"/> is where usable RAM stops (the rest of RAM is reserved).
        /// </summary>
        public ulong Load(ReadOnlySpan<byte> file, GuestRam ram, ulong usableEnd, string commandLine)
        {
            if (BssEnd > usableEnd)
            {
                throw new InvalidOperationException($"the image ends at 0x{BssEnd:X}, beyond usable RAM (0x{usableEnd:X})");
            }

            file.Slice(FileOffset, (int)(LoadEnd - LoadAddress)).CopyTo(ram.Slice(LoadAddress, (int)(LoadEnd - LoadAddress)));
            ram.Slice(LoadEnd, (int)(BssEnd - LoadEnd)).Clear();

            byte[] command = Encoding.ASCII.GetBytes(commandLine);
            if (command.Length >= CommandLineCapacity)
            {
                throw new ArgumentException("command line too long", nameof(commandLine));
            }

            command.CopyTo(ram.Slice(CommandLineAddress, command.Length));
            ram.Slice(CommandLineAddress + (ulong)command.Length, 1)[0] = 0;
            byte[] name = Encoding.ASCII.GetBytes("bootstage hyperv-machine\0");
            name.CopyTo(ram.Slice(LoaderNameAddress, name.Length));

            (ulong Base, ulong Length, uint Type)[] map =
            {
                (0, BaseMemoryEnd, 1),
                (BaseMemoryEnd, 0xA0000 - BaseMemoryEnd, 2),
                (BiosAreaStart, ExtendedStart - BiosAreaStart, 2),
                (ExtendedStart, usableEnd - ExtendedStart, 1),
                (usableEnd, ram.Size - usableEnd, 2),
            };
            ulong entryAddress = MemoryMapAddress;
            foreach ((ulong baseAddress, ulong length, uint type) in map)
            {
                if (length == 0)
                {
                    continue;
                }

                // Each entry's size field counts the bytes after itself (20), as loaders write it.
                ram.WriteUInt32(entryAddress, 20);
                ram.WriteUInt64(entryAddress + 4, baseAddress);
                ram.WriteUInt64(entryAddress + 12, length);
                ram.WriteUInt32(entryAddress + 20, type);
                entryAddress += 24;
            }

            Span<byte> info = ram.Slice(InfoAddress, 0x58);
            info.Clear();
            const uint flags = (1u << 0) | (1u << 2) | (1u << 6) | (1u << 9);
            BinaryPrimitives.WriteUInt32LittleEndian(info, flags);
            BinaryPrimitives.WriteUInt32LittleEndian(info.Slice(4), (uint)(BaseMemoryEnd / 1024));
            BinaryPrimitives.WriteUInt32LittleEndian(info.Slice(8), (uint)((usableEnd - ExtendedStart) / 1024));
            BinaryPrimitives.WriteUInt32LittleEndian(info.Slice(16), (uint)CommandLineAddress);
            BinaryPrimitives.WriteUInt32LittleEndian(info.Slice(44), (uint)(entryAddress - MemoryMapAddress));
            BinaryPrimitives.WriteUInt32LittleEndian(info.Slice(48), (uint)MemoryMapAddress);
            BinaryPrimitives.WriteUInt32LittleEndian(info.Slice(64), (uint)LoaderNameAddress);
            return InfoAddress;
        }
    }
}
