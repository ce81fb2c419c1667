// The VMBus connection against the host model, per profile: version negotiation, enumeration,
// messages nobody asked for, GPADLs of any size, lost replies.
using System;
using System.Linq;
using Bootstage.Drivers.HyperV.Hypervisor;
using Bootstage.Drivers.HyperV.VmBus;
using Bootstage.HyperV.HostModel;
using Bootstage.Platform;
using HostMessage = Bootstage.HyperV.HostModel.VmBusMessageType;
using HvStatus = Bootstage.Drivers.HyperV.Hypervisor.HvStatus;
using VmBusVersion = Bootstage.Drivers.HyperV.VmBus.VmBusVersion;

namespace Bootstage.Drivers.HyperV.Tests
{
    public unsafe class VmBusConnectionTests
    {
        [Theory]
        [InlineData(HostProfile.WS2012R2)]
        [InlineData(HostProfile.WS2016)]
        [InlineData(HostProfile.AzureNC6)]
        [InlineData(HostProfile.WS2019)]
        [InlineData(HostProfile.WS2022)]
        public void Negotiates_3_0_then_unloads_and_reconnects_at_0_13(HostProfile profile)
        {
            using Guest guest = new Guest(profile);
            Assert.Equal(HvStatus.Success, guest.Hypervisor.Initialize());
            Assert.Equal(HvStatus.Success, guest.Connection.Connect());
            Assert.Equal(VmBusVersion.Ws2008, guest.Connection.Version);
            Assert.Equal(VmBusVersion.Ws2008, guest.Host.NegotiatedVersion);
            Assert.Equal(
                new[] { HostMessage.InitiateContact, HostMessage.Unload, HostMessage.InitiateContact },
                guest.Host.Trace.Messages(TraceDirection.GuestToHost));
            string[] contacts = guest.Host.Trace.Events
                .Where(e => e.Kind == TraceKind.Message && e.Direction == TraceDirection.GuestToHost && e.MessageType == HostMessage.InitiateContact)
                .Select(e => e.Detail).ToArray();
            Assert.Equal(2, contacts.Length);
            Assert.Contains("version 0x30000 ", contacts[0]);
            Assert.Contains("version 0xD ", contacts[1]);
        }

        [Theory]
        [InlineData(HostProfile.WS2008R2)]
        [InlineData(HostProfile.WS2012)]
        public void Refuses_hosts_that_cannot_take_3_0(HostProfile profile)
        {
            using Guest guest = new Guest(profile);
            Assert.Equal(HvStatus.Success, guest.Hypervisor.Initialize());
            Assert.Equal(HvStatus.VersionRefused, guest.Connection.Connect());
            Assert.Equal(0u, guest.Connection.Version);
            Assert.DoesNotContain(HostMessage.Unload, guest.Host.Trace.Messages(TraceDirection.GuestToHost));
        }

        [Fact]
        public void Enumerates_every_offer_with_guids_in_canonical_order()
        {
            using Guest guest = new Guest();
            Guid first = new Guid("0f4e1d2c-3b4a-5968-7788-99aabbccddee");
            Guid second = Guid.NewGuid();
            guest.Host.AddChannel(Guest.NetworkClass, first);
            guest.Host.AddChannel(Guest.NetworkClass, second);
            guest.BringUp();
            Assert.Equal(2, guest.Connection.OfferCount);
            ref readonly VmBusOffer offer = ref guest.Connection.Offer(0);
            Assert.True(offer.ClassId == VmBusClass.Network);
            Assert.True(offer.InstanceId == Guest.ToVmBus(first));
            Assert.True(offer.RelId >= 1);
            byte[] text = new byte[36];
            offer.InstanceId.Format(text);
            Assert.Equal(first.ToString(), Guest.Text(text));
            Assert.Equal(0UL, guest.Connection.UnexpectedMessages);
        }

        [Fact]
        public void Offers_of_188_bytes_at_protocol_0_13_are_accepted()
        {
            using Guest guest = new Guest();
            guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid());
            guest.BringUp();
            Assert.Equal(0x0000000Du, guest.Connection.Version);
            Assert.Equal(1, guest.Connection.OfferCount);
            Assert.Equal(guest.Host.Channels[0].RelId, guest.Connection.Offer(0).RelId);
            Assert.False(guest.Connection.Offer(0).MonitorAllocated);
            Assert.Equal(0UL, guest.Connection.UnexpectedMessages);
        }

