// RuntimeHelpers: the compiler calls InitializeArray for array initialisers of primitive data
// and OffsetToStringData for 'fixed' over strings.
namespace System.Runtime.CompilerServices
{
    public static unsafe class RuntimeHelpers
    {
        [Intrinsic]
        public static void InitializeArray(Array array, RuntimeFieldHandle fldHandle)
        {
            // ILC expands this intrinsic when the field handle is a constant, which is the only way
            // the C# compiler uses it.
            Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowNotSupportedException();
        }

        public static int OffsetToStringData => sizeof(nint) + sizeof(int);

        [Intrinsic]
        public static bool IsReferenceOrContainsReferences<T>() => throw null;

        [Intrinsic]
        public static bool IsKnownConstant(int t) => false;

        [Intrinsic]
        public static ReadOnlySpan<T> CreateSpan<T>(RuntimeFieldHandle fldHandle) => throw null;
    }
}
