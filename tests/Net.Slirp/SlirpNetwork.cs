// QEMU's user-mode network (libslirp 4.7.0, libslirp.so.0) as an in-process frame port: a virtual
// 10.0.2.0/24 with a gateway at 10.0.2.2 that NATs guest TCP/UDP to host sockets (10.0.2.2 reaches the
// host's 127.0.0.1), a DHCP server handing out 10.0.2.15 and a DNS forwarder at 10.0.2.3. Follows
// /usr/include/slirp/libslirp.h (slirp_new with a SlirpConfig of version 4 and a SlirpCb table,
// slirp_input, slirp_pollfds_fill/poll, slirp_cleanup) and poll(2). Everything runs on the caller's
// thread inside Send, Poll and Dispose: no background threads. Timers libslirp creates are kept in a
// managed list and fired from Poll; frames libslirp sends wait in a bounded queue for the guest.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;

namespace Bootstage.Net.Slirp
{
    /// <summary>
    /// One libslirp instance. Frames from the guest go in with <see cref="Send"/>; frames for the guest
    /// are taken with <see cref="TryTakeToGuest"/>; <see cref="Poll"/> services host sockets and timers.
    /// Not thread-safe: calls must not overlap (an overlapping call throws).
    /// </summary>
    public sealed unsafe class SlirpNetwork : IFramePort, IDisposable
    {
        /// <summary>Guest error messages kept (all are counted).</summary>
        public const int MaxGuestErrorsKept = 64;

        private const int EthernetHeaderSize = 14;

        private readonly FrameQueue _toGuest;
        private readonly List<SlirpTimer> _timers = new();
        private readonly HashSet<int> _registeredFds = new();
        private readonly List<string> _guestErrors = new();
        private readonly List<IntPtr> _nativeStrings = new();
        private readonly Func<long> _clockNs;
        private void* _slirp;
        private SlirpCb* _callbacks;
        private GCHandle _self;
        private PollFd[] _pollFds = new PollFd[16];
        private int _pollFdCount;
        private long _nextTimerId;
        private long _lastClockNs;
        private int _busy;
        private Exception? _callbackError;

        public SlirpNetwork(SlirpOptions? options = null)
        {
            Options = options ?? new SlirpOptions();
            if (Options.Mtu < 68 || Options.Mtu > 65521)
            {
                throw new ArgumentOutOfRangeException(nameof(options), "libslirp takes an MTU between 68 and 65521.");
            }

            _toGuest = new FrameQueue(Options.QueueCapacity, EthernetHeaderSize + Options.Mtu);
            _clockNs = Options.ClockNs ?? MonotonicNs;

            SlirpConfig config = default;
            config.Version = LibSlirp.ConfigVersion;
            config.Restricted = Options.Restricted ? 1 : 0;
            config.InEnabled = 1;
            config.VNetwork = Ipv4(Options.Network, nameof(SlirpOptions.Network));
            config.VNetmask = Ipv4(Options.Netmask, nameof(SlirpOptions.Netmask));
            config.VHost = Ipv4(Options.Host, nameof(SlirpOptions.Host));
            config.VDhcpStart = Ipv4(Options.DhcpStart, nameof(SlirpOptions.DhcpStart));
            config.VNameserver = Ipv4(Options.Nameserver, nameof(SlirpOptions.Nameserver));
            config.In6Enabled = Options.EnableIpv6 ? (byte)1 : (byte)0;
            config.VPrefixAddr6 = In6Addr.From(IPAddress.Parse("fec0::").GetAddressBytes());
            config.VPrefixLen = 64;
            config.VHost6 = In6Addr.From(IPAddress.Parse("fec0::2").GetAddressBytes());
            config.VNameserver6 = In6Addr.From(IPAddress.Parse("fec0::3").GetAddressBytes());
            config.IfMtu = (nuint)Options.Mtu;
            config.IfMru = (nuint)Options.Mtu;
            config.DisableHostLoopback = 0;
            config.EnableEmu = 0;
            config.DisableDns = 0;
            config.DisableDhcp = 0;

            // Whatever libslirp may keep a pointer to lives until Dispose: the callback table (it keeps
            // the pointer), the strings (kept to be safe), and the handle behind the opaque pointer.
            _self = GCHandle.Alloc(this, GCHandleType.Weak);
            try
            {
                config.TftpPath = NativeString(Options.TftpPath);
                config.Bootfile = NativeString(Options.BootFile);
                _callbacks = (SlirpCb*)NativeMemory.AllocZeroed((nuint)sizeof(SlirpCb));
                _callbacks->SendPacket = &OnSendPacket;
                _callbacks->GuestError = &OnGuestError;
                _callbacks->ClockGetNs = &OnClockGetNs;
                _callbacks->TimerNew = &OnTimerNew;
                _callbacks->TimerFree = &OnTimerFree;
                _callbacks->TimerMod = &OnTimerMod;
                _callbacks->RegisterPollFd = &OnRegisterPollFd;
                _callbacks->UnregisterPollFd = &OnUnregisterPollFd;
                _callbacks->Notify = &OnNotify;
                _callbacks->InitCompleted = null;
                _callbacks->TimerNewOpaque = null;

                Enter();
                try
                {
                    _slirp = LibSlirp.New(&config, _callbacks, (void*)GCHandle.ToIntPtr(_self));
                }
                finally
                {
                    Exit();
                }

                if (_slirp == null)
                {
                    throw new InvalidOperationException("slirp_new refused the configuration" +
                        (_guestErrors.Count > 0 ? ": " + string.Join("; ", _guestErrors) : "."));
                }

                ThrowPendingCallbackError();
            }
            catch
            {
                ReleaseNative();
                GC.SuppressFinalize(this);
                throw;
            }
        }

