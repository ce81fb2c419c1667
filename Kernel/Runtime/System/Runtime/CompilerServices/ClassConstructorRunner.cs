// Lazy static constructors. ILC pre-computes most static data at build time; a class whose cctor
// it cannot evaluate gets a context that is checked on first access. Single CPU, interrupts off:
// no locking. The address is cleared before the call so a recursive access sees it as done,
// which is what .NET does on the same thread.
namespace System.Runtime.CompilerServices
{
    public struct StaticClassConstructionContext
    {
        public IntPtr cctorMethodAddress;
    }

    internal static unsafe class ClassConstructorRunner
    {
        private static void EnsureClassConstructorRun(StaticClassConstructionContext* context)
        {
            IntPtr cctor = context->cctorMethodAddress;
            if (cctor == IntPtr.Zero)
            {
                return;
            }

            context->cctorMethodAddress = IntPtr.Zero;
            ((delegate*<void>)(void*)cctor)();
        }

        private static object CheckStaticClassConstructionReturnGCStaticBase(StaticClassConstructionContext* context, object gcStaticBase)
        {
            EnsureClassConstructorRun(context);
            return gcStaticBase;
        }

        private static IntPtr CheckStaticClassConstructionReturnNonGCStaticBase(StaticClassConstructionContext* context, IntPtr nonGcStaticBase)
        {
            EnsureClassConstructorRun(context);
            return nonGcStaticBase;
        }

        private static IntPtr CheckStaticClassConstructionReturnThreadStaticBase(StaticClassConstructionContext* context, IntPtr threadStaticBase)
        {
            EnsureClassConstructorRun(context);
            return threadStaticBase;
        }
    }
}
