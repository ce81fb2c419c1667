// Token handles the compiler emits for ldtoken. The image has no reflection; they only carry a pointer.
namespace System
{
    public struct RuntimeTypeHandle
    {
#pragma warning disable 169
        private IntPtr _value;
#pragma warning restore 169
    }

    public struct RuntimeMethodHandle
    {
#pragma warning disable 169
        private IntPtr _value;
#pragma warning restore 169
    }

    public struct RuntimeFieldHandle
    {
#pragma warning disable 169
        private IntPtr _value;
#pragma warning restore 169
    }

    public abstract class Type
    {
    }
}

namespace System
{
    // The compiler's name for the Type of a MethodTable; no reflection stands behind it here.
    internal sealed class RuntimeType : Type
    {
    }
}
