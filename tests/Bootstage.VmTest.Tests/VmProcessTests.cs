// VmProcess, the child process whose stdout is a VM's console, with /bin/sh standing in for QEMU:
// lines arrive in order with stderr marked, the exit comes last with its status, Stop kills a VM
// that would run on and runs the backend's clean-up, and a missing program is a named error.
using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Bootstage.VmTest.Backends;

namespace Bootstage.VmTest.Tests
{
    public class VmProcessTests
    {
        private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

        private static async Task<List<VmEvent>> AllEvents(IVmSession session)
        {
            List<VmEvent> events = new List<VmEvent>();
            await foreach (VmEvent item in session.Events.ReadAllAsync().WithCancellation(default))
            {
                events.Add(item);
            }

            return events;
        }

        [LinuxFact]
        public async Task Console_lines_come_in_order_and_the_exit_status_comes_last()
        {
            using VmProcess vm = VmProcess.Start("/bin/sh", new[] { "-c", "echo '@milestone name=cpu x=1'; echo 'oops' >&2; printf 'no newline'; exit 5" }, "[qemu] ");

            List<VmEvent> events = await AllEvents(vm).WaitAsync(HangGuard);

            Assert.Contains(events, e => e is ConsoleLine { Text: "[qemu] oops" });
            List<string> stdout = events.FindAll(e => e is ConsoleLine line && !line.Text.StartsWith("[qemu]", StringComparison.Ordinal)).ConvertAll(e => ((ConsoleLine)e).Text);
            Assert.Equal(new[] { "@milestone name=cpu x=1", "no newline" }, stdout);
            VmExited exit = Assert.IsType<VmExited>(events[^1]);
            Assert.Equal(5, exit.ExitCode);
            Assert.All(events, e => Assert.True(e.At <= exit.At));
        }

        [LinuxFact]
        public async Task Stop_kills_the_vm_and_runs_the_clean_up()
        {
            bool cleanedUp = false;
            using VmProcess vm = VmProcess.Start("/bin/sh", new[] { "-c", "echo started; exec sleep 600" }, "[qemu] ", () => cleanedUp = true);
            VmEvent first = await vm.Events.ReadAsync().AsTask().WaitAsync(HangGuard);
            Assert.Equal("started", ((ConsoleLine)first).Text);

            vm.Stop();
            vm.Stop();
            List<VmEvent> rest = await AllEvents(vm).WaitAsync(HangGuard);

            Assert.True(cleanedUp);
            Assert.Equal(137, Assert.IsType<VmExited>(Assert.Single(rest)).ExitCode);
        }

        [LinuxFact]
        public void A_program_that_is_not_there_is_a_named_error()
        {
            BackendException error = Assert.Throws<BackendException>(() => VmProcess.Start("/nonexistent/qemu-system-x86_64", Array.Empty<string>(), string.Empty));
            Assert.StartsWith("could not start /nonexistent/qemu-system-x86_64: ", error.Message);
        }
    }
}
