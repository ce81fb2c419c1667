// Chooses the boot NIC among several network devices (Hyper-V VMs often have more than one
// synthetic NIC). `bootnic=` on the kernel command line names it by MAC ("00:15:5d:12:34:56",
// any case, ':' or '-') or by its instance UUID (the tail of the device name). Without a
// selector the first open device with link up wins, else the first open device: one whose
// bring-up failed could only time out its DHCP.
using System;
using Bootstage.Drivers.Net;

namespace Bootstage.Boot
{
    public static class BootNicSelector
    {
        /// <summary>Index of the chosen device in devices[0..count), or -1 when the selector matches none (or, without one, none is open).</summary>
        public static int Select(ReadOnlySpan<byte> selector, NetDevice[] devices, int count)
        {
            if (count <= 0)
            {
                return -1;
            }

            if (selector.Length == 0)
            {
                int firstOpen = -1;
                for (int i = 0; i < count; i++)
                {
                    if (!devices[i].IsOpen)
                    {
                        continue;
                    }

                    if (devices[i].Link == LinkState.Up)
                    {
                        return i;
                    }

                    firstOpen = firstOpen < 0 ? i : firstOpen;
                }

                return firstOpen;
            }

            bool isMac = TryParseMac(selector, out MacAddress mac);
            for (int i = 0; i < count; i++)
            {
                NetDevice device = devices[i];
                if (isMac ? device.Mac == mac : EndsWithIgnoringCase(device.Name, selector))
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>Parses six hex octets separated by ':' or '-'.</summary>
        public static bool TryParseMac(ReadOnlySpan<byte> text, out MacAddress mac)
        {
            mac = default;
            if (text.Length != MacAddress.TextLength)
            {
                return false;
            }

            Span<byte> octets = stackalloc byte[MacAddress.Size];
            for (int i = 0; i < MacAddress.Size; i++)
            {
                int high = AsciiHex.Value(text[i * 3]);
                int low = AsciiHex.Value(text[i * 3 + 1]);
                if (high < 0 || low < 0 || (i < MacAddress.Size - 1 && text[i * 3 + 2] != (byte)':' && text[i * 3 + 2] != (byte)'-'))
                {
                    return false;
                }

                octets[i] = (byte)((high << 4) | low);
            }

            mac = MacAddress.Read(octets);
            return true;
        }

        private static bool EndsWithIgnoringCase(ReadOnlySpan<byte> name, ReadOnlySpan<byte> suffix)
        {
            if (suffix.Length > name.Length)
            {
                return false;
            }

            ReadOnlySpan<byte> tail = name.Slice(name.Length - suffix.Length);
            for (int i = 0; i < suffix.Length; i++)
            {
                byte a = tail[i];
                byte b = suffix[i];
                if (a >= (byte)'A' && a <= (byte)'Z')
                {
                    a |= 0x20;
                }

                if (b >= (byte)'A' && b <= (byte)'Z')
                {
                    b |= 0x20;
                }

                if (a != b)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
