// Binds drivers to offers and carries devices across a reclaim (baseline: iPXE's vmbus_probe and
// vmbus_reset). After the hypervisor interface is reclaimed the whole connection is set up again:
// negotiate, request offers, mark every old channel and GPADL gone without tearing anything down,
// then let each driver reset its device found again by instance GUID.
using Bootstage.Drivers.HyperV.Hypervisor;

namespace Bootstage.Drivers.HyperV.VmBus
{
    public sealed class VmBusBus
    {
        public const int MaxDrivers = 8;
        public const int MaxDevices = 16;

        private readonly VmBusConnection _connection;
        private readonly IVmBusDriver?[] _drivers = new IVmBusDriver?[MaxDrivers];
        private readonly VmBusDevice?[] _devices = new VmBusDevice?[MaxDevices];
        private int _driverCount;
        private int _deviceCount;

        public VmBusBus(VmBusConnection connection)
        {
            _connection = connection;
        }

        public VmBusConnection Connection => _connection;

        public int DeviceCount => _deviceCount;

        public VmBusDevice Device(int index) => _devices[index]!;

        public bool Register(IVmBusDriver driver)
        {
            if (_driverCount == MaxDrivers)
            {
                return false;
            }

            _drivers[_driverCount++] = driver;
            return true;
        }

        /// <summary>Creates a device for each offer a registered driver claims and probes it. Returns how many probed successfully.</summary>
        public int ProbeAll()
        {
            int probed = 0;
            for (int i = 0; i < _connection.OfferCount; i++)
            {
                ref readonly VmBusOffer offer = ref _connection.Offer(i);
                IVmBusDriver? driver = DriverFor(offer.ClassId);
                if (driver == null || offer.Rescinded || FindDevice(offer.InstanceId) != null || _deviceCount == MaxDevices)
                {
                    continue;
                }

                VmBusDevice device = new VmBusDevice(_connection, offer, driver);
                _devices[_deviceCount++] = device;
                if (driver.Probe(device) == HvStatus.Success)
                {
                    probed++;
                }
            }

            return probed;
        }

        /// <summary>
        /// After a reclaim: reconnect and re-enumerate, then reset each known device (same instance
        /// GUID) or remove it if its offer is gone. Old channels are abandoned, never torn down.
        /// </summary>
        public HvStatus Reset()
        {
            for (int i = 0; i < _deviceCount; i++)
            {
                _devices[i]!.Channel.Abandon();
            }

            HvStatus status = _connection.Connect();
            if (status != HvStatus.Success)
            {
                return status;
            }

            status = _connection.RequestOffers();
            if (status != HvStatus.Success)
            {
                return status;
            }

            for (int i = 0; i < _deviceCount; i++)
            {
                VmBusDevice device = _devices[i]!;
                int index = _connection.FindOffer(device.Offer.InstanceId);
                if (index < 0)
                {
                    if (device.Present)
                    {
                        device.Present = false;
                        device.Driver.Remove(device);
                    }

                    continue;
                }

                device.Channel.Rebind(_connection.Offer(index));
                device.Present = true;
                HvStatus reset = device.Driver.Reset(device);
                if (reset != HvStatus.Success)
                {
                    status = reset;
                }
            }

            return status;
        }

        /// <summary>Processes rescinds that arrived between transactions: removes their devices.</summary>
        public void PollRescinds()
        {
            _connection.Poll();
            for (int i = 0; i < _deviceCount; i++)
            {
                VmBusDevice device = _devices[i]!;
                int index = _connection.FindOffer(device.Offer.RelId);
                if (device.Present && (index < 0 || _connection.Offer(index).Rescinded))
                {
                    device.Present = false;
                    device.Channel.Abandon();
                    device.Driver.Remove(device);
                }
            }
        }

        public VmBusDevice? FindDevice(VmBusGuid instanceId)
        {
            for (int i = 0; i < _deviceCount; i++)
            {
                if (_devices[i]!.Offer.InstanceId == instanceId)
                {
                    return _devices[i];
                }
            }

            return null;
        }

        private IVmBusDriver? DriverFor(VmBusGuid classId)
        {
            for (int i = 0; i < _driverCount; i++)
            {
                if (_drivers[i]!.ClassId == classId)
                {
                    return _drivers[i];
                }
            }

            return null;
        }
    }
}
