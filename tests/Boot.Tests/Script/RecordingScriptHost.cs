// A boot script host that records every call as one line of text and answers from tables the
// test fills: settings (net0/mac, ip, uuid, ...) and the statuses dhcp/sanboot/... return, in
// order. What the script did is then compared as a list of lines.
using System;
using System.Collections.Generic;
using System.Text;
using Bootstage.Boot.Script;

namespace Bootstage.Boot.Tests.Script
{
    internal sealed class RecordingScriptHost : IScriptHost
    {
        public List<string> Calls { get; } = new List<string>();

        public Dictionary<string, string> Settings { get; } = new Dictionary<string, string>();

        public Queue<ScriptStatus> DhcpResults { get; } = new Queue<ScriptStatus>();

        public Queue<ScriptStatus> SanResults { get; } = new Queue<ScriptStatus>();

        public StringBuilder Console { get; } = new StringBuilder();

        /// <summary>Settings seen through the request at the last sanhook/sanboot, by name.</summary>
        public Func<ScriptSanRequest, string>? OnSan { get; set; }

        public int FetchSetting(ReadOnlySpan<byte> name, Span<byte> destination)
        {
            if (!Settings.TryGetValue(Encoding.ASCII.GetString(name), out string? value))
            {
                return -1;
            }

            byte[] bytes = Encoding.ASCII.GetBytes(value);
            if (bytes.Length <= destination.Length)
            {
                bytes.CopyTo(destination);
            }

            return bytes.Length;
        }

        public ScriptStatus Dhcp(ReadOnlySpan<byte> device)
        {
            Calls.Add(("dhcp " + Encoding.ASCII.GetString(device)).TrimEnd());
            return DhcpResults.Count > 0 ? DhcpResults.Dequeue() : ScriptStatus.Success;
        }

        public ScriptStatus IfOpen(ReadOnlySpan<byte> device)
        {
            Calls.Add(("ifopen " + Encoding.ASCII.GetString(device)).TrimEnd());
            return ScriptStatus.Success;
        }

        public ScriptStatus SanHook(ReadOnlySpan<byte> rootPath, in ScriptSanRequest request) => San("sanhook", rootPath, request);

        public ScriptStatus SanBoot(ReadOnlySpan<byte> rootPath, in ScriptSanRequest request) => San("sanboot", rootPath, request);

        public ScriptStatus SanUnhook(in ScriptSanRequest request) => San("sanunhook", default, request);

        public ScriptStatus Sleep(uint milliseconds)
        {
            Calls.Add("sleep " + milliseconds);
            return ScriptStatus.Success;
        }

        public void Echo(ReadOnlySpan<byte> text)
        {
            string s = Encoding.ASCII.GetString(text);
            Console.Append(s);
            Calls.Add("echo " + s.Replace("\n", "\\n"));
        }

        private ScriptStatus San(string command, ReadOnlySpan<byte> rootPath, in ScriptSanRequest request)
        {
            StringBuilder call = new StringBuilder(command);
            call.Append(request.Drive == ScriptSanRequest.DefaultDrive ? " drive=default" : " drive=0x" + request.Drive.ToString("x2"));
            if (request.NoDescribe)
            {
                call.Append(" no-describe");
            }

            if (request.Keep)
            {
                call.Append(" keep");
            }

            if (!rootPath.IsEmpty)
            {
                call.Append(' ').Append(Encoding.ASCII.GetString(rootPath));
            }

            if (OnSan != null)
            {
                call.Append(' ').Append(OnSan(request));
            }

            Calls.Add(call.ToString());
            return SanResults.Count > 0 ? SanResults.Dequeue() : ScriptStatus.Success;
        }
    }
}
