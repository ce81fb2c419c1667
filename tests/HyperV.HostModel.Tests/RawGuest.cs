// A test-only "raw guest": drives the host model through IPlatform exactly as a guest driver would —
// allocating pages, writing the synthetic MSRs, building HvPostMessage input blocks in guest memory,
// polling the SIMP slot and writing EOM — with no code from the driver under test, so the model's
// rules are checked on their own (docs/hyperv.md §1–12).
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using Bootstage.Platform;

namespace Bootstage.HyperV.HostModel.Tests
{
    internal sealed unsafe class RawGuest
    {
        private uint _messageConnection = VmBusConstants.MessageConnectionId;

        /// <summary>An open-source guest id (bit 63) with an arbitrary OS type and build.</summary>
        public const ulong GuestOsIdValue = 0x8100_0000_0001_0001;

        public const ulong Sint2Value = 0x30;

        private readonly HyperVHost _host;

        public RawGuest(HyperVHost host)
        {
            _host = host;
            HypercallPage = Allocate(1);
            SimpPage = Allocate(1);
            SiefpPage = Allocate(1);
            InputPage = Allocate(1);
            InterruptPage = Allocate(1);
            MonitorPages = Allocate(2);
        }

        public HyperVHost Host => _host;

        public PhysicalRegion HypercallPage { get; }

        public PhysicalRegion SimpPage { get; }

        public PhysicalRegion SiefpPage { get; }

        public PhysicalRegion InputPage { get; }

        public PhysicalRegion InterruptPage { get; }

        public PhysicalRegion MonitorPages { get; }

        public PhysicalRegion Allocate(uint pages)
        {
            Assert.Equal(PlatformStatus.Success, _host.AllocatePages(pages, out PhysicalRegion region));
            return region;
        }

        /// <summary>Writes an MSR the way a careful guest does: reserved-preserve bits are carried over from the current value.</summary>
        public void WriteMsr(uint msr, ulong value) => Assert.Equal(PlatformStatus.Success, _host.WriteMsr(msr, Preserve(_host, msr, value)));

        public static ulong Preserve(HyperVHost host, uint msr, ulong value)
        {
            ulong reserved = msr switch
            {
                HvMsr.Hypercall => HvMsr.HypercallReserved,
                HvMsr.Simp or HvMsr.Siefp => HvMsr.OverlayReserved,
                >= HvMsr.Sint0 and <= HvMsr.Sint15 => HvMsr.SintReserved,
                _ => 0,
            };

            if (reserved == 0 || host.ReadMsr(msr, out ulong current) != PlatformStatus.Success)
            {
                return value;
            }

            return (value & ~reserved) | (current & reserved);
        }

        public ulong ReadMsr(uint msr)
        {
            Assert.Equal(PlatformStatus.Success, _host.ReadMsr(msr, out ulong value));
            return value;
        }

        public void EnableHypercalls()
        {
            WriteMsr(HvMsr.GuestOsId, GuestOsIdValue);
            WriteMsr(HvMsr.Hypercall, HypercallPage.PhysicalAddress | 1);
        }

        public void EnableSynIc()
        {
            WriteMsr(HvMsr.Simp, SimpPage.PhysicalAddress | 1);
            WriteMsr(HvMsr.Siefp, SiefpPage.PhysicalAddress | 1);
            WriteMsr(HvMsr.Scontrol, 1);
            WriteMsr(HvMsr.Sint(VmBusConstants.MessageSint), Sint2Value);
        }

        public void Boot()
        {
            EnableHypercalls();
            EnableSynIc();
        }

        public ushort Call(ushort code, ulong input, bool fast = false)
        {
            return (ushort)_host.Hypercall(HypercallPage.VirtualAddress, code | (fast ? HvCallCode.FastBit : 0), input, 0);
        }

        /// <summary>
        /// Builds an HvPostMessage block at <paramref name="offset"/> into the input page and calls it.
        /// Unless <paramref name="burst"/>, the raw guest first polls once (Pause), so the host's
        /// burst limit (HostOptions.PostBurstCapacity) only meets tests that ask for it.
        /// </summary>
        public ushort Post(ReadOnlySpan<byte> message, uint? connectionId = null, uint messageType = 1, uint? payloadSize = null, ulong offset = 0, bool burst = false)
        {
            uint connection = connectionId ?? ConnectionFor(message);
            if (!burst)
            {
                _host.Pause();
            }

            Span<byte> page = new Span<byte>(InputPage.VirtualAddress, (int)PhysicalRegion.PageSize);
            Span<byte> block = page.Slice((int)offset, Math.Min(256, page.Length - (int)offset));
            block.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(block, connection);
            BinaryPrimitives.WriteUInt32LittleEndian(block.Slice(8), messageType);
            BinaryPrimitives.WriteUInt32LittleEndian(block.Slice(12), payloadSize ?? (uint)message.Length);
            message.Slice(0, Math.Min(message.Length, block.Length - 16)).CopyTo(block.Slice(16));
            return Call(HvCallCode.PostMessage, InputPage.PhysicalAddress + offset);
        }

