// The emulated Hyper-V Gen1 machine (docs/hyperv-machine.md): the real out/bootstage.bin runs on
// the Unicorn CPU emulator over one block of guest RAM that the Hyper-V host model shares.
// Unicorn 2.0.1 decodes in the mode its engine was opened with and does not switch when a far jump
// enters a 64-bit code segment, so the Multiboot entry runs in a UC_MODE_32 engine up to the image's
// long-mode entry label, and a UC_MODE_64 engine over the same RAM takes over there with the control
// registers, EFER and GDTR the 32-bit code set up (Intel SDM vol. 3A §9.8.5, "Initializing IA-32e
// Mode": what those registers must hold once long mode is active). This file holds construction,
// the engine hand-over and the run loop; the instruction intercepts are in HyperVMachine.Hooks.cs.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using Bootstage.HyperV.HostModel;
using Bootstage.Net.Slirp;

namespace Bootstage.HyperV.Machine
{
    public sealed unsafe partial class HyperVMachine : IDisposable
    {
        /// <summary>The netvsc class GUID (docs/hyperv.md §3.9).</summary>
        public static readonly Guid NetworkClass = new Guid("f8615163-df3e-46c5-913f-f2d2f965ed0e");

        private readonly MachineOptions _options;
        private readonly GuestRam _ram;
        private readonly ImageSymbols _symbols;
        private readonly MultibootImage _image;
        private readonly StringBuilder _serial = new();
        private readonly StringBuilder _line = new();
        private readonly List<nuint> _hooks = new();
        private readonly HashSet<ulong> _hypercallPagesHooked = new();
        private GCHandle _self;
        private IntPtr _engine32;
        private IntPtr _engine64;
        private IntPtr _running;
        private string? _failure;
        private volatile bool _stopRequested;
        private SlirpNetVscBridge? _bridge;

        // The origin of TIME_REF_COUNT: the partition's reference counter starts near zero at boot.
        private readonly long _bootTimestamp = Stopwatch.GetTimestamp();

        public HyperVMachine(MachineOptions options)
        {
            _options = options;
            byte[] file = File.ReadAllBytes(options.ImagePath);
            _image = MultibootImage.Parse(file);
            _symbols = ImageSymbols.Load(options.ElfPath);
            _ram = new GuestRam(options.RamBytes);
            ulong usableEnd = options.RamBytes - options.ReservedTailBytes;
            Host = new MachineHost(_ram, usableEnd, options.Profile, options.HostOptions ?? new HostOptions
            {
                // The guest waits on real peers (slirp, tgtd), so its clock must be real time.
                ReferenceClock = () => (ulong)(Stopwatch.GetElapsedTime(_bootTimestamp).Ticks / (TimeSpan.TicksPerMillisecond / 10_000)),
            });
            Devices = new LegacyDevices(OnSerialByte);
            InfoAddress = _image.Load(file, _ram, usableEnd, options.CommandLine);
            if (options.Network != null)
            {
                _bridge = new SlirpNetVscBridge(options.Network);
                Backend = new NetVscBackend(Host, _bridge, new NetVscOptions { MacAddress = options.MacAddress });
                _bridge.Backend = Backend;
                NicChannel = Host.AddChannel(NetworkClass, options.NicInstance, Backend);
                Host.OnHostTurn = _ => _bridge.Pump();
            }

            _self = GCHandle.Alloc(this);
        }

        public MachineHost Host { get; }

        public LegacyDevices Devices { get; }

        public NetVscBackend? Backend { get; }

        public HostChannel? NicChannel { get; }

        public GuestRam Ram => _ram;

        public ImageSymbols Symbols => _symbols;

        public ulong InfoAddress { get; }

        /// <summary>Instructions executed per image address, when MachineOptions.ProfileInstructions asked for them.</summary>
        public InstructionProfile? Profile { get; private set; }

        /// <summary>How far the image moved itself from its link address (0 if it runs where it was linked).</summary>
        public ulong Relocation { get; private set; }

        /// <summary>Everything the image wrote to COM1 so far.</summary>
        public string Serial
        {
            get
            {
                lock (_serial)
                {
                    return _serial.ToString();
                }
            }
        }

        /// <summary>Called with every complete COM1 line, on the emulating thread.</summary>
        public Action<string>? OnSerialLine { get; set; }

        /// <summary>Guest instructions intercepted, by kind (MSR reads/writes, hypercalls, #GP injected...).</summary>
        public MachineCounters Counters { get; } = new();

        /// <summary>Boots the image and runs it until it exits, fails, is stopped or the deadline passes.</summary>
        public MachineResult Run(TimeSpan deadline)
        {
            Stopwatch clock = Stopwatch.StartNew();
            string? stop = RunEngines(deadline, clock);
            return new MachineResult(Devices.ExitCode, Serial, stop, clock.Elapsed);
        }

