// The kernel clock on a simulated machine: TSC calibration against PIT channel 2, the Hyper-V
// reference counter when the hypervisor offers it, and a PIT that never fires.
using Bootstage.Kernel.Hardware;
using Bootstage.Platform;
using Bootstage.Platform.Testing;

namespace Bootstage.Kernel.Tests
{
    public class ClockTests
    {
        // PIT channel 2 whose OUT2 (port 0x61 bit 5) rises after a number of polls.
        private sealed class PitMachine : SimulatedPlatform
        {
            private readonly int _pollsUntilFire;
            private int _polls;
            private bool _armed;

            public PitMachine(int pollsUntilFire)
            {
                _pollsUntilFire = pollsUntilFire;
            }

            public override void OutByte(ushort port, byte value)
            {
                base.OutByte(port, value);
                if (port == 0x42)
                {
                    _armed = true;
                    _polls = 0;
                }
            }

            public override byte InByte(ushort port)
            {
                if (port != 0x61)
                {
                    return base.InByte(port);
                }

                if (_armed && _pollsUntilFire >= 0 && ++_polls >= _pollsUntilFire)
                {
                    return 0x20;
                }

                return 0x00;
            }
        }

        [Fact]
        public void Tsc_rate_comes_from_the_ticks_spent_waiting_for_the_pit()
        {
            // Calibration reads the TSC once before and once after the PIT wait, so the measured
            // delta is one TscStep: 20,000,000 ticks in the 10 ms window means 2000 ticks per µs.
            using PitMachine machine = new PitMachine(5000) { TscStep = 20_000_000 };
            Clock clock = new Clock(machine, hasReferenceCounter: false);
            Assert.True(clock.Calibrate());
            Assert.Equal(2000UL, clock.TscPerMicrosecond);
            Assert.False(clock.UsesReferenceCounter);
            // Count 11931 (10 ms at 1.193182 MHz), mode 0 on channel 2, gate on.
            Assert.Contains(machine.PortWrites, w => w.Port == 0x43 && w.Value == 0xB0);
            Assert.Contains(machine.PortWrites, w => w.Port == 0x42 && w.Value == (11931 & 0xFF));
            Assert.Contains(machine.PortWrites, w => w.Port == 0x42 && w.Value == (11931 >> 8));
        }

        [Fact]
        public void A_pit_that_never_fires_is_reported_and_a_rate_is_still_set()
        {
            using PitMachine machine = new PitMachine(-1) { TscStep = 1 };
            Clock clock = new Clock(machine, hasReferenceCounter: false);
            Assert.False(clock.Calibrate());
            Assert.True(clock.TscPerMicrosecond > 0);
        }

        [Fact]
        public void The_hyper_v_reference_counter_is_used_when_offered_and_readable()
        {
            using SimulatedPlatform machine = new SimulatedPlatform();
            machine.DefineMsr(0x40000020, 123_456_780);
            Clock clock = new Clock(machine, hasReferenceCounter: true);
            Assert.True(clock.UsesReferenceCounter);
            Assert.Equal(12_345_678UL, clock.Microseconds);
        }

        [Fact]
        public void A_reference_counter_msr_that_faults_falls_back_to_the_tsc()
        {
            using SimulatedPlatform machine = new SimulatedPlatform();
            Assert.Equal(PlatformStatus.Fault, machine.ReadMsr(0x40000020, out _));
            Clock clock = new Clock(machine, hasReferenceCounter: true);
            Assert.False(clock.UsesReferenceCounter);
        }
    }
}
