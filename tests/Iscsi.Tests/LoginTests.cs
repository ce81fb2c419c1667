// Login against tgtd: no authentication, CHAP, mutual CHAP, wrong secrets, a target that needs
// CHAP when we have no credentials, CRC32C digests, a login redirect between two tgtd
// instances, and Logout. Each test checks what the target reports as well as what we report.
using System;
using System.Text;
using Bootstage.Boot.Iscsi;
using Bootstage.Boot.San;
using Bootstage.Boot.Scsi;
using Bootstage.Iscsi.Peers;

namespace Bootstage.Iscsi.Tests
{
    public class LoginTests
    {
        [Fact]
        public void Logs_in_without_authentication_and_reads_the_capacity()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 64 << 20);
            SanDevice disk = rig.OverSocket(IscsiRig.Options());
            Assert.Equal(IscsiStatus.Success, disk.Open());
            Assert.Equal(IscsiSessionState.FullFeature, disk.Session.State);
            Assert.Equal(512u, disk.BlockSize);
            Assert.Equal((ulong)(64 << 20) / 512, disk.BlockCount);
            Assert.Equal(InquiryData.DirectAccessBlockDevice, disk.DeviceType);
            Assert.NotEqual(0, disk.Session.Tsih);
            Assert.Equal(0x80, disk.Session.Isid[0]);
        }

        [Fact]
        public void Chap_login_succeeds_with_the_right_secret()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 1 << 20);
            rig.Target.AddAccount("alice", "alicesecret12");
            rig.Target.BindAccount(1, "alice");
            SanDevice disk = rig.OverSocket(IscsiRig.Options("alice", "alicesecret12"));
            Assert.Equal(IscsiStatus.Success, disk.Open());
            byte[] block = new byte[512];
            Assert.Equal(IscsiStatus.Success, disk.Read(0, 1, block, 0));
            Assert.Equal(rig.ReadBacking(0, 512), block);
        }

        [Fact]
        public void Wrong_chap_password_fails_cleanly_without_retrying()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 1 << 20);
            rig.Target.AddAccount("alice", "alicesecret12");
            rig.Target.BindAccount(1, "alice");
            SanDevice disk = rig.OverSocket(IscsiRig.Options("alice", "wrongsecret12"));
            Assert.Equal(IscsiStatus.AuthenticationFailed, disk.Open());
            Assert.False(disk.IsOpen);
            Assert.Equal(1, rig.Socket!.Connects);
            Assert.Equal(IscsiStatus.NotLoggedIn, disk.Read(0, 1, new byte[512], 0));
        }

        [Fact]
        public void A_chap_target_refuses_an_initiator_without_credentials()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 1 << 20);
            rig.Target.AddAccount("alice", "alicesecret12");
            rig.Target.BindAccount(1, "alice");
            SanDevice disk = rig.OverSocket(IscsiRig.Options());
            Assert.Equal(IscsiStatus.AuthenticationFailed, disk.Open());
        }

        [Fact]
        public void Mutual_chap_verifies_the_target()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 1 << 20);
            rig.Target.AddAccount("alice", "alicesecret12");
            rig.Target.AddAccount("target", "targetsecret1");
            rig.Target.BindAccount(1, "alice");
            rig.Target.BindAccount(1, "target", outgoing: true);
            SanDevice disk = rig.OverSocket(IscsiRig.Options("alice", "alicesecret12", "target", "targetsecret1"));
            Assert.Equal(IscsiStatus.Success, disk.Open());
        }

        [Fact]
        public void Mutual_chap_refuses_a_target_that_answers_with_another_secret()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 1 << 20);
            rig.Target.AddAccount("alice", "alicesecret12");
            rig.Target.AddAccount("target", "targetsecret1");
            rig.Target.BindAccount(1, "alice");
            rig.Target.BindAccount(1, "target", outgoing: true);
            SanDevice disk = rig.OverSocket(IscsiRig.Options("alice", "alicesecret12", "target", "notthesecret1"));
            Assert.Equal(IscsiStatus.TargetNotAuthenticated, disk.Open());
            Assert.Equal(1, rig.Socket!.Connects);
        }

        [Fact]
        public void Mutual_chap_refuses_a_target_that_does_not_authenticate_itself()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 1 << 20);
            rig.Target.AddAccount("alice", "alicesecret12");
            rig.Target.BindAccount(1, "alice");
            SanDevice disk = rig.OverSocket(IscsiRig.Options("alice", "alicesecret12", "target", "targetsecret1"));
            IscsiStatus status = disk.Open();
            Assert.False(status == IscsiStatus.Success, "logged in although the target never proved its identity");
            Assert.False(disk.IsOpen);
        }

        [Fact]
        public void Crc32c_digests_are_used_when_both_sides_agree()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 8 << 20);
            rig.Target.SetTargetParameter(1, "HeaderDigest", "CRC32C,None");
            rig.Target.SetTargetParameter(1, "DataDigest", "CRC32C,None");
            IscsiOptions options = IscsiRig.Options();
            options.HeaderDigest = true;
            options.DataDigest = true;
            SanDevice disk = rig.OverSocket(options);
            Assert.Equal(IscsiStatus.Success, disk.Open());
            Assert.True(disk.Session.Parameters.HeaderDigest);
            Assert.True(disk.Session.Parameters.DataDigest);

            byte[] data = new byte[8 << 20];
            Assert.Equal(IscsiStatus.Success, disk.Read(0, data.Length / 512, data, 0));
            Assert.Equal(rig.ReadBacking(0, data.Length), data);
            byte[] pattern = new byte[300 * 512];
            new Random(3).NextBytes(pattern);
            Assert.Equal(IscsiStatus.Success, disk.Write(1000, 300, pattern, 0));
            Assert.Equal(pattern, rig.ReadBacking(1000 * 512, pattern.Length));
            Assert.Equal(0UL, disk.Session.ConnectionCounters.HeaderDigestErrors + disk.Session.ConnectionCounters.DataDigestErrors);
        }

        [Fact]
        public void Digests_stay_off_when_we_do_not_ask_for_them()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 1 << 20);
            rig.Target.SetTargetParameter(1, "HeaderDigest", "CRC32C,None");
            rig.Target.SetTargetParameter(1, "DataDigest", "CRC32C,None");
            SanDevice disk = rig.OverSocket(IscsiRig.Options());
            Assert.Equal(IscsiStatus.Success, disk.Open());
            Assert.False(disk.Session.Parameters.HeaderDigest);
            Assert.False(disk.Session.Parameters.DataDigest);
        }

        [Fact]
        public void Follows_a_login_redirect_to_another_portal()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 1 << 20);
            using TgtdTarget front = TgtdTarget.Start();
            front.AddTarget(1, IscsiRig.Iqn);
            front.BindAll(1);
            front.SetTargetParameter(1, "RedirectAddress", rig.Target.Address);
            front.SetTargetParameter(1, "RedirectPort", rig.Target.Port.ToString());
            front.SetTargetParameter(1, "RedirectReason", "Temporary");

            // tgtd redirects only initiators whose address differs from the redirect address.
            SocketTransport transport = new SocketTransport { LocalAddress = System.Net.IPAddress.Parse("127.0.0.2") };
            IscsiSession session = new IscsiSession(IscsiRig.Options(), transport, new SeededRandom(5));
            SanDevice disk = new SanDevice(session, Encoding.ASCII.GetBytes(front.Address), (ushort)front.Port, IscsiRig.Lun1);
            Assert.Equal(IscsiStatus.Success, disk.Open());
            Assert.Equal(1UL, session.Counters.Redirects);
            Assert.Equal(2, transport.Connects);
            byte[] block = new byte[512];
            IscsiStatus read = disk.Read(5, 1, block, 0);
            Assert.True(read == IscsiStatus.Success, $"{read} sense {System.Text.Encoding.ASCII.GetString(disk.LastSense.Describe())}");
            Assert.Equal(rig.ReadBacking(5 * 512, 512), block);
        }

        [Fact]
        public void Logout_closes_the_session_on_the_target()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 1 << 20);
            SanDevice disk = rig.OverSocket(IscsiRig.Options());
            Assert.Equal(IscsiStatus.Success, disk.Open());
            Assert.Contains(IscsiRig.InitiatorIqn, rig.Target.ShowTargets());
            Assert.Equal(IscsiStatus.Success, disk.Close());
            Assert.Equal(IscsiSessionState.LoggedOut, disk.Session.State);
            // tgtd tears the nexus down shortly after the logout response; the limit is only for a
            // session that never goes.
            DateTime deadline = DateTime.UtcNow.AddSeconds(60);
            while (rig.Target.ShowTargets().Contains(IscsiRig.InitiatorIqn) && DateTime.UtcNow < deadline)
            {
                System.Threading.Thread.Sleep(50);
            }

            Assert.DoesNotContain(IscsiRig.InitiatorIqn, rig.Target.ShowTargets());
        }

        [Fact]
        public void Report_luns_and_vpd_pages_describe_the_target()
        {
            using IscsiRig rig = new IscsiRig(lunSize: 1 << 20);
            SanDevice disk = rig.OverSocket(IscsiRig.Options());
            Assert.Equal(IscsiStatus.Success, disk.Open());
            byte[] reply = new byte[4096];
            byte[] cdb = new byte[16];

            Assert.Equal(IscsiStatus.Success, disk.Command(cdb.AsSpan(0, ScsiCdb.ReportLuns(4096, cdb)), false, reply, 0, 4096));
            Assert.True(ReportLunsData.TryParse(reply.AsSpan(0, 4096 - disk.LastResidual), out ReportLunsData luns));
            Assert.True(luns.Contains(0));
            Assert.True(luns.Contains(IscsiRig.Lun1));

            Array.Clear(reply);
            Assert.Equal(IscsiStatus.Success, disk.Command(cdb.AsSpan(0, ScsiCdb.VpdInquiry(ScsiCdb.UnitSerialNumberPageCode, 255, cdb)), false, reply, 0, 255));
            Assert.True(UnitSerialNumberPage.TryParse(reply.AsSpan(0, 255 - disk.LastResidual), out UnitSerialNumberPage serial));
            Assert.Contains(Encoding.ASCII.GetString(serial.SerialNumber).Trim(), LibIscsi.Inquiry(LibIscsi.Url(rig.Target, IscsiRig.Iqn, 1), 0x80));

            Array.Clear(reply);
            Assert.Equal(IscsiStatus.Success, disk.Command(cdb.AsSpan(0, ScsiCdb.VpdInquiry(ScsiCdb.DeviceIdentificationPageCode, 1024, cdb)), false, reply, 0, 1024));
            Assert.True(DeviceIdentificationPage.TryParse(reply.AsSpan(0, 1024 - disk.LastResidual), out DeviceIdentificationPage ids));
            int designators = 0;
            foreach (Designator designator in ids)
            {
                Assert.NotEqual(0, designator.Identifier.Length);
                designators++;
            }

            Assert.True(designators > 0);
        }
    }
}