        ~SlirpNetwork()
        {
            // Only when Dispose was forgotten: the weak handle no longer resolves, so callbacks made by
            // slirp_cleanup find no instance and do nothing.
            ReleaseNative();
        }

        /// <summary>The version string libslirp.so.0 reports (slirp_version_string), e.g. "4.7.0".</summary>
        public static string LibraryVersion => Marshal.PtrToStringUTF8((IntPtr)LibSlirp.VersionString()) ?? "";

        public SlirpOptions Options { get; }

        public bool IsDisposed => _slirp == null;

        public int MaxFrameSize => _toGuest.MaxFrameSize;

        public int ToGuestCount => _toGuest.Count;

        /// <summary>Frames given to slirp_input.</summary>
        public long FramesFromGuest { get; private set; }

        /// <summary>Frames libslirp sent that were queued for the guest.</summary>
        public long FramesToGuest => _toGuest.Enqueued;

        /// <summary>Frames libslirp sent that the queue refused (full or oversized).</summary>
        public long ToGuestDropped => _toGuest.Dropped;

        /// <summary>The queue of frames for the guest (counters, capacity).</summary>
        public FrameQueue ToGuestQueue => _toGuest;

        /// <summary>Timers libslirp holds now.</summary>
        public int ActiveTimers => _timers.Count;

        public long TimersCreated { get; private set; }

        public long TimersFreed { get; private set; }

        public long TimersFired { get; private set; }

        /// <summary>Timers libslirp had not freed when slirp_cleanup returned (dropped by Dispose).</summary>
        public long TimersLeakedAtCleanup { get; private set; }

        /// <summary>Sockets libslirp registered with register_poll_fd and has not unregistered.</summary>
        public int RegisteredSockets => _registeredFds.Count;

        /// <summary>Descriptors the last Poll waited on.</summary>
        public int LastPollFdCount => _pollFdCount;

        public long NotifyCount { get; private set; }

        public long GuestErrorCount { get; private set; }

        /// <summary>The first <see cref="MaxGuestErrorsKept"/> guest_error messages.</summary>
        public IReadOnlyList<string> GuestErrors => _guestErrors;

        /// <summary>Guest → network: hands one Ethernet frame to slirp_input (it copies what it keeps).</summary>
        public void Send(ReadOnlySpan<byte> frame)
        {
            ThrowIfDisposed();
            if (frame.IsEmpty)
            {
                return;
            }

            Enter();
            try
            {
                fixed (byte* bytes = frame)
                {
                    LibSlirp.Input(_slirp, bytes, frame.Length);
                }

                FramesFromGuest++;
            }
            finally
            {
                Exit();
            }

            ThrowPendingCallbackError();
        }

        public bool TryTakeToGuest(Span<byte> buffer, out int length)
        {
            ThrowIfDisposed();
            return _toGuest.TryDequeue(buffer, out length);
        }

