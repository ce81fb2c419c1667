// Volatile reads and writes, with .NET's shapes: shared memory with the hypervisor (SynIC pages,
// ring buffers) must be read afresh and written in program order. x86-64 keeps stores in order
// and loads in order, so a volatile field access (which also stops the compiler from caching or
// reordering) is all that is needed.
using System.Runtime.CompilerServices;

namespace System.Threading
{
    public static class Volatile
    {
        private struct VolatileByte
        {
            public volatile byte Value;
        }

        private struct VolatileUInt16
        {
            public volatile ushort Value;
        }

        private struct VolatileUInt32
        {
            public volatile uint Value;
        }

        private struct VolatileInt32
        {
            public volatile int Value;
        }

        private struct VolatilePointer
        {
            public volatile UIntPtr Value;
        }

        public static byte Read(ref readonly byte location) => Unsafe.As<byte, VolatileByte>(ref Unsafe.AsRef(in location)).Value;

        public static ushort Read(ref readonly ushort location) => Unsafe.As<ushort, VolatileUInt16>(ref Unsafe.AsRef(in location)).Value;

        public static uint Read(ref readonly uint location) => Unsafe.As<uint, VolatileUInt32>(ref Unsafe.AsRef(in location)).Value;

        public static int Read(ref readonly int location) => Unsafe.As<int, VolatileInt32>(ref Unsafe.AsRef(in location)).Value;

        public static ulong Read(ref readonly ulong location) => (ulong)Unsafe.As<ulong, VolatilePointer>(ref Unsafe.AsRef(in location)).Value;

        public static void Write(ref byte location, byte value) => Unsafe.As<byte, VolatileByte>(ref location).Value = value;

        public static void Write(ref ushort location, ushort value) => Unsafe.As<ushort, VolatileUInt16>(ref location).Value = value;

        public static void Write(ref uint location, uint value) => Unsafe.As<uint, VolatileUInt32>(ref location).Value = value;

        public static void Write(ref int location, int value) => Unsafe.As<int, VolatileInt32>(ref location).Value = value;

        public static void Write(ref ulong location, ulong value) => Unsafe.As<ulong, VolatilePointer>(ref location).Value = (UIntPtr)value;
    }
}
