// A simulated x86-64 machine behind the platform interface, for driver tests on .NET.
// CPUID answers come from a table (absent leaves read as zeros, as CPUs do above the max leaf);
// MSRs exist only when defined, and touching an undefined one reports Fault, as #GP would;
// port writes are recorded; pages come from pinned native memory whose address doubles as the
// physical address, so driver pointer arithmetic is real. Subclasses (the Hyper-V host model)
// override the virtual hooks to add side effects.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Bootstage.Platform.Testing
{
    public unsafe class SimulatedPlatform : IPlatform, IDisposable
    {
        private readonly Dictionary<(uint Leaf, uint Subleaf), CpuidResult> _cpuid = new();
        private readonly Dictionary<uint, ulong> _msrs = new();
        private readonly Dictionary<ushort, byte> _portInputs = new();
        private readonly List<(ulong Physical, uint Pages)> _allocations = new();
        private ulong _tsc;
        private bool _disposed;

        /// <summary>Every CPUID leaf asked for, in order.</summary>
        public List<uint> CpuidLeavesRead { get; } = new();

        /// <summary>Every port write, in order.</summary>
        public List<(ushort Port, uint Value, int Width)> PortWrites { get; } = new();

        /// <summary>How many page runs are still allocated.</summary>
        public int LivePageRuns => _allocations.Count;

        /// <summary>Advance of the time-stamp counter on each read.</summary>
        public ulong TscStep { get; set; } = 1000;

        public void SetCpuid(uint leaf, uint subleaf, uint eax, uint ebx, uint ecx, uint edx)
        {
            _cpuid[(leaf, subleaf)] = new CpuidResult(eax, ebx, ecx, edx);
        }

        public void DefineMsr(uint msr, ulong value) => _msrs[msr] = value;

        public void RemoveMsr(uint msr) => _msrs.Remove(msr);

        public bool TryGetMsr(uint msr, out ulong value) => _msrs.TryGetValue(msr, out value);

        public void SetPortInput(ushort port, byte value) => _portInputs[port] = value;

        public virtual CpuidResult Cpuid(uint leaf, uint subleaf)
        {
            CpuidLeavesRead.Add(leaf);
            return _cpuid.TryGetValue((leaf, subleaf), out CpuidResult result) ? result : default;
        }

        public virtual PlatformStatus ReadMsr(uint msr, out ulong value)
        {
            if (_msrs.TryGetValue(msr, out value))
            {
                return PlatformStatus.Success;
            }

            value = 0;
            return PlatformStatus.Fault;
        }

        public virtual PlatformStatus WriteMsr(uint msr, ulong value)
        {
            if (!_msrs.ContainsKey(msr))
            {
                return PlatformStatus.Fault;
            }

            _msrs[msr] = value;
            return PlatformStatus.Success;
        }

        public virtual byte InByte(ushort port) => _portInputs.TryGetValue(port, out byte value) ? value : (byte)0xFF;

        public virtual ushort InWord(ushort port) => 0xFFFF;

        public virtual uint InDword(ushort port) => 0xFFFFFFFF;

        public virtual void OutByte(ushort port, byte value) => PortWrites.Add((port, value, 1));

        public virtual void OutWord(ushort port, ushort value) => PortWrites.Add((port, value, 2));

        public virtual void OutDword(ushort port, uint value) => PortWrites.Add((port, value, 4));

        public virtual ulong ReadTimestampCounter() => _tsc += TscStep;

        public virtual void Pause()
        {
        }

        public virtual void Halt()
        {
        }

        public virtual PlatformStatus AllocatePages(uint pageCount, out PhysicalRegion region)
        {
            if (pageCount == 0)
            {
                region = default;
                return PlatformStatus.InvalidArgument;
            }

            nuint bytes = (nuint)pageCount * PhysicalRegion.PageSize;
            void* memory = NativeMemory.AlignedAlloc(bytes, PhysicalRegion.PageSize);
            NativeMemory.Clear(memory, bytes);
            ulong physical = (ulong)memory;
            _allocations.Add((physical, pageCount));
            region = new PhysicalRegion(physical, memory, pageCount);
            return PlatformStatus.Success;
        }

        public virtual PlatformStatus FreePages(PhysicalRegion region)
        {
            int index = _allocations.IndexOf((region.PhysicalAddress, region.PageCount));
            if (index < 0)
            {
                return PlatformStatus.InvalidArgument;
            }

            _allocations.RemoveAt(index);
            NativeMemory.AlignedFree(region.VirtualAddress);
            return PlatformStatus.Success;
        }

        public virtual void* PhysicalToVirtual(ulong physicalAddress) => (void*)physicalAddress;

        public virtual ulong VirtualToPhysical(void* address) => (ulong)address;

        /// <summary>
        /// Whether the <paramref name="length"/> bytes at <paramref name="physicalAddress"/> lie inside one run
        /// handed out by <see cref="AllocatePages"/> and not yet freed, and where they are. A host model checks
        /// every guest-supplied address with this before touching it, so a bad guest pointer becomes a
        /// reported failure instead of a wild access in the test process. Virtual so that a machine
        /// whose guest RAM is one block at guest-physical 0 (tests/HyperV.Machine) can answer for it.
        /// </summary>
        public virtual bool TryGetGuestMemory(ulong physicalAddress, ulong length, out void* pointer)
        {
            foreach ((ulong start, uint pages) in _allocations)
            {
                ulong size = (ulong)pages * PhysicalRegion.PageSize;
                if (physicalAddress < start)
                {
                    continue;
                }

                // Subtractions only, so a huge address or length cannot wrap around and pass.
                ulong offset = physicalAddress - start;
                if (offset < size && length <= size - offset)
                {
                    pointer = PhysicalToVirtual(physicalAddress);
                    return true;
                }
            }

            pointer = null;
            return false;
        }

        public virtual ulong Hypercall(void* hypercallPage, ulong control, ulong inputPhysical, ulong outputPhysical)
        {
            // No hypervisor: HV_STATUS_INVALID_HYPERCALL_CODE.
            return 2;
        }

        public void Dispose()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
        }

        protected virtual void Dispose(bool disposing)
        {
            if (_disposed)
            {
                return;
            }

            foreach ((ulong physical, uint _) in _allocations)
            {
                NativeMemory.AlignedFree((void*)physical);
            }

            _allocations.Clear();
            _disposed = true;
        }
    }
}
