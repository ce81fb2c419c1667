// Operational negotiation results (RFC 7143 §6.2, §13): minimum for burst sizes, R2T count and
// ErrorRecoveryLevel, maximum for DefaultTime2Wait, OR for InitialR2T and the in-order keys, AND
// for ImmediateData; CRC32C digests only when we offered them; MaxRecvDataSegmentLength bounded
// to 512..2^24-1; unknown keys reported as NegotiationFailed; and IscsiOptions.Validate refusing
// credential combinations that cannot work.
using System;
using System.Text;
using Bootstage.Boot.Iscsi;

namespace Bootstage.Boot.Tests.Iscsi
{
    public class IscsiParametersTests
    {
        private static IscsiStatus Apply(ref IscsiParameters parameters, IscsiOptions options, string key, string value)
        {
            return parameters.Apply(options, Encoding.ASCII.GetBytes(key), Encoding.ASCII.GetBytes(value));
        }

        private static (IscsiStatus Status, IscsiParameters Result) Apply(string key, string value, IscsiOptions? options = null)
        {
            options ??= IscsiTestKit.Options();
            IscsiParameters parameters = IscsiParameters.Defaults(options);
            IscsiStatus status = Apply(ref parameters, options, key, value);
            return (status, parameters);
        }

        [Fact]
        public void Defaults_are_the_rfc_defaults_with_our_declared_receive_size()
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.MaxRecvDataSegmentLength = 65536;
            IscsiParameters p = IscsiParameters.Defaults(options);
            Assert.True(p.InitialR2T);
            Assert.True(p.ImmediateData);
            Assert.False(p.HeaderDigest);
            Assert.False(p.DataDigest);
            Assert.Equal(8192u, p.TargetMaxRecvDataSegmentLength);
            Assert.Equal(65536u, p.OurMaxRecvDataSegmentLength);
            Assert.Equal(262144u, p.MaxBurstLength);
            Assert.Equal(65536u, p.FirstBurstLength);
            Assert.Equal(1u, p.MaxOutstandingR2T);
            Assert.Equal(0u, p.ErrorRecoveryLevel);
        }

        [Theory]
        [InlineData("MaxBurstLength", "262144", 262144u)]
        [InlineData("MaxBurstLength", "16776192", 1048576u)]
        [InlineData("FirstBurstLength", "8192", 8192u)]
        [InlineData("FirstBurstLength", "1048576", 262144u)]
        [InlineData("MaxOutstandingR2T", "1", 1u)]
        [InlineData("MaxOutstandingR2T", "65535", 4u)]
        [InlineData("ErrorRecoveryLevel", "2", 0u)]
        [InlineData("MaxConnections", "8", 1u)]
        [InlineData("DefaultTime2Retain", "20", 0u)]
        public void Numerical_keys_take_the_minimum_of_both_sides(string key, string value, uint expected)
        {
            (IscsiStatus status, IscsiParameters p) = Apply(key, value);
            Assert.Equal(IscsiStatus.Success, status);
            uint actual = key switch
            {
                "MaxBurstLength" => p.MaxBurstLength,
                "FirstBurstLength" => p.FirstBurstLength,
                "MaxOutstandingR2T" => p.MaxOutstandingR2T,
                "ErrorRecoveryLevel" => p.ErrorRecoveryLevel,
                "MaxConnections" => p.MaxConnections,
                _ => p.DefaultTime2Retain,
            };
            Assert.Equal(expected, actual);
        }

        [Theory]
        [InlineData("DefaultTime2Wait", "0", 0u)]
        [InlineData("DefaultTime2Wait", "5", 5u)]
        [InlineData("DefaultTime2Wait", "3600", 3600u)]
        public void DefaultTime2Wait_takes_the_maximum(string key, string value, uint expected)
        {
            (IscsiStatus status, IscsiParameters p) = Apply(key, value);
            Assert.Equal(IscsiStatus.Success, status);
            Assert.Equal(expected, p.DefaultTime2Wait);
        }

        [Theory]
        [InlineData("MaxBurstLength", "511")]
        [InlineData("FirstBurstLength", "0")]
        [InlineData("MaxOutstandingR2T", "0")]
        [InlineData("MaxConnections", "0")]
        [InlineData("DefaultTime2Wait", "3601")]
        [InlineData("MaxBurstLength", "lots")]
        [InlineData("MaxBurstLength", "")]
        [InlineData("TargetPortalGroupTag", "65536")]
        public void Numbers_outside_the_keys_range_are_protocol_errors(string key, string value)
        {
            Assert.Equal(IscsiStatus.ProtocolError, Apply(key, value).Status);
        }

