// One channel offer as the host described it (OFFERCHANNEL, docs/hyperv.md §6).
namespace Bootstage.Drivers.HyperV.VmBus
{
    public struct VmBusOffer
    {
        public VmBusGuid ClassId;
        public VmBusGuid InstanceId;
        public uint RelId;
        public uint ConnectionId;
        public ushort ChannelFlags;
        public ushort SubChannelIndex;
        public byte MonitorId;
        public bool MonitorAllocated;
        public bool Rescinded;
    }
}
