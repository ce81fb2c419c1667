// docs/vmtest.example.json is what people copy: it must stay a matrix the tool accepts. It is
// parsed from a copy beside stand-in images, so the test does not need ./build.sh image.
using System.IO;
using System.Linq;
using Bootstage.VmTest.Matrix;

namespace Bootstage.VmTest.Tests
{
    public class ExampleMatrixTests
    {
        [Fact]
        public void The_documented_example_matrix_parses()
        {
            using ScratchFolder folder = new ScratchFolder();
            Directory.CreateDirectory(folder.File("docs"));
            Directory.CreateDirectory(folder.File("out"));
            File.WriteAllText(folder.File("out/bootstage.bin"), "stand-in");
            File.WriteAllText(folder.File("out/bootstage.iso"), "stand-in");
            string copy = folder.File("docs/vmtest.example.json");
            File.Copy(Path.Combine(Repository.Root, "docs", "vmtest.example.json"), copy);

            TestMatrix matrix = MatrixParser.Load(copy);

            Assert.Equal(new[] { "dhcp-only", "iso", "san-chap", "san-wrong-secret" }, matrix.Vms.Select(v => v.Id));
            Assert.Equal(folder.File("out/bootstage.bin"), matrix.Vms[0].Image);
            Assert.True(matrix.Vms[1].ImageIsIso);
            Assert.Equal(Expectation.Fail, matrix.Vms[3].Expect);
        }
    }
}
