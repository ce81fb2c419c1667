// The assertion helper of the shared self-tests. It records the first failed check of a test
// (its message and the two values) instead of throwing, because the image has no exceptions;
// the .NET runner turns a recorded failure into an xunit assertion failure.
namespace Bootstage.SelfTests
{
    internal struct SelfCheck
    {
        private string? _failure;
        private long _expected;
        private long _actual;

        public bool Passed => (object?)_failure == null;

        public string? Failure => _failure;

        public long Expected => _expected;

        public long Actual => _actual;

        public void True(bool condition, string message)
        {
            if (!condition && (object?)_failure == null)
            {
                _failure = message;
                _expected = 1;
                _actual = 0;
            }
        }

        public void Equal(long expected, long actual, string message)
        {
            if (expected != actual && (object?)_failure == null)
            {
                _failure = message;
                _expected = expected;
                _actual = actual;
            }
        }

        public void Equal(ulong expected, ulong actual, string message)
        {
            Equal((long)expected, (long)actual, message);
        }
    }
}