        [Fact]
        public void A_late_pcie_offer_on_azure_is_ignored_and_counted_while_waiting_for_other_replies()
        {
            using Guest guest = new Guest(HostProfile.AzureNC6);
            guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid());
            guest.BringUp();
            RecordingDriver driver = new RecordingDriver(VmBusClass.Network);
            guest.Bus.Register(driver);
            Assert.Equal(1, guest.Bus.ProbeAll());
            Assert.True(guest.Bus.Device(0).Channel.IsOpen);
            Assert.True(guest.Connection.LateOffers >= 1, "the late PCIe offer reached a wait");
            Assert.Equal(1, guest.Connection.OfferCount);
        }

        [Theory]
        [InlineData(HostMessage.VersionResponse)]
        [InlineData(HostMessage.GpadlCreated)]
        [InlineData(HostMessage.OpenChannelResult)]
        [InlineData(HostMessage.UnloadResponse)]
        public void A_message_of_an_unexpected_type_at_a_wait_point_is_skipped(HostMessage beforeReply)
        {
            using Guest guest = new Guest();
            guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid());
            byte[] stray = new byte[16];
            BitConverter.GetBytes((uint)HostMessage.GpadlTorndown).CopyTo(stray, 0);
            BitConverter.GetBytes(0xDEADu).CopyTo(stray, 8);
            guest.Host.Faults.InjectBefore(beforeReply, stray);
            guest.BringUp();
            guest.Bus.Register(new RecordingDriver(VmBusClass.Network));
            Assert.Equal(1, guest.Bus.ProbeAll());
            Assert.True(guest.Connection.UnexpectedMessages >= 1);
        }

        [Fact]
        public void A_lost_reply_times_out_instead_of_hanging()
        {
            using Guest guest = new Guest();
            guest.Host.Faults.DropNext(HostMessage.VersionResponse);
            Assert.Equal(HvStatus.Success, guest.Hypervisor.Initialize());
            Assert.Equal(HvStatus.Timeout, guest.Connection.Connect());
        }

        [Theory]
        [InlineData(HvStatus.InsufficientBuffers)]
        [InlineData(HvStatus.InvalidConnectionId)]
        [InlineData(HvStatus.InsufficientMemory)]
        public void Posts_are_retried_with_back_off_while_the_host_answers_a_retry_status(HvStatus status)
        {
            using Guest guest = new Guest();
            guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid());
            guest.BringUp();

            // Half a second of refusals: far beyond a few bare pauses, well inside Linux's back-off.
            guest.Host.Faults.RefusePosts((ushort)status, guest.Host.TimeRefCount, 5_000_000);
            Assert.Equal(PlatformStatus.Success, guest.Host.AllocatePages(128, out PhysicalRegion region));
            Assert.Equal(HvStatus.Success, guest.Connection.EstablishGpadl(guest.Connection.Offer(0).RelId, region, out uint gpadl));
            Assert.Contains(gpadl, guest.Host.LiveGpadlIds);
            Assert.True(guest.Host.Trace.Counters.RefusedPosts > 1);
        }

        [Fact]
        public void A_128_page_gpadl_survives_the_hosts_burst_limit()
        {
            using Guest guest = new Guest();
            guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid());
            guest.BringUp();
            Assert.Equal(PlatformStatus.Success, guest.Host.AllocatePages(128, out PhysicalRegion region));
            Assert.Equal(HvStatus.Success, guest.Connection.EstablishGpadl(guest.Connection.Offer(0).RelId, region, out uint gpadl));
            Assert.Contains(gpadl, guest.Host.LiveGpadlIds);
            Assert.True(guest.Host.Trace.Counters.RefusedPosts >= 1, "five back-to-back posts meet the burst limit");
        }

        [Fact]
        public void Initiate_contact_refused_as_an_invalid_connection_is_not_retried()
        {
            // On 5.x hosts 18 answers a contact on the wrong connection id: retrying cannot help.
            using Guest guest = new Guest();
            Assert.Equal(HvStatus.Success, guest.Hypervisor.Initialize());
            guest.Host.Faults.RefusePosts((ushort)HvStatus.InvalidConnectionId, guest.Host.TimeRefCount, 50_000_000);
            Assert.Equal(HvStatus.InvalidConnectionId, guest.Connection.Connect());
            Assert.Equal(1, guest.Host.Trace.Counters.RefusedPosts);
        }

        [Fact]
        public void Unload_waits_as_long_as_linux_allows_for_a_host_flushing_its_cache()
        {
            // One virtual millisecond per poll keeps a 60 s wait short in real time.
            using Guest guest = new Guest(HostProfile.WS2016, new HostOptions { TimeRefStep = 10_000 });
            guest.Host.Faults.UnloadDelay = 600_000_000;
            Assert.Equal(HvStatus.Success, guest.Hypervisor.Initialize());
            ulong start = guest.Host.TimeRefCount;
            Assert.Equal(HvStatus.Success, guest.Connection.Connect());
            Assert.True(guest.Host.TimeRefCount - start >= 600_000_000);
            Assert.Equal(1, guest.Host.VmBus.UnloadCount);
        }

        [Fact]
        public void A_duplicated_reply_does_not_confuse_the_next_wait()
        {
            using Guest guest = new Guest();
            guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid());
            guest.Host.Faults.DuplicateNext(HostMessage.VersionResponse);
            guest.BringUp();
            guest.Bus.Register(new RecordingDriver(VmBusClass.Network));
            Assert.Equal(1, guest.Bus.ProbeAll());
        }

        [Theory]
        [InlineData(1u)]
        [InlineData(26u)]
        [InlineData(27u)]
        [InlineData(300u)]
        public void A_gpadl_of_any_size_is_described_with_header_and_body_messages(uint pages)
        {
            using Guest guest = new Guest();
            guest.Host.AddChannel(Guest.NetworkClass, Guid.NewGuid());
            guest.BringUp();
            uint relId = guest.Connection.Offer(0).RelId;
            Assert.Equal(PlatformStatus.Success, guest.Host.AllocatePages(pages, out PhysicalRegion region));
            Assert.Equal(HvStatus.Success, guest.Connection.EstablishGpadl(relId, region, out uint gpadl));
            Assert.Contains(gpadl, guest.Host.LiveGpadlIds);
            int bodies = guest.Host.Trace.Counters.Posted(HostMessage.GpadlBody);
            Assert.Equal(pages <= 26 ? 0 : (int)((pages - 26 + 27) / 28), bodies);
            HostChannel channel = guest.Host.Channels[0];
            byte[] probe = new byte[8];
            ((byte*)region.VirtualAddress)[(pages - 1) * 4096 + 5] = 0x5A;
            Assert.True(channel.TryReadGpadl(gpadl, (pages - 1) * 4096UL, probe));
            Assert.Equal(0x5A, probe[5]);
            Assert.Equal(HvStatus.Success, guest.Connection.TeardownGpadl(relId, gpadl));
            Assert.DoesNotContain(gpadl, guest.Host.LiveGpadlIds);
        }
    }
}
