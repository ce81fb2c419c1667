// The runtime type descriptor ILC emits for every type (NativeAOT's MethodTable, formerly EEType).
// Only what our allocator, casts and interface dispatch read is declared here; the layout is fixed
// by the compiler: flags, base size, related type, slot/interface counts, hash, then the vtable
// followed by the interface map.
using System.Runtime.CompilerServices;

namespace Internal.Runtime
{
    internal unsafe struct MethodTable
    {
        // Upper 16 bits: flags; lower 16 bits: component size (arrays, strings) or extra flags.
        internal uint _uFlags;
        internal uint _uBaseSize;
        internal MethodTable* _relatedType;
        internal ushort _usNumVtableSlots;
        internal ushort _usNumInterfaces;
        internal uint _uHashCode;

        private const uint HasComponentSizeFlag = 0x80000000;
        private const uint HasPointersFlag = 0x01000000;
        private const uint HasDispatchMapFlag = 0x00040000;
        private const uint HasFinalizerFlag = 0x00100000;
        private const uint HasSealedVirtualsFlag = 0x00400000;
        private const uint ElementTypeMask = 0x7C000000;
        private const int ElementTypeShift = 26;

        internal const uint ElementTypeNullable = 0x12;
        internal const uint ElementTypeClass = 0x14;
        internal const uint ElementTypeInterface = 0x15;
        internal const uint ElementTypeSystemArray = 0x16;
        internal const uint ElementTypeArray = 0x17;
        internal const uint ElementTypeSzArray = 0x18;

        internal bool HasComponentSize => (_uFlags & HasComponentSizeFlag) != 0;

        internal ushort ComponentSize => HasComponentSize ? (ushort)_uFlags : (ushort)0;

        internal uint BaseSize => _uBaseSize;

        internal uint ElementType => (_uFlags & ElementTypeMask) >> ElementTypeShift;

        internal bool IsValueType => ElementType < ElementTypeClass;

        internal bool IsNullable => ElementType == ElementTypeNullable;

        internal bool IsInterface => ElementType == ElementTypeInterface;

        internal bool IsArray => ElementType == ElementTypeArray || ElementType == ElementTypeSzArray;

        internal bool HasDispatchMap => (_uFlags & HasDispatchMapFlag) != 0;

        internal bool HasFinalizer => (_uFlags & HasFinalizerFlag) != 0;

        internal bool HasSealedVirtuals => (_uFlags & HasSealedVirtualsFlag) != 0;

        internal bool ContainsGCPointers => (_uFlags & HasPointersFlag) != 0;

        // For classes: the base type. For arrays: the element type. For Nullable<T>: T.
        internal MethodTable* RelatedType => _relatedType;

        internal ushort NumVtableSlots => _usNumVtableSlots;

        internal ushort NumInterfaces => _usNumInterfaces;

        internal nint* VTable
        {
            get
            {
                fixed (MethodTable* self = &this)
                {
                    return (nint*)((byte*)self + sizeof(MethodTable));
                }
            }
        }

        internal MethodTable** InterfaceMap => (MethodTable**)(VTable + _usNumVtableSlots);

        // Without a component size, the low 16 bits are extra flags: bits 5-7 the padding a boxed
        // value type carries after its fields, bits 8-10 log2 of Nullable<T>'s value offset.
        private const uint ValueTypeFieldPaddingMask = 0xE0;
        private const int ValueTypeFieldPaddingShift = 5;
        private const uint NullableValueOffsetMask = 0x700;
        private const int NullableValueOffsetShift = 8;

        // Size in bytes of the unboxed value: base size less object header, MT pointer and padding.
        internal uint ValueTypeSize => _uBaseSize - (uint)(2 * sizeof(nint)) - ((_uFlags & ValueTypeFieldPaddingMask) >> ValueTypeFieldPaddingShift);

        // Offset of Nullable<T>.value (after the bool, aligned for T).
        internal uint NullableValueOffset => 1u << (int)((_uFlags & NullableValueOffsetMask) >> NullableValueOffsetShift);
    }
}
