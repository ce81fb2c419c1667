// INT 13h status codes returned in AH (Ralf Brown's Interrupt List, INT 13h AH=01h table), the
// subset a network disk can produce. A failure is never reported as success with wrong data:
// anything the SAN device could not deliver is a read or write error.
namespace Bootstage.Boot.Int13
{
    public static class Int13Status
    {
        public const byte Success = 0x00;

        /// <summary>Invalid function or parameter.</summary>
        public const byte Invalid = 0x01;

        /// <summary>Sector not found / read error: outside the disk, or the SAN device gave up after its retries.</summary>
        public const byte SectorNotFound = 0x04;

        /// <summary>Controller failure: no SAN session to serve the request.</summary>
        public const byte ControllerFailure = 0x20;

        /// <summary>Timeout (drive not ready).</summary>
        public const byte Timeout = 0x80;

        /// <summary>Write fault.</summary>
        public const byte WriteFault = 0xCC;
    }
}
