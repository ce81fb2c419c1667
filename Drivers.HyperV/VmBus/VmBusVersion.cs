// VMBus protocol versions (major << 16 | minor; docs/hyperv.md §5).
namespace Bootstage.Drivers.HyperV.VmBus
{
    public static class VmBusVersion
    {
        public const uint Ws2008 = 0x0000000D;
        public const uint Win7 = 0x00010001;
        public const uint Win8 = 0x00020004;
        public const uint Win81 = 0x00030000;
        public const uint Win10 = 0x00040000;

        /// <summary>Hosts that cannot take 3.0 cannot reconnect after UNLOAD: we need it.</summary>
        public const uint Required = Win81;

        /// <summary>The version we operate at, as iPXE does: interrupt page + connection 2 signalling.</summary>
        public const uint Operating = Ws2008;
    }
}
