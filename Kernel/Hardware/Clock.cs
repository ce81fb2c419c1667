// The kernel clock. With Hyper-V's TIME_REF_COUNT MSR (100 ns units, TLFS "Partition Reference
// Counter") time comes from the hypervisor. Otherwise the TSC is calibrated against PIT channel 2
// (Intel 8254 datasheet: mode 0 one-shot, gate and output through port 0x61): program a known
// count, spin until OUT2 rises, divide the TSC delta by the elapsed time.
using Bootstage.Platform;

namespace Bootstage.Kernel.Hardware
{
    internal sealed class Clock
    {
        private const uint TimeRefCountMsr = 0x40000020;
        private const uint PitFrequency = 1193182;
        private const ushort PitChannel2 = 0x42;
        private const ushort PitCommand = 0x43;
        private const ushort SpeakerPort = 0x61;
        private const uint CalibrationMs = 10;

        private readonly IPlatform _platform;
        private readonly bool _useReferenceCounter;
        private ulong _tscPerMicrosecond;

        internal Clock(IPlatform platform, bool hasReferenceCounter)
        {
            _platform = platform;
            _useReferenceCounter = hasReferenceCounter && platform.ReadMsr(TimeRefCountMsr, out _) == PlatformStatus.Success;
        }

        internal bool UsesReferenceCounter => _useReferenceCounter;

        internal ulong TscPerMicrosecond => _tscPerMicrosecond;

        /// <summary>Calibrates the TSC (needed even with the reference counter, for cheap timestamps). Returns false if the PIT never fired.</summary>
        internal bool Calibrate()
        {
            ushort count = (ushort)(PitFrequency * CalibrationMs / 1000);
            byte port61 = _platform.InByte(SpeakerPort);
            _platform.OutByte(SpeakerPort, (byte)((port61 & 0xFC) | 0x01)); // gate on, speaker off
            _platform.OutByte(PitCommand, 0xB0);                          // channel 2, lo/hi, mode 0, binary
            _platform.OutByte(PitChannel2, (byte)count);
            _platform.OutByte(PitChannel2, (byte)(count >> 8));

            ulong start = _platform.ReadTimestampCounter();
            bool fired = false;
            for (ulong spin = 0; spin < 200_000_000; spin++)
            {
                if ((_platform.InByte(SpeakerPort) & 0x20) != 0)
                {
                    fired = true;
                    break;
                }
            }

            ulong end = _platform.ReadTimestampCounter();
            _platform.OutByte(SpeakerPort, port61);
            if (!fired || end <= start)
            {
                _tscPerMicrosecond = 1000; // assume 1 GHz rather than divide by zero later
                return false;
            }

            _tscPerMicrosecond = (end - start) / (CalibrationMs * 1000);
            if (_tscPerMicrosecond == 0)
            {
                _tscPerMicrosecond = 1;
            }

            return true;
        }

        /// <summary>Microseconds since an arbitrary origin (boot).</summary>
        internal ulong Microseconds
        {
            get
            {
                if (_useReferenceCounter && _platform.ReadMsr(TimeRefCountMsr, out ulong ticks) == PlatformStatus.Success)
                {
                    return ticks / 10;
                }

                return _platform.ReadTimestampCounter() / _tscPerMicrosecond;
            }
        }

        internal void Delay(ulong microseconds)
        {
            ulong until = Microseconds + microseconds;
            while (Microseconds < until)
            {
                _platform.Pause();
            }
        }
    }
}
