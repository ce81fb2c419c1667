// The placeholder type ILC substitutes for reference-type arguments of shared generic code.
namespace System
{
    internal sealed class __Canon
    {
    }
}
