// VMBus GUIDs: wire byte order and canonical text, with System.Guid (same mixed-endian layout) as
// the oracle ([c]: device names carry the instance UUID in canonical form).
using System;
using System.Text;
using Bootstage.Drivers.HyperV.VmBus;

namespace Bootstage.Drivers.HyperV.Tests
{
    public class VmBusGuidTests
    {
        [Fact]
        public void Text_form_matches_dotnet_for_random_wire_bytes()
        {
            Random random = new Random(42);
            byte[] wire = new byte[16];
            byte[] text = new byte[VmBusGuid.TextLength];
            for (int i = 0; i < 200; i++)
            {
                random.NextBytes(wire);
                VmBusGuid guid = VmBusGuid.Read(wire);
                Assert.Equal(36, guid.Format(text));
                Assert.Equal(new Guid(wire).ToString(), Encoding.ASCII.GetString(text));
                byte[] back = new byte[16];
                guid.Write(back);
                Assert.Equal(wire, back);
            }
        }

        [Fact]
        public void Netvsc_class_constant_has_the_documented_text_and_wire_bytes()
        {
            byte[] text = new byte[VmBusGuid.TextLength];
            VmBusClass.Network.Format(text);
            Assert.Equal("f8615163-df3e-46c5-913f-f2d2f965ed0e", Encoding.ASCII.GetString(text));
            byte[] wire = new byte[16];
            VmBusClass.Network.Write(wire);
            Assert.Equal(new Guid("f8615163-df3e-46c5-913f-f2d2f965ed0e").ToByteArray(), wire);
            Assert.Equal(0x63, wire[0]);
        }

        [Fact]
        public void Equality_compares_all_sixteen_bytes()
        {
            Assert.True(VmBusClass.Network == new VmBusGuid(0xf8615163, 0xdf3e, 0x46c5, 0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e));
            Assert.True(VmBusClass.Network != new VmBusGuid(0xf8615163, 0xdf3e, 0x46c5, 0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0f));
            Assert.True(VmBusClass.PciePassThrough != VmBusClass.Scsi);
            Assert.True(default(VmBusGuid).IsEmpty);
        }

        [Fact]
        public void Format_refuses_a_short_buffer()
        {
            Assert.Equal(0, VmBusClass.Ide.Format(new byte[35]));
        }
    }
}
