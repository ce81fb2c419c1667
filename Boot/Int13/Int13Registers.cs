// The register image of an INT 13h call as the real-mode entry stub saves it and restores it on
// the way back (Ralf Brown's Interrupt List, INT 13h; Phoenix "BIOS Enhanced Disk Drive
// Specification" 3.0 for AH=41h..48h). The service reads its inputs from here and leaves its
// outputs here; only the fields a function documents are changed, the rest reach the caller as
// they came. The layout is fixed: the stub in Kernel/Native stores the registers in this order.
using System.Runtime.InteropServices;

namespace Bootstage.Boot.Int13
{
    [StructLayout(LayoutKind.Sequential)]
    public struct Int13Registers
    {
        private const ushort CarryBit = 0x0001;

        public uint Eax;
        public uint Ebx;
        public uint Ecx;
        public uint Edx;
        public uint Esi;
        public uint Edi;
        public uint Ebp;
        public ushort Ds;
        public ushort Es;
        public ushort Flags;

        public byte AH
        {
            get => (byte)(Eax >> 8);
            set => Eax = (Eax & 0xFFFF00FF) | ((uint)value << 8);
        }

        public byte AL
        {
            get => (byte)Eax;
            set => Eax = (Eax & 0xFFFFFF00) | value;
        }

        public ushort BX
        {
            get => (ushort)Ebx;
            set => Ebx = (Ebx & 0xFFFF0000) | value;
        }

        public byte BL
        {
            get => (byte)Ebx;
            set => Ebx = (Ebx & 0xFFFFFF00) | value;
        }

        public ushort CX
        {
            get => (ushort)Ecx;
            set => Ecx = (Ecx & 0xFFFF0000) | value;
        }

        public byte CH
        {
            get => (byte)(Ecx >> 8);
            set => Ecx = (Ecx & 0xFFFF00FF) | ((uint)value << 8);
        }

        public byte CL
        {
            get => (byte)Ecx;
            set => Ecx = (Ecx & 0xFFFFFF00) | value;
        }

        public ushort DX
        {
            get => (ushort)Edx;
            set => Edx = (Edx & 0xFFFF0000) | value;
        }

        public byte DH
        {
            get => (byte)(Edx >> 8);
            set => Edx = (Edx & 0xFFFF00FF) | ((uint)value << 8);
        }

        public byte DL
        {
            get => (byte)Edx;
            set => Edx = (Edx & 0xFFFFFF00) | value;
        }

        public ushort SI => (ushort)Esi;

        public ushort DI => (ushort)Edi;

        /// <summary>CF: set on return when the call failed (AH then holds the status).</summary>
        public bool Carry
        {
            get => (Flags & CarryBit) != 0;
            set => Flags = value ? (ushort)(Flags | CarryBit) : (ushort)(Flags & ~CarryBit);
        }

        /// <summary>The linear address of a real-mode segment:offset pair.</summary>
        public static ulong Linear(ushort segment, ushort offset) => ((ulong)segment << 4) + offset;
    }
}
