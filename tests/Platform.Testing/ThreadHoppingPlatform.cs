// Runs every call of an inner platform on a dedicated thread, synchronously: the caller blocks
// (spinning) until the call returns. Memory stays shared, so a guest driver sees exactly the same
// machine. Its purpose is measurement: GC.GetAllocatedBytesForCurrentThread on the guest thread
// then counts only what the driver allocates, not what the simulated host does on its behalf.
// The hand-off itself allocates nothing.
using System;
using System.Threading;

namespace Bootstage.Platform.Testing
{
    public sealed unsafe class ThreadHoppingPlatform : IPlatform, IDisposable
    {
        private enum Operation
        {
            Cpuid,
            ReadMsr,
            WriteMsr,
            InByte,
            InWord,
            InDword,
            OutByte,
            OutWord,
            OutDword,
            ReadTsc,
            Pause,
            Halt,
            AllocatePages,
            FreePages,
            Hypercall,
        }

        private readonly IPlatform _inner;
        private readonly Thread _thread;
        private volatile int _state; // 0 idle, 1 request posted, 2 result ready, 3 stopping
        private Operation _operation;
        private uint _a;
        private uint _b;
        private ulong _c;
        private ulong _d;
        private ulong _e;
        private void* _pointer;
        private ulong _result;
        private PlatformStatus _status;
        private CpuidResult _cpuid;
        private PhysicalRegion _region;

        public ThreadHoppingPlatform(IPlatform inner)
        {
            _inner = inner;
            _thread = new Thread(Serve) { IsBackground = true, Name = "simulated host" };
            _thread.Start();
        }

        private void Call(Operation operation)
        {
            _operation = operation;
            _state = 1;
            SpinWait spin = default;
            while (_state != 2)
            {
                spin.SpinOnce(-1);
            }

            _state = 0;
        }

        private void Serve()
        {
            SpinWait spin = default;
            while (true)
            {
                int state = _state;
                if (state == 3)
                {
                    return;
                }

                if (state != 1)
                {
                    spin.SpinOnce(-1);
                    continue;
                }

                spin = default;
                switch (_operation)
                {
                    case Operation.Cpuid: _cpuid = _inner.Cpuid(_a, _b); break;
                    case Operation.ReadMsr: _status = _inner.ReadMsr(_a, out _result); break;
                    case Operation.WriteMsr: _status = _inner.WriteMsr(_a, _c); break;
                    case Operation.InByte: _result = _inner.InByte((ushort)_a); break;
                    case Operation.InWord: _result = _inner.InWord((ushort)_a); break;
                    case Operation.InDword: _result = _inner.InDword((ushort)_a); break;
                    case Operation.OutByte: _inner.OutByte((ushort)_a, (byte)_b); break;
                    case Operation.OutWord: _inner.OutWord((ushort)_a, (ushort)_b); break;
                    case Operation.OutDword: _inner.OutDword((ushort)_a, _b); break;
                    case Operation.ReadTsc: _result = _inner.ReadTimestampCounter(); break;
                    case Operation.Pause: _inner.Pause(); break;
                    case Operation.Halt: _inner.Halt(); break;
                    case Operation.AllocatePages: _status = _inner.AllocatePages(_a, out _region); break;
                    case Operation.FreePages: _status = _inner.FreePages(_region); break;
                    case Operation.Hypercall: _result = _inner.Hypercall(_pointer, _c, _d, _e); break;
                }

                _state = 2;
            }
        }

        public CpuidResult Cpuid(uint leaf, uint subleaf)
        {
            _a = leaf;
            _b = subleaf;
            Call(Operation.Cpuid);
            return _cpuid;
        }

        public PlatformStatus ReadMsr(uint msr, out ulong value)
        {
            _a = msr;
            Call(Operation.ReadMsr);
            value = _result;
            return _status;
        }

        public PlatformStatus WriteMsr(uint msr, ulong value)
        {
            _a = msr;
            _c = value;
            Call(Operation.WriteMsr);
            return _status;
        }

        public byte InByte(ushort port)
        {
            _a = port;
            Call(Operation.InByte);
            return (byte)_result;
        }

        public ushort InWord(ushort port)
        {
            _a = port;
            Call(Operation.InWord);
            return (ushort)_result;
        }

        public uint InDword(ushort port)
        {
            _a = port;
            Call(Operation.InDword);
            return (uint)_result;
        }

        public void OutByte(ushort port, byte value)
        {
            _a = port;
            _b = value;
            Call(Operation.OutByte);
        }

        public void OutWord(ushort port, ushort value)
        {
            _a = port;
            _b = value;
            Call(Operation.OutWord);
        }

        public void OutDword(ushort port, uint value)
        {
            _a = port;
            _b = value;
            Call(Operation.OutDword);
        }

        public ulong ReadTimestampCounter()
        {
            Call(Operation.ReadTsc);
            return _result;
        }

        public void Pause() => Call(Operation.Pause);

        public void Halt() => Call(Operation.Halt);

        public PlatformStatus AllocatePages(uint pageCount, out PhysicalRegion region)
        {
            _a = pageCount;
            Call(Operation.AllocatePages);
            region = _region;
            return _status;
        }

        public PlatformStatus FreePages(PhysicalRegion region)
        {
            _region = region;
            Call(Operation.FreePages);
            return _status;
        }

        // Pure address arithmetic in the simulated machines: no need to hop.
        public void* PhysicalToVirtual(ulong physicalAddress) => _inner.PhysicalToVirtual(physicalAddress);

        public ulong VirtualToPhysical(void* address) => _inner.VirtualToPhysical(address);

        public ulong Hypercall(void* hypercallPage, ulong control, ulong inputPhysical, ulong outputPhysical)
        {
            _pointer = hypercallPage;
            _c = control;
            _d = inputPhysical;
            _e = outputPhysical;
            Call(Operation.Hypercall);
            return _result;
        }

        public void Dispose()
        {
            _state = 3;
            _thread.Join();
        }
    }
}