        public ushort Post(VmBusMessageType type, ReadOnlySpan<byte> body = default) => Post(Message(type, body));

        /// <summary>
        /// HvSignalEvent; then, unless <paramref name="poll"/> is false, one Pause as a polling guest
        /// would do next: the host reads signalled rings on such a later turn, never inside the call.
        /// </summary>
        public ushort Signal(uint connectionId, bool fast = true, bool poll = true)
        {
            ushort status;
            if (fast)
            {
                status = Call(HvCallCode.SignalEvent, connectionId, fast: true);
            }
            else
            {
                Span<byte> block = new Span<byte>((byte*)InputPage.VirtualAddress + 512, 8);
                block.Clear();
                BinaryPrimitives.WriteUInt32LittleEndian(block, connectionId);
                status = Call(HvCallCode.SignalEvent, InputPage.PhysicalAddress + 512);
            }

            if (poll)
            {
                _host.Pause();
            }

            return status;
        }

        public byte* Slot(int sint = VmBusConstants.MessageSint) => (byte*)SimpPage.VirtualAddress + sint * SynIcLayout.SlotSize;

        /// <summary>Takes the message in the slot if there is one: copy, free the slot, EOM when MessagePending says so.</summary>
        public bool TryTake(out byte[] message, int sint = VmBusConstants.MessageSint)
        {
            byte* slot = Slot(sint);
            if (*(uint*)slot == 0)
            {
                message = Array.Empty<byte>();
                return false;
            }

            message = new ReadOnlySpan<byte>(slot + SynIcLayout.PayloadOffset, slot[SynIcLayout.PayloadSizeOffset]).ToArray();
            bool pending = (slot[SynIcLayout.FlagsOffset] & SynIcLayout.MessagePending) != 0;
            *(uint*)slot = 0;
            if (pending)
            {
                WriteMsr(HvMsr.Eom, 0);
            }

            return true;
        }

        /// <summary>Polls the slot, pausing between looks, for up to <paramref name="polls"/> tries.</summary>
        public byte[]? Receive(int polls = 100)
        {
            for (int i = 0; i < polls; i++)
            {
                if (TryTake(out byte[] message))
                {
                    return message;
                }

                _host.Pause();
            }

            return null;
        }

        /// <summary>Skip unsolicited OFFERs while expecting something else (what a guest must do on Azure).</summary>
        public bool SkipUnsolicitedOffers { get; set; }

        public byte[] Expect(VmBusMessageType type)
        {
            while (true)
            {
                byte[]? message = Receive();
                Assert.NotNull(message);
                if (SkipUnsolicitedOffers && type != VmBusMessageType.OfferChannel && TypeOf(message!) == VmBusMessageType.OfferChannel)
                {
                    continue;
                }

                Assert.Equal(type, TypeOf(message!));
                return message!;
            }
        }

        public void ExpectNothing()
        {
            Assert.Null(Receive(20));
        }

        public bool Connect(uint version)
        {
            Assert.Equal(HvStatus.Success, PostInitiateContact(version));
            byte[] response = Expect(VmBusMessageType.VersionResponse);
            bool accepted = response[8] == 1;
            _messageConnection = accepted && VmBusVersion.UsesContactConnection4(version) ? U32(response, 12) : VmBusConstants.MessageConnectionId;
            return accepted;
        }

        /// <summary>The connection a message goes to: a 5.x contact to 4, others to what the last VERSION_RESPONSE named.</summary>
        private uint ConnectionFor(ReadOnlySpan<byte> message)
        {
            if (message.Length >= 12 && BinaryPrimitives.ReadUInt32LittleEndian(message) == (uint)VmBusMessageType.InitiateContact)
            {
                return VmBusVersion.UsesContactConnection4(BinaryPrimitives.ReadUInt32LittleEndian(message.Slice(8)))
                    ? VmBusConstants.MessageConnectionId4
                    : VmBusConstants.MessageConnectionId;
            }

            return _messageConnection;
        }

        public ushort PostInitiateContact(uint version)
        {
            byte[] body = new byte[32];
            BinaryPrimitives.WriteUInt32LittleEndian(body, version);
            BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(8), InterruptPage.PhysicalAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(16), MonitorPages.PhysicalAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(24), MonitorPages.PhysicalAddress + PhysicalRegion.PageSize);
            return Post(VmBusMessageType.InitiateContact, body);
        }

        /// <summary>REQUEST_OFFERS, then every message up to ALLOFFERS_DELIVERED (each must be an offer).</summary>
        public List<byte[]> RequestOffers()
        {
            Assert.Equal(HvStatus.Success, Post(VmBusMessageType.RequestOffers));
            List<byte[]> offers = new();
            while (true)
            {
                byte[]? message = Receive();
                Assert.NotNull(message);
                if (TypeOf(message!) == VmBusMessageType.AllOffersDelivered)
                {
                    return offers;
                }

                Assert.Equal(VmBusMessageType.OfferChannel, TypeOf(message!));
                offers.Add(message!);
            }
        }

