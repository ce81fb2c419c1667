// ARP (RFC 826) address cache: fixed capacity, entries expire, resolution retries a bounded
// number of times. Only the mapping lives here; NetInterface sends and receives the packets.
using Bootstage.Drivers.Net;

namespace Bootstage.Net
{
    public sealed class ArpCache
    {
        public const int Capacity = 16;

        /// <summary>A resolved entry is trusted this long (ms) before it must be refreshed.</summary>
        public const ulong EntryLifetimeMs = 60_000;

        private readonly Ipv4Address[] _addresses = new Ipv4Address[Capacity];
        private readonly MacAddress[] _macs = new MacAddress[Capacity];
        private readonly ulong[] _expires = new ulong[Capacity];
        private int _next;

        public bool TryGet(Ipv4Address address, ulong now, out MacAddress mac)
        {
            for (int i = 0; i < Capacity; i++)
            {
                if (_addresses[i] == address && !address.IsZero && _expires[i] > now)
                {
                    mac = _macs[i];
                    return true;
                }
            }

            mac = default;
            return false;
        }

        /// <summary>Adds or refreshes a mapping; the oldest slot is reused when full.</summary>
        public void Update(Ipv4Address address, MacAddress mac, ulong now)
        {
            if (address.IsZero)
            {
                return;
            }

            int slot = -1;
            for (int i = 0; i < Capacity; i++)
            {
                if (_addresses[i] == address)
                {
                    slot = i;
                    break;
                }
            }

            if (slot < 0)
            {
                slot = _next;
                _next = (_next + 1) % Capacity;
            }

            _addresses[slot] = address;
            _macs[slot] = mac;
            _expires[slot] = now + EntryLifetimeMs;
        }

        public bool Contains(Ipv4Address address, ulong now) => TryGet(address, now, out _);
    }
}
