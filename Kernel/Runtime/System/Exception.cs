// Exceptions exist so shared code can say 'throw new X(...)' on paths that are bugs. The image
// has no unwinder: the runtime's RhpThrowEx turns every throw into a panic that prints Message.
namespace System
{
    public class Exception
    {
        private readonly string _message;

        public Exception()
        {
        }

        public Exception(string message)
        {
            _message = message;
        }

        public virtual string Message => _message ?? "exception";
    }

    public class SystemException : Exception
    {
        public SystemException(string message) : base(message)
        {
        }
    }

    public class ArgumentException : SystemException
    {
        public ArgumentException() : base("argument")
        {
        }

        public ArgumentException(string message) : base(message)
        {
        }
    }

    public class ArgumentNullException : ArgumentException
    {
        public ArgumentNullException(string paramName) : base(paramName)
        {
        }
    }

    public class ArgumentOutOfRangeException : ArgumentException
    {
        public ArgumentOutOfRangeException() : base("argument out of range")
        {
        }

        public ArgumentOutOfRangeException(string paramName) : base(paramName)
        {
        }
    }

    public class InvalidOperationException : SystemException
    {
        public InvalidOperationException() : base("invalid operation")
        {
        }

        public InvalidOperationException(string message) : base(message)
        {
        }
    }

    public class NotSupportedException : SystemException
    {
        public NotSupportedException() : base("not supported")
        {
        }

        public NotSupportedException(string message) : base(message)
        {
        }
    }

    public class NotImplementedException : SystemException
    {
        public NotImplementedException() : base("not implemented")
        {
        }
    }

    public class IndexOutOfRangeException : SystemException
    {
        public IndexOutOfRangeException() : base("index out of range")
        {
        }
    }

    public class NullReferenceException : SystemException
    {
        public NullReferenceException() : base("null reference")
        {
        }
    }

    public class OverflowException : SystemException
    {
        public OverflowException() : base("overflow")
        {
        }
    }

    public class InvalidCastException : SystemException
    {
        public InvalidCastException() : base("invalid cast")
        {
        }
    }
}
