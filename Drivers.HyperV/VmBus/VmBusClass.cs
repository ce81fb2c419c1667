// Device class GUIDs VMBus offers (docs/hyperv.md §9).
namespace Bootstage.Drivers.HyperV.VmBus
{
    public static class VmBusClass
    {
        /// <summary>Synthetic network adapter (netvsc) {f8615163-df3e-46c5-913f-f2d2f965ed0e}.</summary>
        public static VmBusGuid Network => new VmBusGuid(0xf8615163, 0xdf3e, 0x46c5, 0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e);

        /// <summary>PCIe pass-through {44c4f61d-4444-4400-9d52-802e27ede19f} (Azure GPU VMs offer it late).</summary>
        public static VmBusGuid PciePassThrough => new VmBusGuid(0x44c4f61d, 0x4444, 0x4400, 0x9d, 0x52, 0x80, 0x2e, 0x27, 0xed, 0xe1, 0x9f);

        /// <summary>Synthetic SCSI controller {ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}.</summary>
        public static VmBusGuid Scsi => new VmBusGuid(0xba6163d9, 0x04a1, 0x4d29, 0xb6, 0x05, 0x72, 0xe2, 0xff, 0xb1, 0xdc, 0x7f);

        /// <summary>Synthetic IDE controller {32412632-86cb-44a2-9b5c-50d1417354f5}.</summary>
        public static VmBusGuid Ide => new VmBusGuid(0x32412632, 0x86cb, 0x44a2, 0x9b, 0x5c, 0x50, 0xd1, 0x41, 0x73, 0x54, 0xf5);
    }
}