        [Theory]
        [InlineData(false, "No", false)]
        [InlineData(false, "Yes", true)]
        [InlineData(true, "No", true)]
        [InlineData(true, "Yes", true)]
        public void InitialR2T_takes_the_or_of_both_sides(bool ours, string theirs, bool expected)
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.InitialR2T = ours;
            (IscsiStatus status, IscsiParameters p) = Apply("InitialR2T", theirs, options);
            Assert.Equal(IscsiStatus.Success, status);
            Assert.Equal(expected, p.InitialR2T);
        }

        [Theory]
        [InlineData(false, "No", false)]
        [InlineData(false, "Yes", false)]
        [InlineData(true, "No", false)]
        [InlineData(true, "Yes", true)]
        public void ImmediateData_takes_the_and_of_both_sides(bool ours, string theirs, bool expected)
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.ImmediateData = ours;
            (IscsiStatus status, IscsiParameters p) = Apply("ImmediateData", theirs, options);
            Assert.Equal(IscsiStatus.Success, status);
            Assert.Equal(expected, p.ImmediateData);
        }

        [Theory]
        [InlineData("DataPDUInOrder")]
        [InlineData("DataSequenceInOrder")]
        public void In_order_keys_stay_yes_because_we_ask_yes_and_the_result_is_or(string key)
        {
            (IscsiStatus status, IscsiParameters p) = Apply(key, "No");
            Assert.Equal(IscsiStatus.Success, status);
            Assert.True(key == "DataPDUInOrder" ? p.DataPduInOrder : p.DataSequenceInOrder);
        }

        [Theory]
        [InlineData("InitialR2T", "yes")]
        [InlineData("ImmediateData", "1")]
        [InlineData("DataPDUInOrder", "")]
        [InlineData("ImmediateData", "Yes,No")]
        public void Boolean_values_other_than_yes_or_no_are_protocol_errors(string key, string value)
        {
            Assert.Equal(IscsiStatus.ProtocolError, Apply(key, value).Status);
        }

        [Theory]
        [InlineData("HeaderDigest")]
        [InlineData("DataDigest")]
        public void Crc32c_is_used_when_we_offered_it_and_the_target_chose_it(string key)
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.HeaderDigest = true;
            options.DataDigest = true;
            (IscsiStatus status, IscsiParameters p) = Apply(key, "CRC32C", options);
            Assert.Equal(IscsiStatus.Success, status);
            Assert.True(key == "HeaderDigest" ? p.HeaderDigest : p.DataDigest);

            (status, p) = Apply(key, "None", options);
            Assert.Equal(IscsiStatus.Success, status);
            Assert.False(key == "HeaderDigest" ? p.HeaderDigest : p.DataDigest);
        }

        [Theory]
        [InlineData("HeaderDigest")]
        [InlineData("DataDigest")]
        public void Crc32c_we_did_not_offer_is_never_switched_on_and_is_refused_as_an_answer(string key)
        {
            // We offered None only: a responder must pick from our list (RFC 7143 §6.2.1). Going
            // along with None while the target uses CRC32C would desynchronise the framing.
            (IscsiStatus status, IscsiParameters p) = Apply(key, "CRC32C");
            Assert.False(p.HeaderDigest);
            Assert.False(p.DataDigest);
            Assert.Equal(IscsiStatus.ProtocolError, status);
        }

        [Theory]
        [InlineData("MD5")]
        [InlineData("")]
        [InlineData("crc32c")]
        public void Digest_values_we_do_not_know_are_protocol_errors(string value)
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.HeaderDigest = true;
            Assert.Equal(IscsiStatus.ProtocolError, Apply("HeaderDigest", value, options).Status);
        }

        [Theory]
        [InlineData("511", false, 0u)]
        [InlineData("0", false, 0u)]
        [InlineData("512", true, 512u)]
        [InlineData("262144", true, 262144u)]
        [InlineData("16777215", true, 16777215u)]
        [InlineData("16777216", false, 0u)]
        [InlineData("big", false, 0u)]
        public void Target_max_recv_data_segment_length_below_512_or_above_2_pow_24_is_rejected(string value, bool accepted, uint expected)
        {
            (IscsiStatus status, IscsiParameters p) = Apply("MaxRecvDataSegmentLength", value);
            Assert.Equal(accepted ? IscsiStatus.Success : IscsiStatus.ProtocolError, status);
            Assert.Equal(accepted ? expected : 8192u, p.TargetMaxRecvDataSegmentLength);
            Assert.Equal(IscsiTestKit.Options().MaxRecvDataSegmentLength, p.OurMaxRecvDataSegmentLength);
        }

        [Theory]
        [InlineData("X-com.example.Vendor", "1")]
        [InlineData("OFMarker", "No")]
        [InlineData("maxburstlength", "512")]
        [InlineData("TargetAlias", "disk")]
        public void Keys_we_do_not_negotiate_are_reported_and_change_nothing(string key, string value)
        {
            IscsiOptions options = IscsiTestKit.Options();
            IscsiParameters parameters = IscsiParameters.Defaults(options);
            IscsiParameters before = parameters;
            Assert.Equal(IscsiStatus.NegotiationFailed, Apply(ref parameters, options, key, value));
            Assert.Equal(before, parameters);
        }

        [Theory]
        [InlineData("TargetAlias", true)]
        [InlineData("TargetAddress", true)]
        [InlineData("TargetPortalGroupTag", true)]
        [InlineData("MaxRecvDataSegmentLength", true)]
        [InlineData("X-com.example.Vendor", false)]
        [InlineData("MaxBurstLength", false)]
        [InlineData("HeaderDigest", false)]
        public void Declarative_target_keys_are_recognised_as_needing_no_answer(string key, bool declarative)
        {
            Assert.Equal(declarative, IscsiParameters.IsDeclarativeFromTarget(Encoding.ASCII.GetBytes(key)));
        }

        [Fact]
        public void Propose_offers_crc32c_first_only_when_asked_and_declares_our_receive_size()
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.HeaderDigest = true;
            options.MaxRecvDataSegmentLength = 65536;
            byte[] buffer = new byte[1024];
            IscsiTextWriter writer = new IscsiTextWriter(buffer);
            IscsiParameters.Propose(options, ref writer);
            string text = Encoding.ASCII.GetString(buffer, 0, writer.Length);
            Assert.False(writer.Overflow);
            Assert.Contains("HeaderDigest=CRC32C,None\0", text);
            Assert.Contains("DataDigest=None\0", text);
            Assert.Contains("MaxRecvDataSegmentLength=65536\0", text);
            Assert.Contains("ErrorRecoveryLevel=0\0", text);
        }

        [Fact]
        public void Validate_accepts_plain_chap_and_mutual_chap()
        {
            IscsiOptions options = IscsiTestKit.Options();
            Assert.Equal(IscsiStatus.Success, options.Validate());
            options.Username = "user"u8.ToArray();
            options.Password = "secret-12-bytes"u8.ToArray();
            Assert.Equal(IscsiStatus.Success, options.Validate());
            options.ReverseUsername = "target"u8.ToArray();
            options.ReversePassword = "reverse-secret"u8.ToArray();
            Assert.Equal(IscsiStatus.Success, options.Validate());
        }

        [Fact]
        public void Validate_refuses_reverse_chap_without_forward_chap()
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.ReverseUsername = "target"u8.ToArray();
            options.ReversePassword = "reverse-secret"u8.ToArray();
            Assert.Equal(IscsiStatus.InvalidCredentials, options.Validate());
        }

        [Theory]
        [InlineData("user", "", "", "")]
        [InlineData("", "secret", "", "")]
        [InlineData("user", "secret", "target", "")]
        [InlineData("user", "secret", "", "reverse")]
        public void Validate_refuses_a_name_without_a_secret_or_a_secret_without_a_name(string user, string secret, string reverseUser, string reverseSecret)
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.Username = Encoding.ASCII.GetBytes(user);
            options.Password = Encoding.ASCII.GetBytes(secret);
            options.ReverseUsername = Encoding.ASCII.GetBytes(reverseUser);
            options.ReversePassword = Encoding.ASCII.GetBytes(reverseSecret);
            Assert.Equal(IscsiStatus.InvalidCredentials, options.Validate());
        }

        [Fact]
        public void Validate_refuses_missing_names_and_impossible_sizes()
        {
            IscsiOptions options = IscsiTestKit.Options();
            options.TargetName = Array.Empty<byte>();
            Assert.Equal(IscsiStatus.InvalidArgument, options.Validate());

            options = IscsiTestKit.Options();
            options.MaxRecvDataSegmentLength = 511;
            Assert.Equal(IscsiStatus.InvalidArgument, options.Validate());

            options = IscsiTestKit.Options();
            options.FirstBurstLength = options.MaxBurstLength + 1;
            Assert.Equal(IscsiStatus.InvalidArgument, options.Validate());

            options = IscsiTestKit.Options();
            options.MaxOutstandingR2T = 0;
            Assert.Equal(IscsiStatus.InvalidArgument, options.Validate());
        }
    }
}
