// Checks that only make sense inside the image: the #GP recovery of the MSR plugs, the interface
// dispatch cache of our runtime, and the kernel heap behind `new`.
using Bootstage.Platform;
using Bootstage.SelfTests;

namespace Bootstage.Kernel.Core
{
    internal static unsafe class KernelSelfTests
    {
        public const int Count = 3;

        private const uint EferMsr = 0xC0000080;
        private const ulong EferLongModeActive = 1UL << 10;

        internal static SelfCheck Run(int index, IPlatform platform, out string name)
        {
            SelfCheck check = default;
            switch (index)
            {
                case 0: name = "Faulting_msr_access_returns_fault_status_instead_of_crashing"; FaultingMsr(platform, ref check); break;
                case 1: name = "Interface_dispatch_cell_caches_its_target"; DispatchCache(ref check); break;
                case 2: name = "Kernel_heap_backs_new_and_takes_objects_back"; KernelHeap(ref check); break;
                default: name = "unknown"; check.True(false, "no such test"); break;
            }

            return check;
        }

        private static void FaultingMsr(IPlatform platform, ref SelfCheck check)
        {
            for (int attempt = 0; attempt < 3; attempt++)
            {
                PlatformStatus status = platform.WriteMsr(BootstageKernel.ProbeFaultingWriteMsr, BootstageKernel.ProbeFaultingWriteValue);
                check.Equal((long)PlatformStatus.Fault, (long)status, "WRMSR of reserved PKRS bits reports a fault, every time");
            }

            // Absent on anything but Hyper-V: a fault (real CPUs) or 0 (TCG), never a crash.
            PlatformStatus read = platform.ReadMsr(BootstageKernel.ProbeAbsentMsr, out ulong value);
            check.True(read == PlatformStatus.Fault ? value == 0 : read == PlatformStatus.Success, "RDMSR of GUEST_OS_ID returns a status");

            check.Equal((long)PlatformStatus.Success, (long)platform.ReadMsr(EferMsr, out ulong efer), "EFER is readable");
            check.True((efer & EferLongModeActive) != 0, "EFER.LMA is set in long mode");
        }

        private interface IValue
        {
            int Get();
        }

        private sealed class One : IValue
        {
            public int Get() => 1;
        }

        private sealed class Two : IValue
        {
            public int Get() => 2;
        }

        private sealed class Three : IValue
        {
            public int Get() => 3;
        }

        private sealed class Four : IValue
        {
            public int Get() => 4;
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static int CallSite(IValue value) => value.Get();

        private static void DispatchCache(ref SelfCheck check)
        {
            IValue[] values = new IValue[] { new One(), new Two(), new Three(), new Four() };
            CallSite(values[0]);
            ulong before = Internal.Runtime.InterfaceDispatch.Misses;
            int sum = 0;
            for (int i = 0; i < 100; i++)
            {
                sum += CallSite(values[0]);
            }

            check.Equal(100, sum, "cached target returns the right value");
            check.Equal(0, (long)(Internal.Runtime.InterfaceDispatch.Misses - before), "same receiver type never misses");
            sum = 0;
            for (int i = 0; i < 4; i++)
            {
                sum += CallSite(values[i]);
            }

            check.Equal(10, sum, "each receiver type reaches its own implementation");
            check.Equal(3, (long)(Internal.Runtime.InterfaceDispatch.Misses - before), "a new receiver type re-resolves once");
        }

        private static byte[] s_buffer;

        private static void KernelHeap(ref SelfCheck check)
        {
            ref Internal.Runtime.Heap heap = ref System.Runtime.RuntimeExports.KernelHeap;
            ulong liveBefore = heap.LiveBytes;
            // Kept in a static so escape analysis cannot put it on the stack.
            s_buffer = new byte[10000];
            byte[] buffer = s_buffer;
            check.True(heap.LiveBytes >= liveBefore + 10000, "new byte[] is charged to the kernel heap");
            check.Equal(0, buffer[9999], "new arrays are zeroed");
            check.True(System.Runtime.RuntimeExports.Free(buffer), "an array can be returned");
            s_buffer = null;
            check.Equal((long)liveBefore, (long)heap.LiveBytes, "returned bytes are no longer live");
        }
    }
}
