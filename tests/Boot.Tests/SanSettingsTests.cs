// Where SAN boot settings come from: the command line wins over DHCP, the initiator name falls
// back to the host name and then the MAC, and combinations that cannot work are refused before
// any connection is made.
using System.Text;
using Bootstage.Boot;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.San;

namespace Bootstage.Boot.Tests
{
    public class SanSettingsTests
    {
        private static readonly byte[] Mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0xab };

        private static string Text(byte[] bytes) => Encoding.ASCII.GetString(bytes);

        [Fact]
        public void Dhcp_root_path_credentials_and_initiator_name_are_used_when_the_command_line_is_silent()
        {
            SanSettings settings = new SanSettings();
            SanDhcpValues dhcp = new SanDhcpValues(null)
            {
                RootPath = "iscsi:10.0.0.1::::iqn.2026-11.example:disk"u8,
                InitiatorIqn = "iqn.2026-11.example:client"u8,
                Username = "u"u8,
                Password = "secretsecret"u8,
                Retries = 3,
            };
            Assert.Equal(SanSettingsStatus.Ok, settings.Resolve(new KernelCommandLine("console=serial"u8), dhcp, Mac));
            Assert.Equal("iscsi:10.0.0.1::::iqn.2026-11.example:disk", Encoding.ASCII.GetString(settings.RootPath));
            Assert.Equal("iqn.2026-11.example:disk", Text(settings.Options.TargetName));
            Assert.Equal("iqn.2026-11.example:client", Text(settings.Options.InitiatorName));
            Assert.Equal("u", Text(settings.Options.Username));
            Assert.Equal("secretsecret", Text(settings.Options.Password));
            Assert.Equal(3, settings.Retries);
        }

        [Fact]
        public void The_command_line_overrides_every_dhcp_value()
        {
            SanSettings settings = new SanSettings();
            SanDhcpValues dhcp = new SanDhcpValues(null)
            {
                RootPath = "iscsi:10.0.0.1::::iqn.2026-11.example:disk"u8,
                InitiatorIqn = "iqn.2026-11.example:client"u8,
                Username = "u"u8,
                Password = "secretsecret"u8,
            };
            KernelCommandLine commandLine = new KernelCommandLine("root-path=iscsi:10.0.2.2:::1:iqn.2026-11.test:other initiator-iqn=iqn.2026-11.test:me username=alice password=alicesecret12 reverse-username=t reverse-password=targetsecret san-retries=7"u8);
            Assert.Equal(SanSettingsStatus.Ok, settings.Resolve(commandLine, dhcp, Mac));
            Assert.Equal("iqn.2026-11.test:other", Text(settings.Options.TargetName));
            Assert.Equal("iqn.2026-11.test:me", Text(settings.Options.InitiatorName));
            Assert.Equal("alice", Text(settings.Options.Username));
            Assert.Equal("alicesecret12", Text(settings.Options.Password));
            Assert.True(settings.Options.UsesMutualChap);
            Assert.Equal(7, settings.Retries);
        }