        /// <summary>Asks the running machine to stop (any thread); Run returns with reason "stopped".</summary>
        public void Stop()
        {
            _stopRequested = true;
            IntPtr engine = _running;
            if (engine != IntPtr.Zero)
            {
                Unicorn.EmuStop(engine);
            }
        }

        private string? RunEngines(TimeSpan deadline, Stopwatch clock)
        {
            _engine32 = OpenEngine(Unicorn.Mode32);
            AddPortAndCpuidHooks(_engine32);
            AddEntryHook(_engine32);
            WriteRegister(_engine32, Unicorn.Reg.Eax, MultibootImage.LoaderMagic);
            WriteRegister(_engine32, Unicorn.Reg.Ebx, InfoAddress);
            string? stop = Emulate(_engine32, _image.Entry, 0, deadline, clock);
            if (stop != null && _handOver == null)
            {
                return stop;
            }

            if (_handOver is not HandOver handOver)
            {
                return "the 32-bit entry stopped before it turned long mode on";
            }

            _failure = null;
            Relocation = handOver.LongModeEntry - _symbols["long_mode_entry"];
            _engine64 = OpenEngine(Unicorn.Mode64);
            handOver.Apply(_engine64);
            AddPortAndCpuidHooks(_engine64);
            AddCodeHooks(_engine64);
            if (_options.ProfileInstructions)
            {
                AddProfileHook(_engine64);
            }

            ulong rip = handOver.LongModeEntry;
            while (true)
            {
                stop = Emulate(_engine64, rip, 0, deadline, clock);
                if (stop != null)
                {
                    return stop;
                }

                rip = ReadRegister(_engine64, Unicorn.Reg.Rip);
                // Stopped for no reason of ours: the CPU executed HLT outside the plug (nothing wakes it).
                return $"the CPU halted at {Describe(rip)}";
            }
        }

        /// <summary>One uc_emu_start; returns why the machine is finished, or null to go on.</summary>
        private string? Emulate(IntPtr engine, ulong begin, ulong until, TimeSpan deadline, Stopwatch clock)
        {
            TimeSpan left = deadline - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return "deadline";
            }

            _running = engine;
            int error = Unicorn.EmuStart(engine, begin, until, (ulong)(left.Ticks / 10) + 1, 0);
            _running = IntPtr.Zero;
            if (_failure != null)
            {
                return _failure;
            }

            if (Devices.ExitCode != null)
            {
                return "exit";
            }

            if (_stopRequested)
            {
                return "stopped";
            }

            if (error != 0)
            {
                int rip = engine == _engine64 ? Unicorn.Reg.Rip : Unicorn.Reg.Eip;
                return $"emulation failed: {Unicorn.Describe(error)} at {Describe(ReadRegister(engine, rip))}";
            }

            if (clock.Elapsed >= deadline)
            {
                return "deadline";
            }

            return null;
        }

        private IntPtr OpenEngine(int mode)
        {
            Unicorn.Check(Unicorn.Open(Unicorn.ArchX86, mode, out IntPtr engine), "uc_open");
            Unicorn.Check(Unicorn.MemMapPtr(engine, 0, (nuint)_ram.Size, Unicorn.ProtAll, _ram.Base), "uc_mem_map_ptr");
            return engine;
        }

        /// <summary>Where a guest address lies, by the image's symbols (relocation undone).</summary>
        public string Describe(ulong address) => _symbols.Describe(address - Relocation);

        private void OnSerialByte(byte value)
        {
            _options.SerialEcho?.Invoke(value);
            char c = (char)value;
            lock (_serial)
            {
                _serial.Append(c);
            }

            if (c == '\n')
            {
                string line = _line.ToString().TrimEnd('\r');
                _line.Clear();
                OnSerialLine?.Invoke(line);
            }
            else
            {
                _line.Append(c);
            }
        }

        internal static ulong ReadRegister(IntPtr engine, int register)
        {
            ulong value = 0;
            Unicorn.Check(Unicorn.RegRead(engine, register, &value), $"uc_reg_read({register})");
            return value;
        }

        internal static void WriteRegister(IntPtr engine, int register, ulong value)
        {
            Unicorn.Check(Unicorn.RegWrite(engine, register, &value), $"uc_reg_write({register})");
        }

        public void Dispose()
        {
            foreach (IntPtr engine in new[] { _engine32, _engine64 })
            {
                if (engine != IntPtr.Zero)
                {
                    Unicorn.Close(engine);
                }
            }

            _engine32 = IntPtr.Zero;
            _engine64 = IntPtr.Zero;
            if (_self.IsAllocated)
            {
                _self.Free();
            }

            Host.Dispose();
            _ram.Dispose();
        }
    }
}
