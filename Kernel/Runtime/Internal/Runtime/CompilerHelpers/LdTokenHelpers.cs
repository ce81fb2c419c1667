// ldtoken helpers: the compiler wraps a type, method or field address into its handle struct.
// The image has no reflection, so a handle is just that address.
using System;
using System.Runtime.CompilerServices;

namespace Internal.Runtime.CompilerHelpers
{
    internal static class LdTokenHelpers
    {
        private static RuntimeTypeHandle GetRuntimeTypeHandle(IntPtr pEEType)
        {
            return Unsafe.As<IntPtr, RuntimeTypeHandle>(ref pEEType);
        }

        private static RuntimeMethodHandle GetRuntimeMethodHandle(IntPtr pHandleSignature)
        {
            return Unsafe.As<IntPtr, RuntimeMethodHandle>(ref pHandleSignature);
        }

        private static RuntimeFieldHandle GetRuntimeFieldHandle(IntPtr pHandleSignature)
        {
            return Unsafe.As<IntPtr, RuntimeFieldHandle>(ref pHandleSignature);
        }

        private static Type GetRuntimeType(IntPtr pEEType)
        {
            Panic.Fail("typeof is not supported in the image");
            return null;
        }
    }
}