        /// <summary>
        /// One turn of the event loop: slirp_pollfds_fill, poll(2) for at most <paramref name="timeoutMs"/>
        /// ms (less if slirp or a timer wants a turn sooner), slirp_pollfds_poll, then every due timer.
        /// Returns frames newly queued for the guest.
        /// </summary>
        public int Poll(int timeoutMs)
        {
            ThrowIfDisposed();
            ArgumentOutOfRangeException.ThrowIfNegative(timeoutMs);
            long before = _toGuest.Enqueued;
            Enter();
            try
            {
                uint timeout = (uint)timeoutMs;
                _pollFdCount = 0;
                LibSlirp.PollFdsFill(_slirp, &timeout, &OnAddPoll, (void*)GCHandle.ToIntPtr(_self));
                ThrowPendingCallbackError();

                long nextTimer = NextTimerDueMs();
                if (nextTimer != long.MaxValue)
                {
                    long wait = Math.Max(0, nextTimer - NowMs());
                    timeout = (uint)Math.Min(timeout, wait);
                }

                int result;
                fixed (PollFd* fds = _pollFds)
                {
                    result = LibC.Poll(fds, (nuint)_pollFdCount, (int)Math.Min(timeout, int.MaxValue));
                }

                LibSlirp.PollFdsPoll(_slirp, result < 0 ? 1 : 0, &OnGetREvents, (void*)GCHandle.ToIntPtr(_self));
                ThrowPendingCallbackError();
                FireDueTimers();
            }
            finally
            {
                Exit();
            }

            return (int)(_toGuest.Enqueued - before);
        }

        public void Dispose()
        {
            if (_slirp != null && Volatile.Read(ref _busy) != 0)
            {
                throw new InvalidOperationException("SlirpNetwork disposed while one of its calls is running.");
            }

            ReleaseNative();
            GC.SuppressFinalize(this);
        }

        private void ReleaseNative()
        {
            if (_slirp != null)
            {
                LibSlirp.Cleanup(_slirp);
                _slirp = null;
                TimersLeakedAtCleanup += _timers.Count;
                _timers.Clear();
                _registeredFds.Clear();
                _toGuest.Clear();
                _callbackError = null;
            }

            if (_callbacks != null)
            {
                NativeMemory.Free(_callbacks);
                _callbacks = null;
            }

            foreach (IntPtr text in _nativeStrings)
            {
                Marshal.FreeCoTaskMem(text);
            }

            _nativeStrings.Clear();
            if (_self.IsAllocated)
            {
                _self.Free();
            }
        }

        private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_slirp == null, this);

        private void Enter()
        {
            if (Interlocked.Exchange(ref _busy, 1) != 0)
            {
                throw new InvalidOperationException("SlirpNetwork is single-threaded: a call is already running.");
            }
        }

        private void Exit()
        {
            Volatile.Write(ref _busy, 0);
            GC.KeepAlive(this);
        }

        private void ThrowPendingCallbackError()
        {
            Exception? error = _callbackError;
            if (error != null)
            {
                _callbackError = null;
                throw new InvalidOperationException("A libslirp callback failed.", error);
            }
        }

        private void Stash(Exception error) => _callbackError ??= error;

        private byte* NativeString(string? text)
        {
            if (text == null)
            {
                return null;
            }

            IntPtr native = Marshal.StringToCoTaskMemUTF8(text);
            _nativeStrings.Add(native);
            return (byte*)native;
        }

        private static InAddr Ipv4(IPAddress address, string name)
        {
            if (address == null || address.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new ArgumentException($"{name} must be an IPv4 address.", name);
            }

            return InAddr.From(address.GetAddressBytes());
        }

        private static long MonotonicNs()
        {
            long ticks = Stopwatch.GetTimestamp();
            long frequency = Stopwatch.Frequency;
            return ticks / frequency * 1_000_000_000L + ticks % frequency * 1_000_000_000L / frequency;
        }

        private long NowNs()
        {
            long now = _clockNs();
            _lastClockNs = now;
            return now;
        }

        private long NowMs() => NowNs() / 1_000_000L;

