// HvPostMessage's status codes (TLFS hvcallpostmessage; docs/hyperv.md §3)
// and the SynIC delivery rules (§4): one message per slot, MessagePending when busy,
// redelivery on EOM, nothing delivered while the SynIC, SIMP or SINT is off.
using System;
using System.Buffers.Binary;
using Bootstage.Platform;

namespace Bootstage.HyperV.HostModel.Tests
{
    public unsafe class PostMessageTests
    {
        private static RawGuest Booted(HyperVHost host)
        {
            RawGuest guest = new RawGuest(host);
            guest.Boot();
            return guest;
        }

        private static byte[] InitiateContact(uint version)
        {
            byte[] body = new byte[32];
            BinaryPrimitives.WriteUInt32LittleEndian(body, version);
            return RawGuest.Message(VmBusMessageType.InitiateContact, body);
        }

        [Fact]
        public void A_burst_of_posts_without_a_poll_gets_insufficient_buffers_until_the_guest_polls()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.Equal(HvStatus.Success, guest.Post(InitiateContact(VmBusVersion.Win10)));
            Assert.NotNull(guest.Receive());
            host.Pause();
            byte[] body = new byte[8];
            for (int i = 0; i < host.Options.PostBurstCapacity; i++)
            {
                Assert.Equal(HvStatus.Success, guest.Post(RawGuest.Message(VmBusMessageType.CloseChannel, body), burst: true));
            }

            Assert.Equal(HvStatus.InsufficientBuffers, guest.Post(RawGuest.Message(VmBusMessageType.CloseChannel, body), burst: true));
            host.Pause();
            Assert.Equal(HvStatus.Success, guest.Post(RawGuest.Message(VmBusMessageType.CloseChannel, body), burst: true));
        }

        [Theory]
        [InlineData(HvStatus.InvalidConnectionId)]
        [InlineData(HvStatus.InsufficientBuffers)]
        [InlineData(HvStatus.InsufficientMemory)]
        public void The_refusal_knob_answers_every_post_with_its_status_for_its_duration(ushort status)
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            host.Faults.RefusePosts(status, host.TimeRefCount, 1_000);
            Assert.Equal(status, guest.Post(InitiateContact(VmBusVersion.Win10), burst: true));
            for (int i = 0; i < 20; i++)
            {
                host.Pause();
            }

