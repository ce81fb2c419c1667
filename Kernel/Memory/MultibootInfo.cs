// A read-only view of the Multiboot (v0.6.96) information structure the loader leaves in memory:
// flags, the basic memory sizes, the command line, boot modules and the BIOS memory map
// (§3.3 "Boot information format"). Addresses inside the structure are 32-bit physical; the view
// adds a base so tests can lay a structure out in ordinary memory.
namespace Bootstage.Kernel.Memory
{
    internal readonly unsafe struct MultibootInfo
    {
        public const uint BootloaderMagic = 0x2BADB002;

        public const uint FlagMemory = 1u << 0;
        public const uint FlagCommandLine = 1u << 2;
        public const uint FlagModules = 1u << 3;
        public const uint FlagMemoryMap = 1u << 6;
        public const uint FlagLoaderName = 1u << 9;

        public const uint MemoryAvailable = 1;

        private readonly byte* _info;
        private readonly byte* _physicalBase;

        public MultibootInfo(byte* info, byte* physicalBase)
        {
            _info = info;
            _physicalBase = physicalBase;
        }

        public bool IsValid => _info != null;

        public uint Flags => *(uint*)_info;

        public bool Has(uint flag) => (Flags & flag) != 0;

        /// <summary>KiB of conventional memory below 640 KiB.</summary>
        public uint MemoryLowerKiB => Has(FlagMemory) ? *(uint*)(_info + 4) : 0;

        /// <summary>KiB of memory starting at 1 MiB up to the first hole.</summary>
        public uint MemoryUpperKiB => Has(FlagMemory) ? *(uint*)(_info + 8) : 0;

        /// <summary>The command line bytes (without the NUL), empty when the loader passed none.</summary>
        public byte* CommandLine => Has(FlagCommandLine) ? Physical(*(uint*)(_info + 16)) : null;

        public int CommandLineLength
        {
            get
            {
                byte* text = CommandLine;
                if (text == null)
                {
                    return 0;
                }

                int length = 0;
                while (length < 4096 && text[length] != 0)
                {
                    length++;
                }

                return length;
            }
        }

        public uint ModuleCount => Has(FlagModules) ? *(uint*)(_info + 20) : 0;

        /// <summary>Module i's [start, end) physical range.</summary>
        public void GetModule(uint index, out uint start, out uint end)
        {
            uint* entry = (uint*)Physical(*(uint*)(_info + 24) + index * 16);
            start = entry[0];
            end = entry[1];
        }

        /// <summary>Module i's string (its name or command line), or null.</summary>
        public byte* ModuleString(uint index)
        {
            uint* entry = (uint*)Physical(*(uint*)(_info + 24) + index * 16);
            return entry[2] != 0 ? Physical(entry[2]) : null;
        }

        public byte* LoaderName => Has(FlagLoaderName) ? Physical(*(uint*)(_info + 64)) : null;

        public uint MemoryMapLength => Has(FlagMemoryMap) ? *(uint*)(_info + 44) : 0;

        public uint MemoryMapAddress => Has(FlagMemoryMap) ? *(uint*)(_info + 48) : 0;

        /// <summary>
        /// Walks the memory map. <paramref name="cursor"/> starts at 0; each call yields one entry.
        /// Each entry's size field does not count itself; a size that would leave the map ends the walk.
        /// </summary>
        public bool NextMemoryRegion(ref uint cursor, out ulong baseAddress, out ulong length, out uint type)
        {
            baseAddress = 0;
            length = 0;
            type = 0;
            uint mapLength = MemoryMapLength;
            if (cursor + 24 > mapLength)
            {
                return false;
            }

            byte* entry = Physical(MemoryMapAddress + cursor);
            uint size = *(uint*)entry;
            if (size < 20 || cursor + 4 + size > mapLength)
            {
                return false;
            }

            baseAddress = *(ulong*)(entry + 4);
            length = *(ulong*)(entry + 12);
            type = *(uint*)(entry + 20);
            cursor += size + 4;
            return true;
        }

        private byte* Physical(uint address) => _physicalBase + address;
    }
}