        private long NextTimerDueMs()
        {
            long next = long.MaxValue;
            foreach (SlirpTimer timer in _timers)
            {
                if (timer.ExpireMs >= 0 && timer.ExpireMs < next)
                {
                    next = timer.ExpireMs;
                }
            }

            return next;
        }

        private void FireDueTimers()
        {
            long now = NowMs();
            // A callback may re-arm (even for "now"), free or create timers: take one due timer at a
            // time, earliest first, and stop after a bounded number so a re-arming timer cannot spin.
            for (int fired = 0; fired < 64; fired++)
            {
                SlirpTimer? due = null;
                foreach (SlirpTimer timer in _timers)
                {
                    if (timer.ExpireMs >= 0 && timer.ExpireMs <= now && (due == null || timer.ExpireMs < due.ExpireMs))
                    {
                        due = timer;
                    }
                }

                if (due == null)
                {
                    return;
                }

                due.ExpireMs = -1;
                TimersFired++;
                due.Callback(due.CallbackOpaque);
                ThrowPendingCallbackError();
            }
        }

        private SlirpTimer? FindTimer(void* handle)
        {
            long id = (long)handle;
            foreach (SlirpTimer timer in _timers)
            {
                if (timer.Id == id)
                {
                    return timer;
                }
            }

            return null;
        }

        private static SlirpNetwork? From(void* opaque)
        {
            if (opaque == null)
            {
                return null;
            }

            return GCHandle.FromIntPtr((IntPtr)opaque).Target as SlirpNetwork;
        }

        // ---- callbacks from libslirp (SlirpCb); never let an exception reach native code ----

        [UnmanagedCallersOnly]
        private static nint OnSendPacket(void* buffer, nuint length, void* opaque)
        {
            SlirpNetwork? network = From(opaque);
            if (network != null)
            {
                try
                {
                    if (length <= int.MaxValue)
                    {
                        network._toGuest.TryEnqueue(new ReadOnlySpan<byte>(buffer, (int)length));
                    }
                }
                catch (Exception error)
                {
                    network.Stash(error);
                }
            }

            // A frame the guest cannot take is dropped, as the header allows; not an I/O error.
            return (nint)length;
        }

        [UnmanagedCallersOnly]
        private static void OnGuestError(byte* message, void* opaque)
        {
            SlirpNetwork? network = From(opaque);
            if (network != null)
            {
                try
                {
                    network.GuestErrorCount++;
                    if (network._guestErrors.Count < MaxGuestErrorsKept)
                    {
                        network._guestErrors.Add(Marshal.PtrToStringUTF8((IntPtr)message) ?? "");
                    }
                }
                catch (Exception error)
                {
                    network.Stash(error);
                }
            }
        }

        [UnmanagedCallersOnly]
        private static long OnClockGetNs(void* opaque)
        {
            SlirpNetwork? network = From(opaque);
            if (network == null)
            {
                return MonotonicNs();
            }

            try
            {
                return network.NowNs();
            }
            catch (Exception error)
            {
                network.Stash(error);
                return network._lastClockNs;
            }
        }

        [UnmanagedCallersOnly]
        private static void* OnTimerNew(delegate* unmanaged<void*, void> callback, void* callbackOpaque, void* opaque)
        {
            SlirpNetwork? network = From(opaque);
            if (network == null)
            {
                return null;
            }

            try
            {
                SlirpTimer timer = new SlirpTimer(++network._nextTimerId, callback, callbackOpaque);
                network._timers.Add(timer);
                network.TimersCreated++;
                return (void*)timer.Id;
            }
            catch (Exception error)
            {
                network.Stash(error);
                return null;
            }
        }

        [UnmanagedCallersOnly]
        private static void OnTimerFree(void* handle, void* opaque)
        {
            SlirpNetwork? network = From(opaque);
            if (network == null || handle == null)
            {
                return;
            }

            try
            {
                SlirpTimer? timer = network.FindTimer(handle);
                if (timer == null)
                {
                    network.Stash(new InvalidOperationException($"timer_free of unknown timer {(long)handle}."));
                    return;
                }

                network._timers.Remove(timer);
                network.TimersFreed++;
            }
            catch (Exception error)
            {
                network.Stash(error);
            }
        }

