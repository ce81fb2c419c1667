// SanTestKit: a SanDevice on a fresh session over an AutoTarget, with timeouts and the reconnect
// pause short enough for the manual clock (one step per Poll) to reach them in a few hundred
// polls, and a few helpers the SAN device tests share.
using System;
using System.Text;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.San;
using Bootstage.Boot.Tests.Iscsi;

namespace Bootstage.Boot.Tests.San
{
    public static class SanTestKit
    {
        public const ulong CommandTimeoutMs = 400;
        public const ulong ReconnectDelayMs = 20;

        public static SanDevice Device(AutoTarget target, IscsiOptions? options = null)
        {
            IscsiSession session = new IscsiSession(options ?? IscsiTestKit.Options(), target, new DeterministicRandom(4242));
            SanDevice device = new SanDevice(session, Encoding.ASCII.GetBytes(IscsiTestKit.Portal), 3260, 0);
            device.CommandTimeoutMs = CommandTimeoutMs;
            device.ReconnectDelayMs = ReconnectDelayMs;
            return device;
        }

        public static SanDevice Opened(AutoTarget target, IscsiOptions? options = null)
        {
            SanDevice device = Device(target, options);
            Assert.Equal(IscsiStatus.Success, device.Open());
            return device;
        }

        public static string Text(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes);

        /// <summary>Asserts the buffer range equals the disk's blocks, naming the first block that differs.</summary>
        public static void AssertDisk(AutoTarget target, ulong lba, int blocks, byte[] buffer, int offset = 0)
        {
            int blockSize = (int)target.BlockSize;
            byte[] expected = target.ReadBlocks(lba, blocks);
            for (int i = 0; i < blocks; i++)
            {
                if (!expected.AsSpan(i * blockSize, blockSize).SequenceEqual(buffer.AsSpan(offset + i * blockSize, blockSize)))
                {
                    Assert.Fail("block " + (lba + (ulong)i) + " differs from the disk");
                }
            }
        }
    }
}