            Assert.Equal(HvStatus.Success, guest.Post(InitiateContact(VmBusVersion.Win10), burst: true));
            Assert.Equal(1, host.Trace.Counters.RefusedPosts);
        }

        [Fact]
        public void Post_input_that_is_not_8_byte_aligned_is_rejected_with_invalid_alignment()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.Equal(HvStatus.InvalidAlignment, guest.Post(InitiateContact(VmBusVersion.Win10), offset: 4));
            Assert.Equal(0, host.Trace.Counters.Posted(VmBusMessageType.InitiateContact));
        }

        [Fact]
        public void Post_input_crossing_a_page_is_rejected_with_invalid_alignment()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.Equal(HvStatus.InvalidAlignment, guest.Post(InitiateContact(VmBusVersion.Win10), offset: 4096 - 128));
        }

        [Fact]
        public void Post_input_outside_guest_memory_is_rejected_without_touching_it()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.Equal(HvStatus.InvalidParameter, guest.Call(HvCallCode.PostMessage, 0x7000_0000_0000));
            Assert.Equal(HvStatus.InvalidParameter, guest.Call(HvCallCode.PostMessage, 0));

            // Freed memory is no longer guest memory either.
            PhysicalRegion scratch = guest.Allocate(1);
            Assert.Equal(PlatformStatus.Success, host.FreePages(scratch));
            Assert.Equal(HvStatus.InvalidParameter, guest.Call(HvCallCode.PostMessage, scratch.PhysicalAddress));
        }

        [Fact]
        public void Post_with_payload_over_240_bytes_is_rejected_with_invalid_parameter()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.Equal(HvStatus.InvalidParameter, guest.Post(InitiateContact(VmBusVersion.Win10), payloadSize: 241));
            Assert.Equal(HvStatus.Success, guest.Post(InitiateContact(VmBusVersion.Win10), payloadSize: 240));
        }

        [Theory]
        [InlineData(0u)]
        [InlineData(2u)]
        [InlineData(0x80000010u)]
        public void Post_with_a_message_type_other_than_1_is_rejected_with_invalid_parameter(uint messageType)
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.Equal(HvStatus.InvalidParameter, guest.Post(InitiateContact(VmBusVersion.Win10), messageType: messageType));
        }

        [Theory]
        [InlineData(0u)]
        [InlineData(2u)]
        [InlineData(4u)]
        [InlineData(17u)]
        public void Post_to_a_connection_other_than_the_vmbus_message_connection_is_rejected(uint connectionId)
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.Equal(HvStatus.InvalidConnectionId, guest.Post(InitiateContact(VmBusVersion.Win10), connectionId: connectionId));
        }

        [Fact]
        public void Post_message_has_no_fast_form()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.Equal(HvStatus.InvalidHypercallInput, guest.Call(HvCallCode.PostMessage, 1, fast: true));
        }

        [Fact]
        public void Posts_beyond_16_waiting_behind_undelivered_replies_get_insufficient_buffers()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);

            // With SINT2 masked no reply can be delivered, so the host stops taking posts off its queue.
            guest.WriteMsr(HvMsr.Sint(2), HvMsr.SintMasked | RawGuest.Sint2Value);
            Assert.Equal(HvStatus.Success, guest.Post(InitiateContact(VmBusVersion.Win10)));
            Assert.Equal(1, host.PendingMessageCount());
            for (int i = 0; i < 16; i++)
            {
                Assert.Equal(HvStatus.Success, guest.Post(InitiateContact(VmBusVersion.Win10)));
            }

            Assert.Equal(16, host.PendingPostCount);
            Assert.Equal(HvStatus.InsufficientBuffers, guest.Post(InitiateContact(VmBusVersion.Win10)));

            // Once the guest takes its replies the queue drains and posting works again.
            guest.WriteMsr(HvMsr.Sint(2), RawGuest.Sint2Value);
            int replies = 0;
            while (guest.Receive() is byte[] reply)
            {
                Assert.Equal(VmBusMessageType.VersionResponse, RawGuest.TypeOf(reply));
                replies++;
            }

            Assert.Equal(17, replies);
            Assert.Equal(0, host.PendingPostCount);
            Assert.Equal(HvStatus.Success, guest.Post(InitiateContact(VmBusVersion.Win10)));
        }

        [Fact]
        public void A_busy_slot_gets_message_pending_and_the_next_message_arrives_on_eom()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            host.AddChannel(HostDeviceClasses.NetVsc, Guid.NewGuid());
            Assert.True(guest.Connect(VmBusVersion.Win10));
            Assert.Equal(HvStatus.Success, guest.Post(VmBusMessageType.RequestOffers));

            byte* slot = guest.Slot();
            Assert.Equal(1u, *(uint*)slot);
            Assert.Equal(SynIcLayout.MessagePending, slot[SynIcLayout.FlagsOffset]);
            Assert.Equal(VmBusMessageType.OfferChannel, (VmBusMessageType)(*(uint*)(slot + 16)));

            // Emptying the slot is not enough: the host waits for EOM, however long the guest pauses.
            *(uint*)slot = 0;
            for (int i = 0; i < 10; i++)
            {
                host.Pause();
            }

            Assert.Equal(0u, *(uint*)slot);
            int eoms = host.Trace.Counters.Eoms;
            guest.WriteMsr(HvMsr.Eom, 0);
            Assert.Equal(eoms + 1, host.Trace.Counters.Eoms);
            Assert.Equal(1u, *(uint*)slot);
            Assert.Equal(VmBusMessageType.AllOffersDelivered, (VmBusMessageType)(*(uint*)(slot + 16)));
            Assert.Equal(0, slot[SynIcLayout.FlagsOffset]);
        }

        [Fact]
        public void A_new_message_is_delivered_into_an_emptied_slot_without_eom()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.True(guest.Connect(VmBusVersion.Win10));

            // The TLFS retries delivery when another message is queued, so no EOM is needed for an idle slot.
            Assert.Equal(HvStatus.Success, guest.PostInitiateContact(VmBusVersion.Win10));
            Assert.Equal(1u, *(uint*)guest.Slot());
        }

        [Fact]
        public void Messages_wait_while_synic_simp_or_sint_is_off_and_arrive_when_enabled()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = new RawGuest(host);
            guest.EnableHypercalls();
            Assert.Equal(HvStatus.Success, guest.PostInitiateContact(VmBusVersion.Win10));
            Assert.Equal(1, host.PendingMessageCount());

            guest.WriteMsr(HvMsr.Simp, guest.SimpPage.PhysicalAddress | 1);
            guest.WriteMsr(HvMsr.Sint(2), RawGuest.Sint2Value);
            Assert.Equal(0u, *(uint*)guest.Slot());
            guest.WriteMsr(HvMsr.Scontrol, 1);
            Assert.Equal(VmBusMessageType.VersionResponse, RawGuest.TypeOf(guest.Receive()!));

            guest.WriteMsr(HvMsr.Sint(2), HvMsr.SintMasked | RawGuest.Sint2Value);
            Assert.Equal(HvStatus.Success, guest.PostInitiateContact(VmBusVersion.Win10));
            Assert.Null(guest.Receive(5));
            guest.WriteMsr(HvMsr.Sint(2), RawGuest.Sint2Value);
            Assert.Equal(VmBusMessageType.VersionResponse, RawGuest.TypeOf(guest.Receive()!));
        }

        [Fact]
        public void Slot_carries_the_vmbus_message_type_payload_size_and_payload()
        {
            using HyperVHost host = new HyperVHost();
            RawGuest guest = Booted(host);
            Assert.Equal(HvStatus.Success, guest.PostInitiateContact(VmBusVersion.Win10));
            byte* slot = guest.Slot();
            Assert.Equal(VmBusConstants.SynIcMessageType, *(uint*)slot);
            Assert.Equal(16, slot[SynIcLayout.PayloadSizeOffset]);
            Assert.Equal((uint)VmBusMessageType.VersionResponse, *(uint*)(slot + 16));
            Assert.Equal(1, slot[16 + 8]);
        }
    }
}
