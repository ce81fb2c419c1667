// Element moves for Span/ReadOnlySpan CopyTo. Overlap-safe like .NET's Buffer.Memmove: the copy
// direction follows the relative position of source and destination.
using System.Runtime.CompilerServices;

namespace System
{
    internal static class SpanCopy
    {
        internal static void Move<T>(ref T destination, ref T source, nuint count)
        {
            if (count == 0 || Unsafe.AreSame(ref destination, ref source))
            {
                return;
            }

            if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            {
                nuint bytes = count * (nuint)Unsafe.SizeOf<T>();
                Internal.Runtime.Memory.Move(
                    ref Unsafe.As<T, byte>(ref destination), ref Unsafe.As<T, byte>(ref source), bytes);
                return;
            }

            if (Unsafe.IsAddressGreaterThan(ref destination, ref source))
            {
                for (nuint i = count; i > 0; i--)
                {
                    Unsafe.Add(ref destination, i - 1) = Unsafe.Add(ref source, i - 1);
                }
            }
            else
            {
                for (nuint i = 0; i < count; i++)
                {
                    Unsafe.Add(ref destination, i) = Unsafe.Add(ref source, i);
                }
            }
        }
    }
}
