// Casting helpers (isinst/castclass, array stores) the code generator calls by symbol name.
// Exact-type and base-chain checks for classes, the interface map for interfaces, element type
// compatibility for arrays. No variance: the image has no variant generic interfaces.
using System;
using Internal.Runtime;
using System.Runtime.CompilerServices;

namespace System.Runtime
{
    internal static unsafe class TypeCast
    {
        internal static bool IsAssignable(MethodTable* source, MethodTable* target)
        {
            if (source == target)
            {
                return true;
            }

            if (target->IsInterface)
            {
                return ImplementsInterface(source, target);
            }

            if (source->IsArray)
            {
                if (target->IsArray)
                {
                    MethodTable* sourceElement = source->RelatedType;
                    MethodTable* targetElement = target->RelatedType;
                    return sourceElement == targetElement
                        || (!sourceElement->IsValueType && !targetElement->IsValueType && IsAssignable(sourceElement, targetElement));
                }

                // T[] derives from System.Array and object: walk System.Array's chain.
                return IsInBaseChain(source, target);
            }

            return IsInBaseChain(source, target);
        }

        private static bool IsInBaseChain(MethodTable* source, MethodTable* target)
        {
            if (source->IsArray)
            {
                // Arrays' related type is the element type; their base is System.Array, which the
                // compiler only lets us cast to via object/Array, both of which are classes here.
                return target->ElementType == MethodTable.ElementTypeSystemArray || target->RelatedType == null;
            }

            for (MethodTable* type = source; type != null; type = type->RelatedType)
            {
                if (type == target)
                {
                    return true;
                }
            }

            return false;
        }

        internal static bool ImplementsInterface(MethodTable* source, MethodTable* target)
        {
            MethodTable** map = source->InterfaceMap;
            for (int i = 0; i < source->NumInterfaces; i++)
            {
                if (map[i] == target)
                {
                    return true;
                }
            }

            return false;
        }

        [RuntimeExport("RhTypeCast_IsInstanceOfClass")]
        internal static object IsInstanceOfClass(MethodTable* type, object obj)
        {
            if (obj == null || obj.m_pMethodTable == type)
            {
                return obj;
            }

            return IsAssignable(obj.m_pMethodTable, type) ? obj : null;
        }

        [RuntimeExport("RhTypeCast_IsInstanceOfInterface")]
        internal static object IsInstanceOfInterface(MethodTable* type, object obj)
        {
            if (obj == null)
            {
                return null;
            }

            return ImplementsInterface(obj.m_pMethodTable, type) ? obj : null;
        }

        [RuntimeExport("RhTypeCast_IsInstanceOfAny")]
        internal static object IsInstanceOfAny(MethodTable* type, object obj)
        {
            if (obj == null)
            {
                return null;
            }

            return IsAssignable(obj.m_pMethodTable, type) ? obj : null;
        }

        [RuntimeExport("RhTypeCast_IsInstanceOfException")]
        internal static bool IsInstanceOfException(MethodTable* type, object obj)
        {
            return obj != null && IsAssignable(obj.m_pMethodTable, type);
        }

        [RuntimeExport("RhTypeCast_CheckCastClass")]
        internal static object CheckCastClass(MethodTable* type, object obj)
        {
            if (obj == null || obj.m_pMethodTable == type || IsAssignable(obj.m_pMethodTable, type))
            {
                return obj;
            }

            Panic.Fail("invalid cast");
            return null;
        }

        [RuntimeExport("RhTypeCast_CheckCastClassSpecial")]
        internal static object CheckCastClassSpecial(MethodTable* type, object obj) => CheckCastClass(type, obj);

        [RuntimeExport("RhTypeCast_CheckCastInterface")]
        internal static object CheckCastInterface(MethodTable* type, object obj)
        {
            if (obj == null || ImplementsInterface(obj.m_pMethodTable, type))
            {
                return obj;
            }

            Panic.Fail("invalid cast to interface");
            return null;
        }

        [RuntimeExport("RhTypeCast_CheckCastAny")]
        internal static object CheckCastAny(MethodTable* type, object obj) => CheckCastClass(type, obj);

        [RuntimeExport("RhpStelemRef")]
        internal static void StelemRef(object[] array, nint index, object obj)
        {
            if ((nuint)index >= (nuint)(uint)array.Length)
            {
                Panic.Fail("index out of range");
            }

            ref object element = ref Unsafe.As<byte, object>(ref Span<object>.ArrayData(array));
            element = ref Unsafe.Add(ref element, index);
            if (obj != null)
            {
                MethodTable* elementType = array.m_pMethodTable->RelatedType;
                if (obj.m_pMethodTable != elementType && !IsAssignable(obj.m_pMethodTable, elementType))
                {
                    Panic.Fail("array type mismatch");
                }
            }

            element = obj;
        }

        [RuntimeExport("RhpLdelemaRef")]
        internal static ref object LdelemaRef(object[] array, nint index, MethodTable* elementType)
        {
            if ((nuint)index >= (nuint)(uint)array.Length)
            {
                Panic.Fail("index out of range");
            }

            if (array.m_pMethodTable->RelatedType != elementType)
            {
                Panic.Fail("array type mismatch");
            }

            ref object element = ref Unsafe.As<byte, object>(ref Span<object>.ArrayData(array));
            return ref Unsafe.Add(ref element, index);
        }
    }
}
