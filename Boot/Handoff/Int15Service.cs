// The INT 15h memory-size calls the boot stage answers once it has hidden itself (Ralf Brown's
// Interrupt List: AX=E820h "get system memory map", AX=E801h "get memory size for large
// configurations", AH=88h "get extended memory size"; ACPI "System Address Map Interfaces").
// E820h walks the hidden map one entry per call (EBX is the continuation value: the next
// index, 0 after the last). E801h and 88h count only the usable memory that runs without a gap
// from 1 MiB, so an OS using the older calls cannot reach the hidden range either. Every other
// INT 15h call is chained to the firmware.
using System;
using System.Buffers.Binary;
using Bootstage.Boot.Int13;

namespace Bootstage.Boot.Handoff
{
    public sealed class Int15Service
    {
        /// <summary>"SMAP", the signature E820h callers put in EDX and get back in EAX.</summary>
        public const uint Smap = 0x534D4150;

        private const int EntrySize = 20;
        private const int ExtendedEntrySize = 24;
        private const ulong OneMiB = 0x100000;
        private const ulong SixteenMiB = 0x1000000;
        private const byte Unsupported = 0x86;

        private readonly E820Map _map;
        private readonly IRealModeMemory _memory;

        public Int15Service(E820Map map, IRealModeMemory memory)
        {
            _map = map;
            _memory = memory;
        }

        public Int13Disposition Handle(ref Int13Registers registers)
        {
            if (registers.Eax == 0xE820)
            {
                GetMemoryMap(ref registers);
                return Int13Disposition.Handled;
            }

            if ((ushort)registers.Eax == 0xE801)
            {
                GetLargeMemorySize(ref registers);
                return Int13Disposition.Handled;
            }

            if (registers.AH == 0x88)
            {
                ulong kib = _map.UsableRunFrom(OneMiB) / 1024;
                registers.Eax = (registers.Eax & 0xFFFF0000) | (kib > 0xFFFF ? 0xFFFFu : (uint)kib);
                registers.Carry = false;
                return Int13Disposition.Handled;
            }

            return Int13Disposition.Chain;
        }

        private void GetMemoryMap(ref Int13Registers registers)
        {
            uint index = registers.Ebx;
            uint size = registers.Ecx;
            if (registers.Edx != Smap || size < EntrySize || index >= (uint)_map.Count)
            {
                registers.AH = Unsupported;
                registers.Carry = true;
                return;
            }

            int written = size >= ExtendedEntrySize ? ExtendedEntrySize : EntrySize;
            Span<byte> entry = _memory.Map(Int13Registers.Linear(registers.Es, registers.DI), written);
            if (entry.IsEmpty)
            {
                registers.AH = Unsupported;
                registers.Carry = true;
                return;
            }

            E820Entry source = _map[(int)index];
            BinaryPrimitives.WriteUInt64LittleEndian(entry, source.Base);
            BinaryPrimitives.WriteUInt64LittleEndian(entry.Slice(8), source.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.Slice(16), source.Type);
            if (written == ExtendedEntrySize)
            {
                // ACPI 3.0 extended attributes: bit 0 "this entry is valid".
                BinaryPrimitives.WriteUInt32LittleEndian(entry.Slice(20), 1);
            }

            registers.Eax = Smap;
            registers.Ecx = (uint)written;
            registers.Ebx = index + 1 < (uint)_map.Count ? index + 1 : 0;
            registers.Carry = false;
        }

        // AX=CX: KiB between 1 MiB and 16 MiB; BX=DX: 64 KiB blocks above 16 MiB (below 4 GiB).
        private void GetLargeMemorySize(ref Int13Registers registers)
        {
            ulong run = _map.UsableRunFrom(OneMiB);
            ulong below16 = run < SixteenMiB - OneMiB ? run : SixteenMiB - OneMiB;
            ulong above16 = run > SixteenMiB - OneMiB ? run - (SixteenMiB - OneMiB) : 0;
            ulong blocks = above16 / 65536;
            uint low = (uint)(below16 / 1024);
            uint high = blocks > 0xFFFF ? 0xFFFFu : (uint)blocks;
            registers.Eax = (registers.Eax & 0xFFFF0000) | low;
            registers.Ecx = (registers.Ecx & 0xFFFF0000) | low;
            registers.Ebx = (registers.Ebx & 0xFFFF0000) | high;
            registers.Edx = (registers.Edx & 0xFFFF0000) | high;
            registers.Carry = false;
        }
    }
}
