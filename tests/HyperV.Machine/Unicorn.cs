// P/Invoke declarations for the Unicorn CPU emulator 2.0.1 (Debian's libunicorn2,
// /usr/lib/x86_64-linux-gnu/libunicorn.so.2). Written from /usr/include/unicorn/unicorn.h and x86.h
// of libunicorn-dev 2.0.1; the enum values were read from that header with a one-off C program (they
// are implicit in the header). Only what the machine uses is declared. uc_hook_add and uc_ctl are
// variadic in C: on x86-64 System V, integer variadic arguments travel exactly like fixed ones, so
// each arity gets its own fixed-signature entry point. Callbacks are [UnmanagedCallersOnly]
// function pointers, nothing is marshalled.
using System;
using System.Runtime.InteropServices;

namespace Bootstage.HyperV.Machine
{
    internal static unsafe class Unicorn
    {
        private const string Library = "libunicorn.so.2";

        public const int ArchX86 = 4;
        public const int Mode32 = 1 << 2;
        public const int Mode64 = 1 << 3;

        public const int HookIntr = 1 << 0;
        public const int HookInsn = 1 << 1;
        public const int HookCode = 1 << 2;
        public const int HookBlock = 1 << 3;

        // UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT: every read, write or fetch the engine cannot serve.
        public const int HookMemInvalid = 1008;

        public const int InsnIn = 218;
        public const int InsnOut = 500;
        public const int InsnCpuid = 113;

        public const int ProtAll = 7;

        // uc_control_type: UC_CTL(type, nr, rw) = type | nr << 26 | rw << 30; TB_FLUSH is type 10, written, no argument.
        public const int CtlFlushTranslations = 10 | (1 << 30);

        /// <summary>x86 register ids (enum uc_x86_reg).</summary>
        public static class Reg
        {
            public const int Cs = 11;
            public const int Ds = 17;
            public const int Es = 28;
            public const int Fs = 32;
            public const int Gs = 33;
            public const int Ss = 49;
            public const int Eax = 19;
            public const int Ebx = 21;
            public const int Ecx = 22;
            public const int Edx = 24;
            public const int Eip = 26;
            public const int Esp = 30;
            public const int Rax = 35;
            public const int Rbp = 36;
            public const int Rbx = 37;
            public const int Rcx = 38;
            public const int Rdi = 39;
            public const int Rdx = 40;
            public const int Rip = 41;
            public const int Rsi = 43;
            public const int Rsp = 44;
            public const int Cr0 = 50;
            public const int Cr2 = 52;
            public const int Cr3 = 53;
            public const int Cr4 = 54;
            public const int R8 = 106;
            public const int R9 = 107;
            public const int Idtr = 242;
            public const int Gdtr = 243;
            public const int Tr = 245;
            public const int Msr = 248;
            public const int Rflags = 253;
        }

        /// <summary>uc_x86_mmr: GDTR, IDTR, LDTR and TR (24 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct TableRegister
        {
            public ushort Selector;
            public ulong Base;
            public uint Limit;
            public uint Flags;
        }

        /// <summary>uc_x86_msr: read or write one MSR through UC_X86_REG_MSR.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct MsrValue
        {
            public uint Id;
            public ulong Value;
        }

        [DllImport(Library, EntryPoint = "uc_open")]
        public static extern int Open(int arch, int mode, out IntPtr engine);

        [DllImport(Library, EntryPoint = "uc_close")]
        public static extern int Close(IntPtr engine);

        [DllImport(Library, EntryPoint = "uc_strerror")]
        public static extern IntPtr StrError(int code);

        [DllImport(Library, EntryPoint = "uc_mem_map_ptr")]
        public static extern int MemMapPtr(IntPtr engine, ulong address, nuint size, uint perms, void* pointer);

        [DllImport(Library, EntryPoint = "uc_reg_read")]
        public static extern int RegRead(IntPtr engine, int register, void* value);

        [DllImport(Library, EntryPoint = "uc_reg_write")]
        public static extern int RegWrite(IntPtr engine, int register, void* value);

        [DllImport(Library, EntryPoint = "uc_emu_start")]
        public static extern int EmuStart(IntPtr engine, ulong begin, ulong until, ulong timeout, nuint count);

        [DllImport(Library, EntryPoint = "uc_emu_stop")]
        public static extern int EmuStop(IntPtr engine);

        [DllImport(Library, EntryPoint = "uc_hook_add")]
        public static extern int HookAdd(IntPtr engine, out nuint hook, int type, void* callback, IntPtr userData, ulong begin, ulong end);

        [DllImport(Library, EntryPoint = "uc_hook_add")]
        public static extern int HookAddInstruction(IntPtr engine, out nuint hook, int type, void* callback, IntPtr userData, ulong begin, ulong end, int instruction);

        [DllImport(Library, EntryPoint = "uc_ctl")]
        public static extern int Control(IntPtr engine, int control);

        /// <summary>Throws with Unicorn's own words for a non-zero uc_err.</summary>
        public static void Check(int error, string what)
        {
            if (error != 0)
            {
                throw new InvalidOperationException($"{what}: {Describe(error)}");
            }
        }

        public static string Describe(int error) => $"uc_err {error} ({Marshal.PtrToStringAnsi(StrError(error))})";
    }
}
