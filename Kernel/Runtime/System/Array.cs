// Single-dimensional, zero-based arrays. The element count follows the MethodTable pointer
// (padded to 8 bytes on x64), then the elements: the layout ILC and the JIT emit code for.
namespace System
{
    public abstract class Array
    {
#pragma warning disable 649
        private readonly int _numComponents;
#pragma warning restore 649

        public int Length => _numComponents;

        public static T[] Empty<T>()
        {
            return EmptyArray<T>.Value;
        }

        public static void Resize<T>(ref T[] array, int newSize)
        {
            T[] larger = new T[newSize];
            if (array != null)
            {
                int count = array.Length < newSize ? array.Length : newSize;
                new ReadOnlySpan<T>(array, 0, count).CopyTo(larger);
            }

            array = larger;
        }
    }

    // ILC builds the MethodTables of T[] from this generic twin of Array.
    public class Array<T> : Array
    {
    }

    internal static class EmptyArray<T>
    {
        internal static readonly T[] Value = new T[0];
    }
}
