// bootstage-vmtest's command line: the documented options, the default parallelism, and clear
// usage errors.
using Bootstage.VmTest.Running;

namespace Bootstage.VmTest.Tests
{
    public class OptionsTests
    {
        [Fact]
        public void All_options_are_read()
        {
            Options options = Options.Parse(new[] { "m.json", "--parallel", "3", "--junit", "j.xml", "--summary", "s.json", "--html", "h.html" }, 1);

            Assert.Equal(new Options("m.json", 3, "j.xml", "s.json", "h.html"), options);
        }

        [Fact]
        public void Without_options_the_default_parallelism_applies_and_no_report_is_written()
        {
            Assert.Equal(new Options("m.json", 5, null, null, null), Options.Parse(new[] { "m.json" }, 5));
        }

        [Fact]
        public void The_default_parallelism_is_half_the_cores_but_at_least_one()
        {
            Assert.Equal(System.Math.Max(1, System.Environment.ProcessorCount / 2), MatrixRunner.DefaultParallelism);
        }

        [Theory]
        [InlineData(new string[0], "the matrix file is missing")]
        [InlineData(new[] { "m.json", "--parallel", "0" }, "--parallel wants a whole number of VMs, at least 1, not \"0\"")]
        [InlineData(new[] { "m.json", "--parallel", "-2" }, "not \"-2\"")]
        [InlineData(new[] { "m.json", "--parallel", "two" }, "not \"two\"")]
        [InlineData(new[] { "m.json", "--junit" }, "--junit needs a value")]
        [InlineData(new[] { "m.json", "--junit", "--html", "h.html" }, "--junit needs a value")]
        [InlineData(new[] { "m.json", "--xml", "x" }, "unknown option --xml")]
        [InlineData(new[] { "a.json", "b.json" }, "one matrix file at a time (got a.json and b.json)")]
        public void Mistakes_are_usage_errors(string[] args, string expected)
        {
            UsageException error = Assert.Throws<UsageException>(() => Options.Parse(args, 1));
            Assert.Contains(expected, error.Message);
        }
    }
}
