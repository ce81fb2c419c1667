// Helpers ILC calls by name for implicit failures (range checks, null, overflow, division by zero).
// Without an unwinder each one is a panic that names the failure.
namespace Internal.Runtime.CompilerHelpers
{
    internal static class ThrowHelpers
    {
        internal static void ThrowOverflowException() => Panic.Fail("arithmetic overflow");

        internal static void ThrowIndexOutOfRangeException() => Panic.Fail("index out of range");

        internal static void ThrowNullReferenceException() => Panic.Fail("null reference");

        internal static void ThrowDivideByZeroException() => Panic.Fail("division by zero");

        internal static void ThrowArgumentOutOfRangeException() => Panic.Fail("argument out of range");

        internal static void ThrowArgumentException() => Panic.Fail("invalid argument");

        internal static void ThrowPlatformNotSupportedException() => Panic.Fail("platform not supported");

        internal static void ThrowNotImplementedException() => Panic.Fail("not implemented");

        internal static void ThrowNotSupportedException() => Panic.Fail("not supported");

        internal static void ThrowInvalidOperationException() => Panic.Fail("invalid operation");

        internal static void ThrowArrayTypeMismatchException() => Panic.Fail("array type mismatch");

        internal static void ThrowInvalidCastException() => Panic.Fail("invalid cast");

        internal static void ThrowTypeLoadException() => Panic.Fail("type load");

        internal static void ThrowTypeLoadExceptionWithArgument() => Panic.Fail("type load");

        internal static void ThrowMissingMethodException() => Panic.Fail("missing method");

        internal static void ThrowMissingFieldException() => Panic.Fail("missing field");

        internal static void ThrowFileNotFoundException() => Panic.Fail("file not found");

        internal static void ThrowInvalidProgramException() => Panic.Fail("invalid program");

        internal static void ThrowInvalidProgramExceptionWithArgument() => Panic.Fail("invalid program");

        internal static void ThrowMarshalDirectiveException() => Panic.Fail("marshal directive");

        internal static void ThrowBadImageFormatException() => Panic.Fail("bad image format");

        internal static void ThrowAmbiguousMatchException() => Panic.Fail("ambiguous match");

        internal static void ThrowFeatureBodyRemoved() => Panic.Fail("feature removed at build time");
    }
}
