// Instructions the guest executed inside the image, per function: a code hook over the image's
// loaded range counts every instruction by address, and the image's ELF symbols (function symbols,
// nasm local labels folded into their function; ILC names managed methods in the same table) turn
// addresses into functions. It slows the machine down many times, so it is off unless asked for
// (MachineOptions.ProfileInstructions, `--profile-top N`). Counts are exact, not sampled.
using System;
using System.Collections.Generic;
using System.Linq;

namespace Bootstage.HyperV.Machine
{
    public sealed class InstructionProfile
    {
        private readonly long[] _counts;

        internal InstructionProfile(ulong linkStart, ulong length)
        {
            LinkStart = linkStart;
            _counts = new long[length];
        }

        /// <summary>The link address of the first byte counted.</summary>
        public ulong LinkStart { get; }

        public long TotalInstructions => _counts.Sum();

        internal void Count(ulong offset)
        {
            if (offset < (ulong)_counts.Length)
            {
                _counts[offset]++;
            }
        }

        /// <summary>The functions with the most instructions executed, most first.</summary>
        public IReadOnlyList<(string Function, long Instructions)> Top(ImageSymbols symbols, int count)
        {
            Dictionary<string, long> byFunction = new();
            for (int i = 0; i < _counts.Length; i++)
            {
                if (_counts[i] == 0)
                {
                    continue;
                }

                string function = symbols.FunctionAt(LinkStart + (ulong)i);
                byFunction[function] = byFunction.GetValueOrDefault(function) + _counts[i];
            }

            return byFunction.OrderByDescending(f => f.Value).Take(count).Select(f => (f.Key, f.Value)).ToList();
        }
    }
}
