// The Hyper-V bring-up of the kernel: the hypervisor interface, the VMBus connection and its
// offers, the netvsc driver on every synthetic NIC, and the choice of the boot NIC among them.
// Under QEMU it reports Hyper-V absent and leaves the boot NIC to virtio-net.
using System;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.NetVsc;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.Drivers.Net;
using Bootstage.Kernel.Console;

namespace Bootstage.Kernel.Core
{
    internal sealed unsafe partial class BootstageKernel
    {
        // The Hyper-V bring-up: hypervisor interface, VMBus connection, offers. Absent under QEMU.
        private void ProbeHyperV()
        {
            HvHypervisor hypervisor = new HvHypervisor(_platform);
            HvStatus status = hypervisor.Initialize();
            if (status != HvStatus.Success)
            {
                Log.Milestone("hyperv").Text(status == HvStatus.NotPresent ? " status=absent" : " status=refused")
                    .Text(" reason=0x").Hex((ulong)status).End();
                if (status == HvStatus.FirmwareOwnsHypervisor)
                {
                    Log.Error("Hyper-V: GUEST_OS_ID says Generation 2 firmware owns the hypervisor interface; not touching it");
                }

                return;
            }

            VmBusConnection connection = new VmBusConnection(hypervisor);
            status = connection.Connect();
            if (status == HvStatus.VersionRefused)
            {
                Log.Error("VMBus: the host refused protocol 3.0 (WIN8_1); hosts older than Windows Server 2012 R2 are not supported");
            }

            if (status == HvStatus.Success)
            {
                status = connection.RequestOffers();
            }

            if (status != HvStatus.Success)
            {
                Log.Milestone("vmbus").Text(" status=failed reason=0x").Hex((ulong)status).End();
                return;
            }

            Span<byte> text = stackalloc byte[VmBusGuid.TextLength];
            for (int i = 0; i < connection.OfferCount; i++)
            {
                ref readonly VmBusOffer offer = ref connection.Offer(i);
                LogLine line = Log.Begin(LogLevel.Info).Text("vmbus offer relid=").Dec(offer.RelId).Text(" class=");
                line.Ascii(text.Slice(0, offer.ClassId.Format(text))).Text(" instance=");
                line.Ascii(text.Slice(0, offer.InstanceId.Format(text))).End();
            }

            Log.Milestone("vmbus").Text(" version=0x").Hex(connection.Version).Text(" offers=").Dec((ulong)connection.OfferCount).End();

            VmBusBus bus = new VmBusBus(connection);
            NetVscDriver netvsc = new NetVscDriver();
            bus.Register(netvsc);
            bus.ProbeAll();
            SanHandoff.UseHyperV(hypervisor, bus);
            Span<byte> mac = stackalloc byte[MacAddress.TextLength];
            for (int i = 0; i < netvsc.DeviceCount; i++)
            {
                NetVscDevice nic = netvsc.Device(i);
                nic.Mac.Format(mac);
                LogLine line = Log.Begin(nic.IsOpen ? LogLevel.Info : LogLevel.Error).Ascii(nic.Name).Text(nic.IsOpen ? " up" : " failed");
                if (!nic.IsOpen)
                {
                    line.Text(" step=").Ascii(NetVscStepNames.Of(nic.FailedStep));
                }

                line.Text(" mac=").Ascii(mac).Text(nic.Link == LinkState.Up ? " link=up" : " link=down").Text(" nvsp=0x").Hex(nic.NvspVersion).End();
            }

            Log.Milestone("netvsc").Text(" devices=").Dec((ulong)netvsc.DeviceCount).End();
            _bootNic = SelectBootNic(netvsc, _options.BootNic);
        }

        // `bootnic=<mac|instance uuid>` picks among several NICs; otherwise the first with link up.
        private static NetDevice SelectBootNic(NetVscDriver netvsc, TextRange bootNic)
        {
            NetDevice[] nics = new NetDevice[NetVscDriver.MaxDevices];
            for (int i = 0; i < netvsc.DeviceCount; i++)
            {
                nics[i] = netvsc.Device(i);
            }

            ReadOnlySpan<byte> selector = bootNic.In(Machine.CommandLine);
            int chosen = Bootstage.Boot.BootNicSelector.Select(selector, nics, netvsc.DeviceCount);
            if (chosen < 0)
            {
                if (selector.IsEmpty)
                {
                    Log.Begin(LogLevel.Error).Text("no synthetic NIC could be opened").End();
                }
                else
                {
                    Log.Begin(LogLevel.Error).Text("bootnic=").Ascii(selector).Text(" matches no network device").End();
                }

                Log.Milestone("bootnic").Text(" device=none").End();
                return null;
            }

            Log.Milestone("bootnic").Text(" device=").Ascii(nics[chosen].Name).End();
            return nics[chosen];
        }
    }
}
