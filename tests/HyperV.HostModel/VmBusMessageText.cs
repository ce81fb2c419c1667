// One-line descriptions of VMBus channel messages for the host model's trace (field layouts from
// docs/hyperv.md §6), so a test can assert on what was said, not only on the type.
using System;
using System.Buffers.Binary;

namespace Bootstage.HyperV.HostModel
{
    internal static class VmBusMessageText
    {
        public static string Describe(byte[] message)
        {
            VmBusMessageType type = (VmBusMessageType)HyperVHost.ReadType(message);
            string fields = type switch
            {
                VmBusMessageType.OfferChannel when message.Length >= 196 => $"relid {U32(message, 184)} class {new Guid(message.AsSpan(8, 16))} connection {U32(message, 192)}",
                VmBusMessageType.RescindChannelOffer or VmBusMessageType.CloseChannel or VmBusMessageType.RelIdReleased when message.Length >= 12 => $"relid {U32(message, 8)}",
                VmBusMessageType.OpenChannel when message.Length >= 28 => $"relid {U32(message, 8)} open id 0x{U32(message, 12):X} gpadl {U32(message, 16)} downstream offset {U32(message, 24)}",
                VmBusMessageType.OpenChannelResult when message.Length >= 20 => $"relid {U32(message, 8)} open id 0x{U32(message, 12):X} status 0x{U32(message, 16):X}",
                VmBusMessageType.GpadlHeader when message.Length >= 20 => $"relid {U32(message, 8)} gpadl {U32(message, 12)} range_buflen {U16(message, 16)} ranges {U16(message, 18)}",
                VmBusMessageType.GpadlBody when message.Length >= 16 => $"msgnumber {U32(message, 8)} gpadl {U32(message, 12)}",
                VmBusMessageType.GpadlCreated when message.Length >= 20 => $"relid {U32(message, 8)} gpadl {U32(message, 12)} status 0x{U32(message, 16):X}",
                VmBusMessageType.GpadlTeardown when message.Length >= 16 => $"relid {U32(message, 8)} gpadl {U32(message, 12)}",
                VmBusMessageType.GpadlTorndown when message.Length >= 12 => $"gpadl {U32(message, 8)}",
                VmBusMessageType.InitiateContact when message.Length >= 16 => $"version 0x{U32(message, 8):X}",
                VmBusMessageType.VersionResponse when message.Length >= 9 => $"supported {message[8]}",
                _ => string.Empty,
            };
            return fields.Length == 0 ? $"{type} ({message.Length} bytes)" : $"{type} {fields} ({message.Length} bytes)";
        }

        private static uint U32(byte[] message, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(offset));

        private static ushort U16(byte[] message, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(offset));
    }
}
