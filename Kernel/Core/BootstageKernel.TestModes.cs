// The test modes that replace the boot flow when the command line names one (BootOptions.Mode):
// `selftest` runs the core-library and kernel self-tests, `panic-test=` stops the machine through
// a crash path on purpose, `nettest=arp` proves virtio-net's two data paths against QEMU's slirp
// gateway and `nettest=tcp-echo|tcp-rx` runs TCP against the host (TcpNetTest). None of them
// goes near a SAN disk. True when the test passed.
using System;
using Bootstage.Kernel.Console;

namespace Bootstage.Kernel.Core
{
    internal sealed unsafe partial class BootstageKernel
    {
        private bool RunTestMode()
        {
            switch (_options.Mode)
            {
                case BootMode.PanicTest:
                    TriggerPanic(_options.PanicTest);
                    return false;
                case BootMode.SelfTest:
                    return SelfTestRunner.RunAll(_platform);
                default:
                    return RunNetTest(_options.NetTest.In(Machine.CommandLine));
            }
        }

        private static void TriggerPanic(PanicTest test)
        {
            Log.Warn("panic-test requested: stopping the machine on purpose");
            if (test == PanicTest.PageFault)
            {
                int* nowhere = null;
                Log.Begin(LogLevel.Info).Dec((ulong)*(nowhere + 1)).End();
            }

            throw new InvalidOperationException("panic-test: managed throw");
        }

        private bool RunNetTest(ReadOnlySpan<byte> test)
        {
            if (test.SequenceEqual("arp"u8))
            {
                if (_virtioNet == null)
                {
                    Log.Milestone("arp-test").Text(" result=no-device").End();
                    return false;
                }

                return VirtioNetProbe.RunArpTest(_platform, _virtioNet, _clock);
            }

            BringUpNetwork();
            if (!TcpNetTest.TryRun(test, _network, _clock, _platform.ReadTimestampCounter(), out bool passed))
            {
                Log.Begin(LogLevel.Warn).Text("nettest=").Ascii(test).Text(" is unknown; nettest takes arp, tcp-echo:<port>[:<bytes>] or tcp-rx:<port>[:<bytes>]").End();
                return false;
            }

            return passed;
        }
    }
}
