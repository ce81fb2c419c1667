// P/Invoke declarations for libslirp 4.7.0 (libslirp.so.0) and the one libc call the poll loop
// needs. Written from /usr/include/slirp/libslirp.h of libslirp-dev 4.7.0 (SLIRP_CONFIG_VERSION_MAX
// 4) and poll(2) / <poll.h>; struct layouts follow the x86-64 System V ABI and were checked against
// offsetof() on that header (SlirpConfig is 184 bytes, SlirpCb 88). Everything here is blittable:
// no marshalling, callbacks are [UnmanagedCallersOnly] function pointers.
using System;
using System.Runtime.InteropServices;

namespace Bootstage.Net.Slirp
{
    /// <summary>struct in_addr: one IPv4 address, network byte order in memory.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct InAddr
    {
        public uint SAddr;

        public static InAddr From(ReadOnlySpan<byte> address)
        {
            if (address.Length != 4)
            {
                throw new ArgumentException("An IPv4 address is 4 bytes.", nameof(address));
            }

            // The bytes go to memory in the order given, whatever the host byte order is.
            return new InAddr { SAddr = MemoryMarshal.Read<uint>(address) };
        }
    }

    /// <summary>struct in6_addr: 16 bytes, 4-byte aligned (its union holds a uint32_t[4]).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct In6Addr
    {
        public uint Word0;
        public uint Word1;
        public uint Word2;
        public uint Word3;

        public static In6Addr From(ReadOnlySpan<byte> address)
        {
            if (address.Length != 16)
            {
                throw new ArgumentException("An IPv6 address is 16 bytes.", nameof(address));
            }

            return MemoryMarshal.Read<In6Addr>(address);
        }
    }

    /// <summary>SlirpConfig (libslirp.h), fields of versions 1 to 4. C bool is one byte.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SlirpConfig
    {
        public uint Version;                 // 0
        public int Restricted;               // 4
        public byte InEnabled;               // 8
        public InAddr VNetwork;              // 12
        public InAddr VNetmask;              // 16
        public InAddr VHost;                 // 20
        public byte In6Enabled;              // 24
        public In6Addr VPrefixAddr6;         // 28
        public byte VPrefixLen;              // 44
        public In6Addr VHost6;               // 48
        public byte* VHostname;              // 64
        public byte* TftpServerName;         // 72
        public byte* TftpPath;               // 80
        public byte* Bootfile;               // 88
        public InAddr VDhcpStart;            // 96
        public InAddr VNameserver;           // 100
        public In6Addr VNameserver6;         // 104
        public byte** VDnsSearch;            // 120
        public byte* VDomainName;            // 128
        public nuint IfMtu;                  // 136, 0 = IF_MTU_DEFAULT
        public nuint IfMru;                  // 144, 0 = IF_MRU_DEFAULT
        public byte DisableHostLoopback;     // 152
        public byte EnableEmu;               // 153
        public void* OutboundAddr;           // 160, struct sockaddr_in* (version 2)
        public void* OutboundAddr6;          // 168, struct sockaddr_in6* (version 2)
        public byte DisableDns;              // 176 (version 3)
        public byte DisableDhcp;             // 177 (version 4)
    }

    /// <summary>SlirpCb (libslirp.h): the application's callbacks; every one gets the opaque pointer given to slirp_new.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SlirpCb
    {
        /// <summary>ssize_t send_packet(const void *buf, size_t len, void *opaque): a frame for the guest.</summary>
        public delegate* unmanaged<void*, nuint, void*, nint> SendPacket;

        /// <summary>void guest_error(const char *msg, void *opaque).</summary>
        public delegate* unmanaged<byte*, void*, void> GuestError;

        /// <summary>int64_t clock_get_ns(void *opaque).</summary>
        public delegate* unmanaged<void*, long> ClockGetNs;

        /// <summary>void *timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque); SlirpTimerCb is void (*)(void *).</summary>
        public delegate* unmanaged<delegate* unmanaged<void*, void>, void*, void*, void*> TimerNew;

        /// <summary>void timer_free(void *timer, void *opaque).</summary>
        public delegate* unmanaged<void*, void*, void> TimerFree;

        /// <summary>void timer_mod(void *timer, int64_t expire_time_ms, void *opaque).</summary>
        public delegate* unmanaged<void*, long, void*, void> TimerMod;

        /// <summary>void register_poll_fd(int fd, void *opaque).</summary>
        public delegate* unmanaged<int, void*, void> RegisterPollFd;

        /// <summary>void unregister_poll_fd(int fd, void *opaque).</summary>
        public delegate* unmanaged<int, void*, void> UnregisterPollFd;

        /// <summary>void notify(void *opaque).</summary>
        public delegate* unmanaged<void*, void> Notify;

        /// <summary>void init_completed(Slirp *slirp, void *opaque) (version 4; may be null).</summary>
        public delegate* unmanaged<void*, void*, void> InitCompleted;

        /// <summary>void *timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque) (version 4; null: timer_new is used).</summary>
        public delegate* unmanaged<int, void*, void*, void*> TimerNewOpaque;
    }

