// Test fixture: our Hyper-V driver stack (hypervisor, VMBus connection, bus) on a host model.
using System;
using System.Text;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.HyperV.HostModel;
using HvStatus = Bootstage.Drivers.HyperV.Hypervisor.HvStatus;

namespace Bootstage.Drivers.HyperV.Tests
{
    internal sealed class Guest : IDisposable
    {
        public static readonly Guid NetworkClass = new Guid("f8615163-df3e-46c5-913f-f2d2f965ed0e");
        public static readonly Guid PcieClass = new Guid("44c4f61d-4444-4400-9d52-802e27ede19f");

        public Guest(HostProfile profile = HostProfile.WS2016, HostOptions? options = null)
        {
            Host = new HyperVHost(profile, options);
            Hypervisor = new HvHypervisor(Host);
            Connection = new VmBusConnection(Hypervisor);
            Bus = new VmBusBus(Connection);
        }

        public HyperVHost Host { get; }

        public HvHypervisor Hypervisor { get; }

        public VmBusConnection Connection { get; }

        public VmBusBus Bus { get; }

        /// <summary>Initialize, connect and enumerate; asserts each step succeeds.</summary>
        public void BringUp()
        {
            Assert.Equal(HvStatus.Success, Hypervisor.Initialize());
            Assert.Equal(HvStatus.Success, Connection.Connect());
            Assert.Equal(HvStatus.Success, Connection.RequestOffers());
        }

        public static VmBusGuid ToVmBus(Guid guid) => VmBusGuid.Read(guid.ToByteArray());

        public static string Text(ReadOnlySpan<byte> ascii) => Encoding.ASCII.GetString(ascii);

        public void Dispose() => Host.Dispose();
    }

    /// <summary>A minimal class driver: opens the channel on probe and again on reset.</summary>
    internal sealed class RecordingDriver : IVmBusDriver
    {
        public RecordingDriver(VmBusGuid classId)
        {
            ClassId = classId;
        }

        public VmBusGuid ClassId { get; }

        public int Probes { get; private set; }

        public int Resets { get; private set; }

        public int Removes { get; private set; }

        public HvStatus Probe(VmBusDevice device)
        {
            Probes++;
            device.DriverState = "upper-layer state";
            return device.Channel.Open(4, 4, default);
        }

        public HvStatus Reset(VmBusDevice device)
        {
            Resets++;
            return device.Channel.Open(4, 4, default);
        }

        public void Remove(VmBusDevice device)
        {
            Removes++;
        }
    }
}
