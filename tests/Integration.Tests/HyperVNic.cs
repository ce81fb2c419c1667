// Brings up the netvsc NIC of our driver stack on a Hyper-V host model whose netvsc backend is
// bridged to libslirp: the shared setup of the "netvsc → stack → slirp" tests.
using System;
using Bootstage.Drivers.HyperV.NetVsc;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.HyperV.HostModel;
using Bootstage.Net.Slirp;
using HvStatus = Bootstage.Drivers.HyperV.Hypervisor.HvStatus;

namespace Bootstage.Integration.Tests
{
    internal static class HyperVNic
    {
        public static readonly Guid NetworkClass = new Guid("f8615163-df3e-46c5-913f-f2d2f965ed0e");

        /// <summary>Adds a netvsc channel bridged to <paramref name="port"/> and opens it through our drivers.</summary>
        public static NetVscDevice BringUp(HyperVHost host, IFramePort port, byte[] mac, out SlirpNetVscBridge bridge)
        {
            return BringUp(host, port, mac, out bridge, out _, out _);
        }

        /// <summary>The same, also handing out the hypervisor and the bus (for quiesce and reclaim).</summary>
        public static NetVscDevice BringUp(HyperVHost host, IFramePort port, byte[] mac, out SlirpNetVscBridge bridge, out Drivers.HyperV.Hypervisor.HvHypervisor hypervisorOut, out VmBusBus busOut)
        {
            bridge = new SlirpNetVscBridge(port);
            NetVscBackend backend = new NetVscBackend(host, bridge, new NetVscOptions { MacAddress = mac });
            bridge.Backend = backend;
            host.AddChannel(NetworkClass, Guid.NewGuid(), backend);
            Drivers.HyperV.Hypervisor.HvHypervisor hypervisor = new Drivers.HyperV.Hypervisor.HvHypervisor(host);
            Assert.Equal(HvStatus.Success, hypervisor.Initialize());
            VmBusConnection connection = new VmBusConnection(hypervisor);
            Assert.Equal(HvStatus.Success, connection.Connect());
            Assert.Equal(HvStatus.Success, connection.RequestOffers());
            VmBusBus bus = new VmBusBus(connection);
            NetVscDriver netvsc = new NetVscDriver();
            bus.Register(netvsc);
            Assert.Equal(1, bus.ProbeAll());
            hypervisorOut = hypervisor;
            busOut = bus;
            return netvsc.Device(0);
        }
    }
}
