// Ethernet II framing (IEEE 802.3 with EtherType): destination, source, type, payload.
namespace Bootstage.Net
{
    public static class EtherType
    {
        public const ushort Ipv4 = 0x0800;
        public const ushort Arp = 0x0806;

        public const int HeaderSize = 14;
        public const int DestinationOffset = 0;
        public const int SourceOffset = 6;
        public const int TypeOffset = 12;

        /// <summary>Shortest frame on the wire without the FCS; shorter frames are padded.</summary>
        public const int MinimumFrame = 60;
    }
}
