// The guest side of the transfer tests: push the pattern through a TcpConnection and close, or
// read until the peer closes and count mismatches. `step` runs whatever must run between polls
// (the interface, the host model, the slirp bridge).
using System;
using System.Diagnostics;
using Bootstage.Net.Tcp;

namespace Bootstage.Integration.Tests
{
    internal static class GuestStream
    {
        /// <summary>Writes <paramref name="size"/> pattern bytes and closes; returns how many were accepted.</summary>
        public static long Upload(TcpConnection tcp, long size, Action step, TimeSpan limit)
        {
            byte[] chunk = new byte[64 * 1024];
            long sent = 0;
            Stopwatch deadline = Stopwatch.StartNew();
            while (sent < size && deadline.Elapsed < limit)
            {
                step();
                Assert.False(tcp.WasReset || tcp.TimedOut, "connection failed");
                if (!tcp.IsEstablished)
                {
                    continue;
                }

                int length = (int)Math.Min(chunk.Length, size - sent);
                StreamPattern.Fill(chunk.AsSpan(0, length), sent);
                sent += tcp.Write(chunk.AsSpan(0, length));
            }

            tcp.Close();
            while (tcp.State != TcpState.Closed && tcp.State != TcpState.TimeWait && deadline.Elapsed < limit)
            {
                step();
            }

            return sent;
        }

        /// <summary>Reads until the peer closes; returns the bytes read and how many broke the pattern.</summary>
        public static (long Received, long Mismatches) Download(TcpConnection tcp, Action step, TimeSpan limit)
        {
            byte[] buffer = new byte[128 * 1024];
            long received = 0;
            long mismatches = 0;
            Stopwatch deadline = Stopwatch.StartNew();
            while (!tcp.RemoteClosed && deadline.Elapsed < limit)
            {
                step();
                Assert.False(tcp.WasReset || tcp.TimedOut, "connection failed");
                int read = tcp.Read(buffer);
                mismatches += StreamPattern.Mismatches(buffer.AsSpan(0, read), received);
                received += read;
            }

            tcp.Close();
            return (received, mismatches);
        }
    }
}
