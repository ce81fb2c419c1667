// Delegates. ILC builds delegate construction from the Initialize* methods below (found by name)
// and reads the four fields directly in the Invoke thunks it generates, so order and names matter.
// Multicast (+=) is not supported in the image: Combine panics.
namespace System
{
    public abstract class Delegate
    {
#pragma warning disable 169, 649
        // The code generator invokes a delegate as call [this+32] with [this+8] as first argument.
        private object _target;
        private object _helperObject;
        private nint _extraFunctionPointerOrData;
        private IntPtr _methodPtr;
#pragma warning restore 169, 649

        public object Target => (object)_target == (object)this ? _helperObject : _target;

        private void InitializeClosedInstance(object firstParameter, IntPtr functionPointer)
        {
            if (firstParameter == null)
            {
                Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowNullReferenceException();
            }

            _methodPtr = functionPointer;
            _target = firstParameter;
        }

        private void InitializeClosedInstanceSlow(object firstParameter, IntPtr functionPointer)
        {
            InitializeClosedInstance(firstParameter, functionPointer);
        }

        private void InitializeClosedStaticThunk(object firstParameter, IntPtr functionPointer, IntPtr functionPointerThunk)
        {
            _extraFunctionPointerOrData = (nint)functionPointer;
            _helperObject = firstParameter;
            _methodPtr = functionPointerThunk;
            _target = this;
        }

        private void InitializeOpenStaticThunk(object firstParameter, IntPtr functionPointer, IntPtr functionPointerThunk)
        {
            // The thunk receives the delegate itself and calls the static target found in the extra field.
            _target = this;
            _methodPtr = functionPointerThunk;
            _extraFunctionPointerOrData = (nint)functionPointer;
        }

        public static Delegate Combine(Delegate a, Delegate b)
        {
            if ((object)a == null)
            {
                return b;
            }

            if ((object)b == null)
            {
                return a;
            }

            Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowNotSupportedException();
            return null;
        }

        public static Delegate Remove(Delegate source, Delegate value)
        {
            if ((object)source == (object)value)
            {
                return null;
            }

            return source;
        }
    }

    public abstract class MulticastDelegate : Delegate
    {
    }

    public delegate void Action();

    public delegate void Action<in T>(T obj);

    public delegate void Action<in T1, in T2>(T1 arg1, T2 arg2);

    public delegate TResult Func<out TResult>();

    public delegate TResult Func<in T, out TResult>(T arg);

    public delegate TResult Func<in T1, in T2, out TResult>(T1 arg1, T2 arg2);
}
