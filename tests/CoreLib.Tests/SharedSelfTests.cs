// Each shared self-test as one xunit case, named after the behaviour it guards.
using System.Collections.Generic;
using Bootstage.SelfTests;

namespace Bootstage.CoreLib.Tests
{
    public class SharedSelfTests
    {
        public static IEnumerable<object[]> Names()
        {
            for (int i = 0; i < CoreLibSelfTests.Count; i++)
            {
                CoreLibSelfTests.Run(i, out string name);
                yield return new object[] { i, name };
            }
        }

        [Theory]
        [MemberData(nameof(Names))]
        public void Shared_self_test_passes_on_dotnet(int index, string name)
        {
            SelfCheck check = CoreLibSelfTests.Run(index, out string actualName);
            Assert.Equal(name, actualName);
            Assert.True(check.Passed, $"{name}: {check.Failure} (expected {check.Expected}, got {check.Actual})");
        }

        [Fact]
        public void Every_self_test_has_a_distinct_name()
        {
            HashSet<string> names = new();
            for (int i = 0; i < CoreLibSelfTests.Count; i++)
            {
                CoreLibSelfTests.Run(i, out string name);
                Assert.NotEqual("unknown", name);
                Assert.True(names.Add(name), name);
            }
        }

        [Fact]
        public void A_failed_check_keeps_the_first_message_and_values()
        {
            SelfCheck check = default;
            check.Equal(1, 2, "first");
            check.Equal(3, 4, "second");
            Assert.False(check.Passed);
            Assert.Equal("first", check.Failure);
            Assert.Equal(1, check.Expected);
            Assert.Equal(2, check.Actual);
        }
    }
}
