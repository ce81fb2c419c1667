// The root of the type hierarchy for the freestanding core library.
// ILC fixes the layout: an object starts with its MethodTable pointer.
namespace System
{
    public unsafe class Object
    {
#pragma warning disable 169, 649
        internal Internal.Runtime.MethodTable* m_pMethodTable;
#pragma warning restore 169, 649

        public Object()
        {
        }

        public virtual bool Equals(object obj)
        {
            return (object)this == obj;
        }

        public virtual int GetHashCode()
        {
            return 0;
        }

        public virtual string ToString()
        {
            return "object";
        }

        internal Internal.Runtime.MethodTable* GetMethodTable()
        {
            return m_pMethodTable;
        }
    }
}
