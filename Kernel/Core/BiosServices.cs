// BIOS calls from long mode through the real-mode thunk (Kernel/Native/realmode.asm): the blob
// goes to the top of base memory (the loader's mem_lower, below the EBDA) and every call copies
// a register image in and out. First user: the firmware memory map from INT 15h E820h, which the
// handoff hides our memory in (Boot/Handoff) and which must agree with the map the Multiboot
// loader passed us.
using Bootstage.Boot.Handoff;
using Bootstage.Boot.Int13;
using Bootstage.Kernel.Platform;

namespace Bootstage.Kernel.Core
{
    internal static unsafe class BiosServices
    {
        private const ulong Area = 4096;
        private const int E820Entry = 24;

        private static ulong s_base;

        public static bool IsInstalled => s_base != 0;

        /// <summary>Where the real-mode blob lives (the start of the 4 KiB taken from base memory).</summary>
        public static ulong Base => s_base;

        /// <summary>Puts the thunk in the last 4 KiB of base memory; false when there is no base memory to use.</summary>
        public static bool Install(uint lowerKiB)
        {
            ulong top = (ulong)lowerKiB * 1024;
            ulong size = Plugs.RealModeBlobSize();
            if (top < 0x10000 || top > 0xA0000 || size + E820Entry + 16 > Area)
            {
                return false;
            }

            s_base = (top - Area) & ~0xFFFUL;
            Plugs.RealModeInstall(s_base);
            return true;
        }

        public static void Call(byte vector, ref Int13Registers registers)
        {
            fixed (Int13Registers* image = &registers)
            {
                Plugs.RealModeCall(vector, image);
            }
        }

        /// <summary>Reads the firmware's E820h map into <paramref name="map"/>; the number of entries, or -1.</summary>
        public static int ReadE820(E820Map map)
        {
            ulong buffer = (s_base + Plugs.RealModeBlobSize() + 15) & ~15UL;
            uint continuation = 0;
            int entries = 0;
            map.Clear();
            do
            {
                Int13Registers registers = default;
                registers.Eax = 0xE820;
                registers.Edx = Int15Service.Smap;
                registers.Ebx = continuation;
                registers.Ecx = E820Entry;
                registers.Es = (ushort)(buffer >> 4);
                registers.Edi = (uint)(buffer & 0xF);
                Call(0x15, ref registers);
                if (registers.Carry || registers.Eax != Int15Service.Smap || registers.Ecx < 20)
                {
                    return entries == 0 ? -1 : entries;
                }

                byte* entry = (byte*)buffer;
                map.Add(*(ulong*)entry, *(ulong*)(entry + 8), *(uint*)(entry + 16));
                entries++;
                continuation = registers.Ebx;
            }
            while (continuation != 0 && entries < E820Map.Capacity);

            return entries;
        }
    }
}