        [Fact]
        public void Without_a_configured_name_the_initiator_name_comes_from_the_host_name_then_the_smbios_uuid_then_the_mac()
        {
            SanSettings byHost = new SanSettings();
            SanDhcpValues dhcp = new SanDhcpValues(null) { RootPath = "iscsi:10.0.0.1::::iqn.2026-11.example:disk"u8, HostName = "Node7"u8 };
            Assert.Equal(SanSettingsStatus.Ok, byHost.Resolve(new KernelCommandLine(default), dhcp, Mac));
            Assert.Equal("iqn.2026-11.org.bootstage:node7", Text(byHost.Options.InitiatorName));

            SanSettings byUuid = new SanSettings();
            byte[] uuid = { 0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
            Assert.Equal(SanSettingsStatus.Ok, byUuid.Resolve(new KernelCommandLine("root-path=iscsi:10.0.0.1::::iqn.2026-11.example:disk"u8), new SanDhcpValues(null), Mac, uuid));
            Assert.Equal("iqn.2026-11.org.bootstage:12345678-9abc-def0-1122-334455667788", Text(byUuid.Options.InitiatorName));

            SanSettings byMac = new SanSettings();
            Assert.Equal(SanSettingsStatus.Ok, byMac.Resolve(new KernelCommandLine("root-path=iscsi:10.0.0.1::::iqn.2026-11.example:disk"u8), new SanDhcpValues(null), Mac));
            Assert.Equal("iqn.2026-11.org.bootstage:52-54-00-12-34-ab", Text(byMac.Options.InitiatorName));
        }

        [Fact]
        public void No_root_path_means_no_san_boot()
        {
            Assert.Equal(SanSettingsStatus.NoRootPath, new SanSettings().Resolve(new KernelCommandLine("console=serial"u8), new SanDhcpValues(null), Mac));
        }

        [Fact]
        public void A_malformed_root_path_is_refused_with_its_reason()
        {
            SanSettings settings = new SanSettings();
            Assert.Equal(SanSettingsStatus.BadRootPath, settings.Resolve(new KernelCommandLine("root-path=iscsi:10.0.0.1::70000::iqn.x:y"u8), new SanDhcpValues(null), Mac));
            Assert.Equal(RootPathStatus.BadPort, settings.RootPathError);
        }

        [Fact]
        public void A_reverse_secret_without_a_forward_one_is_refused()
        {
            KernelCommandLine commandLine = new KernelCommandLine("root-path=iscsi:10.0.0.1::::iqn.x:y reverse-username=t reverse-password=targetsecret"u8);
            Assert.Equal(SanSettingsStatus.BadCredentials, new SanSettings().Resolve(commandLine, new SanDhcpValues(null), Mac));
        }

        [Fact]
        public void A_garbage_configured_initiator_name_is_refused()
        {
            KernelCommandLine commandLine = new KernelCommandLine("root-path=iscsi:10.0.0.1::::iqn.x:y initiator-iqn=not-an-iqn"u8);
            Assert.Equal(SanSettingsStatus.BadInitiatorName, new SanSettings().Resolve(commandLine, new SanDhcpValues(null), Mac));
        }

        [Fact]
        public void A_hooked_drive_takes_its_own_target_and_the_boot_drives_initiator_and_credentials()
        {
            SanSettings boot = new SanSettings();
            KernelCommandLine commandLine = new KernelCommandLine("root-path=iscsi:10.0.0.1::::iqn.2026-12.example:boot initiator-iqn=iqn.2026-12.example:me username=u password=secret123456 reverse-username=t reverse-password=target123456 san-retries=3"u8);
            Assert.Equal(SanSettingsStatus.Ok, boot.Resolve(commandLine, new SanDhcpValues(null), Mac));

            SanSettings hook = new SanSettings();
            Assert.Equal(SanSettingsStatus.Ok, hook.ResolveHook("iscsi:10.0.0.2::3261:2:iqn.2026-12.example:data"u8, boot));

            Assert.Equal("iscsi:10.0.0.2::3261:2:iqn.2026-12.example:data", Text(hook.RootPath.ToArray()));
            Assert.Equal("iqn.2026-12.example:data", Text(hook.Options.TargetName));
            Assert.Equal("iqn.2026-12.example:me", Text(hook.Options.InitiatorName));
            Assert.Equal("u", Text(hook.Options.Username));
            Assert.Equal("secret123456", Text(hook.Options.Password));
            Assert.Equal("t", Text(hook.Options.ReverseUsername));
            Assert.Equal(3, hook.Retries);
            Assert.Equal("iqn.2026-12.example:boot", Text(boot.Options.TargetName));
        }

        [Fact]
        public void A_malformed_hook_root_path_is_refused_with_its_reason()
        {
            SanSettings boot = new SanSettings();
            Assert.Equal(SanSettingsStatus.Ok, boot.Resolve(new KernelCommandLine("root-path=iscsi:10.0.0.1::::iqn.x:y"u8), new SanDhcpValues(null), Mac));
            SanSettings hook = new SanSettings();

            Assert.Equal(SanSettingsStatus.BadRootPath, hook.ResolveHook("iscsi:10.0.0.1::70000::iqn.x:z"u8, boot));
            Assert.NotEqual(RootPathStatus.Ok, hook.RootPathError);
            Assert.Equal(SanSettingsStatus.NoRootPath, hook.ResolveHook(default, boot));
        }
    }
}
