// The kernel lifecycle in the Cosmos shape: the entry code builds the machine services, then
// calls BeforeRun once, Run once, and AfterRun once. A subclass is the product's boot flow.
namespace Bootstage.Kernel.Core
{
    internal abstract class KernelBase
    {
        /// <summary>Bring-up that must succeed before the boot flow: detection, clocks, buses.</summary>
        protected internal abstract void BeforeRun();

        /// <summary>The boot flow itself.</summary>
        protected internal abstract void Run();

        /// <summary>After Run returns: report and hand the machine back (QEMU exit or halt).</summary>
        protected internal virtual void AfterRun()
        {
        }

        internal void Start()
        {
            BeforeRun();
            Run();
            AfterRun();
        }
    }
}