        [UnmanagedCallersOnly]
        private static void OnTimerMod(void* handle, long expireMs, void* opaque)
        {
            SlirpNetwork? network = From(opaque);
            if (network == null)
            {
                return;
            }

            try
            {
                SlirpTimer? timer = network.FindTimer(handle);
                if (timer == null)
                {
                    network.Stash(new InvalidOperationException($"timer_mod of unknown timer {(long)handle}."));
                    return;
                }

                timer.ExpireMs = Math.Max(0, expireMs);
            }
            catch (Exception error)
            {
                network.Stash(error);
            }
        }

        [UnmanagedCallersOnly]
        private static void OnRegisterPollFd(int fd, void* opaque)
        {
            // slirp_pollfds_fill names every descriptor on each turn; this only keeps a count.
            SlirpNetwork? network = From(opaque);
            if (network != null)
            {
                try
                {
                    network._registeredFds.Add(fd);
                }
                catch (Exception error)
                {
                    network.Stash(error);
                }
            }
        }

        [UnmanagedCallersOnly]
        private static void OnUnregisterPollFd(int fd, void* opaque)
        {
            SlirpNetwork? network = From(opaque);
            if (network != null)
            {
                try
                {
                    network._registeredFds.Remove(fd);
                }
                catch (Exception error)
                {
                    network.Stash(error);
                }
            }
        }

        [UnmanagedCallersOnly]
        private static void OnNotify(void* opaque)
        {
            // Nothing to wake: the caller's next Poll runs the loop.
            SlirpNetwork? network = From(opaque);
            if (network != null)
            {
                network.NotifyCount++;
            }
        }

        /// <summary>SlirpAddPollCb: adds a pollfd for this turn and returns its index.</summary>
        [UnmanagedCallersOnly]
        private static int OnAddPoll(int fd, int events, void* opaque)
        {
            SlirpNetwork? network = From(opaque);
            if (network == null)
            {
                return -1;
            }

            try
            {
                if (network._pollFdCount == network._pollFds.Length)
                {
                    Array.Resize(ref network._pollFds, network._pollFds.Length * 2);
                }

                short wanted = 0;
                wanted |= (events & LibSlirp.PollIn) != 0 ? LibC.PollIn : (short)0;
                wanted |= (events & LibSlirp.PollOut) != 0 ? LibC.PollOut : (short)0;
                wanted |= (events & LibSlirp.PollPri) != 0 ? LibC.PollPri : (short)0;
                wanted |= (events & LibSlirp.PollErr) != 0 ? LibC.PollErr : (short)0;
                wanted |= (events & LibSlirp.PollHup) != 0 ? LibC.PollHup : (short)0;
                int index = network._pollFdCount++;
                network._pollFds[index] = new PollFd { Fd = fd, Events = wanted, REvents = 0 };
                return index;
            }
            catch (Exception error)
            {
                network.Stash(error);
                return -1;
            }
        }

        /// <summary>SlirpGetREventsCb: what poll(2) reported for the descriptor at <paramref name="index"/>.</summary>
        [UnmanagedCallersOnly]
        private static int OnGetREvents(int index, void* opaque)
        {
            SlirpNetwork? network = From(opaque);
            if (network == null || index < 0 || index >= network._pollFdCount)
            {
                return 0;
            }

            short got = network._pollFds[index].REvents;
            int events = 0;
            events |= (got & LibC.PollIn) != 0 ? LibSlirp.PollIn : 0;
            events |= (got & LibC.PollOut) != 0 ? LibSlirp.PollOut : 0;
            events |= (got & LibC.PollPri) != 0 ? LibSlirp.PollPri : 0;
            events |= (got & LibC.PollErr) != 0 ? LibSlirp.PollErr : 0;
            events |= (got & LibC.PollHup) != 0 ? LibSlirp.PollHup : 0;
            return events;
        }

        /// <summary>A timer libslirp made with timer_new; its handle is the id.</summary>
        private sealed class SlirpTimer
        {
            public SlirpTimer(long id, delegate* unmanaged<void*, void> callback, void* callbackOpaque)
            {
                Id = id;
                Callback = callback;
                CallbackOpaque = callbackOpaque;
            }

            public long Id { get; }

            public delegate* unmanaged<void*, void> Callback { get; }

            public void* CallbackOpaque { get; }

            /// <summary>Absolute expiry in clock milliseconds; -1 when not armed.</summary>
            public long ExpireMs { get; set; } = -1;
        }
    }
}