    /// <summary>struct pollfd (poll.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    internal static unsafe class LibSlirp
    {
        public const string Library = "libslirp.so.0";

        public const uint ConfigVersion = 4;          // SLIRP_CONFIG_VERSION_MAX in 4.7.0

        public const int PollIn = 1 << 0;              // SLIRP_POLL_IN
        public const int PollOut = 1 << 1;             // SLIRP_POLL_OUT
        public const int PollPri = 1 << 2;             // SLIRP_POLL_PRI
        public const int PollErr = 1 << 3;             // SLIRP_POLL_ERR
        public const int PollHup = 1 << 4;             // SLIRP_POLL_HUP

        /// <summary>Slirp *slirp_new(const SlirpConfig *cfg, const SlirpCb *callbacks, void *opaque). libslirp keeps the callbacks pointer.</summary>
        [DllImport(Library, EntryPoint = "slirp_new", ExactSpelling = true)]
        public static extern void* New(SlirpConfig* config, SlirpCb* callbacks, void* opaque);

        /// <summary>void slirp_cleanup(Slirp *slirp).</summary>
        [DllImport(Library, EntryPoint = "slirp_cleanup", ExactSpelling = true)]
        public static extern void Cleanup(void* slirp);

        /// <summary>void slirp_pollfds_fill(Slirp *slirp, uint32_t *timeout, SlirpAddPollCb add_poll, void *opaque); add_poll is int (*)(int fd, int events, void *opaque).</summary>
        [DllImport(Library, EntryPoint = "slirp_pollfds_fill", ExactSpelling = true)]
        public static extern void PollFdsFill(void* slirp, uint* timeout, delegate* unmanaged<int, int, void*, int> addPoll, void* opaque);

        /// <summary>void slirp_pollfds_poll(Slirp *slirp, int select_error, SlirpGetREventsCb get_revents, void *opaque); get_revents is int (*)(int idx, void *opaque).</summary>
        [DllImport(Library, EntryPoint = "slirp_pollfds_poll", ExactSpelling = true)]
        public static extern void PollFdsPoll(void* slirp, int selectError, delegate* unmanaged<int, void*, int> getREvents, void* opaque);

        /// <summary>void slirp_input(Slirp *slirp, const uint8_t *pkt, int pkt_len): a frame from the guest.</summary>
        [DllImport(Library, EntryPoint = "slirp_input", ExactSpelling = true)]
        public static extern void Input(void* slirp, byte* packet, int length);

        /// <summary>const char *slirp_version_string(void).</summary>
        [DllImport(Library, EntryPoint = "slirp_version_string", ExactSpelling = true)]
        public static extern byte* VersionString();
    }

    internal static unsafe class LibC
    {
        public const string Library = "libc.so.6";

        // <poll.h> on Linux.
        public const short PollIn = 0x001;
        public const short PollPri = 0x002;
        public const short PollOut = 0x004;
        public const short PollErr = 0x008;
        public const short PollHup = 0x010;

        /// <summary>int poll(struct pollfd *fds, nfds_t nfds, int timeout); nfds_t is unsigned long.</summary>
        [DllImport(Library, EntryPoint = "poll", ExactSpelling = true, SetLastError = true)]
        public static extern int Poll(PollFd* fds, nuint count, int timeoutMs);
    }
}
