// Races that only a host running beside the guest can show: the host model's host thread reads
// rings and queues SynIC messages between the guest's plain memory accesses. These tests run alone
// (their own collection, no parallel neighbours), and each decides by events and counts: a lost
// wake-up leaves an echo that never comes, a misordered EOM shows as a late EOM.
using System;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.HyperV.HostModel;
using HvStatus = Bootstage.Drivers.HyperV.Hypervisor.HvStatus;

namespace Bootstage.Drivers.HyperV.Tests
{
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class SoloCollection
    {
        public const string Name = "runs alone";
    }

    [Collection(SoloCollection.Name)]
    public class ConcurrentHostTests
    {
        private static bool Receive(VmBusChannel channel, Guest guest, out ulong transactionId)
        {
            for (int spin = 0; spin < 1000; spin++)
            {
                if (channel.TryReceive(out VmBusPacket packet))
                {
                    transactionId = packet.TransactionId;
                    return true;
                }

                guest.Host.Pause();
            }

            transactionId = 0;
            return false;
        }

        [Fact]
        public void No_wake_up_is_lost_when_the_host_drains_while_the_guest_writes()
        {
            // The host reads the guest's ring on its own thread, between the guest's memory accesses:
            // the "was it empty?" decision must be made after publishing, from a fresh read index.
            using Guest guest = new Guest(HostProfile.WS2016, new HostOptions { HostThread = true });
            guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid(), new EchoDevice());
            guest.BringUp();
            guest.Bus.Register(new RecordingDriver(VmBusClass.Network));
            Assert.Equal(1, guest.Bus.ProbeAll());
            VmBusChannel channel = guest.Bus.Device(0).Channel;
            byte[] payload = new byte[24];
            for (int round = 0; round < 20000; round++)
            {
                for (int i = 0; i < 8; i++)
                {
                    payload[0] = (byte)i;
                    Assert.Equal(HvStatus.Success, channel.SendInband(payload, (ulong)(round * 8 + i), requestCompletion: false));
                }

                for (int i = 0; i < 8; i++)
                {
                    Assert.True(Receive(channel, guest, out ulong id), $"round {round}: echo {i} never came (a lost wake-up)");
                    Assert.Equal((ulong)(round * 8 + i), id);
                }
            }
        }

        [Fact]
        public void Eom_follows_freeing_the_slot_so_no_message_waits_for_a_nudge()
        {
            // The host queues a message at moments of its own choosing; one that finds the slot busy
            // sets MessagePending. A guest that reads the flag before freeing the slot can miss it and
            // leave the message stranded until its next periodic EOM (counted as a late EOM).
            using Guest guest = new Guest(HostProfile.WS2016, new HostOptions { HostThread = true });
            Assert.Equal(HvStatus.Success, guest.Hypervisor.Initialize());
            const int Total = 20000;
            int queued = 0;
            byte[] message = new byte[16];
            guest.Host.OnHostTurn = host =>
            {
                if (queued < Total && host.PendingMessageCount() == 0)
                {
                    message[0] = 99;
                    host.PostSynIcMessage(HvHypervisor.VmBusSint, 1, message);
                    queued++;
                }
            };

            byte[] buffer = new byte[240];
            for (int i = 0; i < Total; i++)
            {
                Assert.Equal(HvStatus.Success, guest.Hypervisor.WaitMessage(buffer, 50_000_000, out int length, out uint type));
                Assert.Equal(16, length);
            }

            Assert.Equal(0, guest.Host.LateEoms);
        }
    }
}
