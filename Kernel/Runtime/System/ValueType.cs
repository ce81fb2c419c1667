// Base of all structs and of enums (ECMA-335 §8.9.10).
namespace System
{
    public abstract class ValueType
    {
    }

    public abstract class Enum : ValueType
    {
    }

    public struct Void
    {
    }
}
