// Work the kernel does around every INT 13h call it serves: on Hyper-V, Enter reclaims the
// hypervisor interface if an enlightened loader took it (re-establishing VMBus and the NIC) and
// Leave quiesces it again before control returns to the loader (docs/hyperv.md §11).
namespace Bootstage.Boot.Int13
{
    public interface IInt13Gate
    {
        void Enter();

        void Leave();
    }
}