        /// <summary>Posts GPADL_HEADER and as many GPADL_BODY messages as the PFNs need; returns the body count.</summary>
        public int PostGpadl(uint relId, uint gpadlId, ReadOnlySpan<ulong> pfns, uint byteCount, uint byteOffset = 0)
        {
            const int headerPfns = (240 - 28) / 8;
            const int bodyPfns = (240 - 16) / 8;
            int first = Math.Min(pfns.Length, headerPfns);
            byte[] header = new byte[20 + first * 8];
            BinaryPrimitives.WriteUInt32LittleEndian(header, relId);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), gpadlId);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)(8 + pfns.Length * 8));
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(10), 1);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), byteCount);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), byteOffset);
            for (int i = 0; i < first; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(20 + i * 8), pfns[i]);
            }

            Assert.Equal(HvStatus.Success, Post(VmBusMessageType.GpadlHeader, header));
            int bodies = 0;
            for (int sent = first; sent < pfns.Length; sent += bodyPfns)
            {
                int count = Math.Min(bodyPfns, pfns.Length - sent);
                byte[] body = new byte[8 + count * 8];
                BinaryPrimitives.WriteUInt32LittleEndian(body, (uint)bodies);
                BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(4), gpadlId);
                for (int i = 0; i < count; i++)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(8 + i * 8), pfns[sent + i]);
                }

                Assert.Equal(HvStatus.Success, Post(VmBusMessageType.GpadlBody, body));
                bodies++;
            }

            return bodies;
        }

        /// <summary>Creates a GPADL over a whole region; returns creation_status.</summary>
        public uint CreateGpadl(uint relId, uint gpadlId, PhysicalRegion region)
        {
            PostGpadl(relId, gpadlId, Pfns(region), (uint)region.Length);
            byte[] created = Expect(VmBusMessageType.GpadlCreated);
            Assert.Equal(gpadlId, U32(created, 12));
            return U32(created, 16);
        }

        public ushort PostOpen(uint relId, uint openId, uint gpadlId, uint downstreamOffset)
        {
            byte[] body = new byte[140];
            BinaryPrimitives.WriteUInt32LittleEndian(body, relId);
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(4), openId);
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(8), gpadlId);
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(16), downstreamOffset);
            return Post(VmBusMessageType.OpenChannel, body);
        }

        /// <summary>OPENCHANNEL and its result: (echoed open id, status).</summary>
        public (uint OpenId, uint Status) Open(uint relId, uint openId, uint gpadlId, uint downstreamOffset)
        {
            Assert.Equal(HvStatus.Success, PostOpen(relId, openId, gpadlId, downstreamOffset));
            byte[] result = Expect(VmBusMessageType.OpenChannelResult);
            Assert.Equal(relId, U32(result, 8));
            return (U32(result, 12), U32(result, 16));
        }

        public ushort PostWithRelId(VmBusMessageType type, uint relId, uint? second = null)
        {
            byte[] body = new byte[second.HasValue ? 8 : 4];
            BinaryPrimitives.WriteUInt32LittleEndian(body, relId);
            if (second.HasValue)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(4), second.Value);
            }

            return Post(type, body);
        }

        /// <summary>Connects, enumerates, builds a ring GPADL and opens <paramref name="channel"/>; returns the guest's view of the rings.</summary>
        public GuestRings BringUp(HostChannel channel, uint version = VmBusVersion.Win10, uint pagesPerRing = 2, uint gpadlId = 0x100, uint openId = 0x55)
        {
            if (!_host.IsConnected || _host.VmBus.Owner != BusOwner.Guest)
            {
                Assert.True(Connect(version));
                RequestOffers();
            }

            GuestRings rings = new GuestRings(this, pagesPerRing, pagesPerRing);
            Assert.Equal(0u, CreateGpadl(channel.RelId, gpadlId, rings.Region));
            (uint echoed, uint status) = Open(channel.RelId, openId, gpadlId, pagesPerRing);
            Assert.Equal(openId, echoed);
            Assert.Equal(0u, status);
            return rings;
        }

        public static ulong[] Pfns(PhysicalRegion region)
        {
            ulong[] pfns = new ulong[region.PageCount];
            for (int i = 0; i < pfns.Length; i++)
            {
                pfns[i] = (region.PhysicalAddress >> 12) + (ulong)i;
            }

            return pfns;
        }

        public static byte[] Message(VmBusMessageType type, ReadOnlySpan<byte> body = default)
        {
            byte[] message = new byte[8 + body.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)type);
            body.CopyTo(message.AsSpan(8));
            return message;
        }

        public static VmBusMessageType TypeOf(byte[] message) => (VmBusMessageType)U32(message, 0);

        public static uint U32(byte[] bytes, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
    }
}
