// The image's symbols, read from the ELF file the flat image was made from
// (out/native/bootstage.elf, written by Kernel/Native/build-native.sh beside bootstage.map). The
// machine needs local labels too (long_mode_entry is not global, so the ld map does not list it),
// hence the ELF symbol table rather than the map. Format: System V ABI gABI "ELF Header",
// "Sections" and "Symbol Table" (ELF-64 Object File Format 1.5): section headers at e_shoff, the
// SHT_SYMTAB section's entries are 24 bytes and name their strings through sh_link.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace Bootstage.HyperV.Machine
{
    public sealed class ImageSymbols
    {
        private const uint SectionSymbolTable = 2;
        private const int SymbolEntrySize = 24;

        private readonly Dictionary<string, ulong> _byName = new();
        private readonly ulong[] _sortedAddresses;
        private readonly string[] _sortedNames;

        private ImageSymbols(Dictionary<string, ulong> byName)
        {
            _byName = byName;
            // Function boundaries: nasm's local labels (name.local) lie inside their function.
            KeyValuePair<string, ulong>[] functions = byName.Where(s => !s.Key.Contains('.')).OrderBy(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).ToArray();
            _sortedAddresses = functions.Select(s => s.Value).ToArray();
            _sortedNames = functions.Select(s => s.Key).ToArray();
        }

        /// <summary>Every named symbol with its address (the last of several with one name wins; names are unique here).</summary>
        public IReadOnlyDictionary<string, ulong> All => _byName;

        public static ImageSymbols Load(string elfPath)
        {
            byte[] elf = File.ReadAllBytes(elfPath);
            if (elf.Length < 64 || elf[0] != 0x7F || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2)
            {
                throw new InvalidDataException($"{elfPath} is not an ELF-64 file");
            }

            ulong sectionOffset = BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(0x28));
            int sectionSize = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3A));
            int sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3C));
            Dictionary<string, ulong> symbols = new();
            for (int i = 0; i < sectionCount; i++)
            {
                ReadOnlySpan<byte> header = elf.AsSpan(checked((int)sectionOffset + (i * sectionSize)), sectionSize);
                if (BinaryPrimitives.ReadUInt32LittleEndian(header.Slice(4)) != SectionSymbolTable)
                {
                    continue;
                }

                int tableOffset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header.Slice(24)));
                int tableSize = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header.Slice(32)));
                int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(header.Slice(40));
                ReadOnlySpan<byte> stringsHeader = elf.AsSpan(checked((int)sectionOffset + (link * sectionSize)), sectionSize);
                int stringsOffset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(stringsHeader.Slice(24)));
                for (int entry = tableOffset; entry + SymbolEntrySize <= tableOffset + tableSize; entry += SymbolEntrySize)
                {
                    int nameOffset = (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(entry));
                    ushort sectionIndex = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(entry + 6));
                    ulong value = BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(entry + 8));
                    if (nameOffset == 0 || sectionIndex == 0)
                    {
                        // Unnamed (section and file symbols) or undefined: no address in the image.
                        continue;
                    }

                    int start = stringsOffset + nameOffset;
                    int end = Array.IndexOf(elf, (byte)0, start);
                    symbols[Encoding.ASCII.GetString(elf, start, end - start)] = value;
                }
            }

            if (symbols.Count == 0)
            {
                throw new InvalidDataException($"{elfPath} has no symbol table");
            }

            return new ImageSymbols(symbols);
        }

        public ulong this[string name] => _byName.TryGetValue(name, out ulong address)
            ? address
            : throw new KeyNotFoundException($"the image has no symbol {name}");

        public bool TryGet(string name, out ulong address) => _byName.TryGetValue(name, out address);

        /// <summary>The address of the next function symbol (not a local label) above <paramref name="address"/>: where a function without a size ends at the latest.</summary>
        public ulong NextAbove(ulong address)
        {
            int index = Array.BinarySearch(_sortedAddresses, address + 1);
            if (index < 0)
            {
                index = ~index;
            }

            // With several symbols at one address the search may land on any of them; go to the first.
            while (index > 0 && index < _sortedAddresses.Length && _sortedAddresses[index - 1] > address)
            {
                index--;
            }

            return index < _sortedAddresses.Length ? _sortedAddresses[index] : ulong.MaxValue;
        }

        /// <summary>The function symbol at or below a link address (the last one named there), or its hex form.</summary>
        public string FunctionAt(ulong address)
        {
            int index = Array.BinarySearch(_sortedAddresses, address);
            if (index < 0)
            {
                index = ~index - 1;
            }
            else
            {
                // Several symbols at one address: take the last, as the search may land on any of them.
                while (index + 1 < _sortedAddresses.Length && _sortedAddresses[index + 1] == address)
                {
                    index++;
                }
            }

            return index >= 0 ? _sortedNames[index] : $"0x{address:X}";
        }

        /// <summary>The symbol at or below <paramref name="address"/> (for reports of where the guest was).</summary>
        public string Describe(ulong address)
        {
            string best = string.Empty;
            ulong bestAddress = 0;
            foreach (KeyValuePair<string, ulong> symbol in _byName)
            {
                if (symbol.Value <= address && symbol.Value >= bestAddress && !symbol.Key.Contains('.'))
                {
                    best = symbol.Key;
                    bestAddress = symbol.Value;
                }
            }

            return best.Length == 0 ? $"0x{address:X}" : $"{best}+0x{address - bestAddress:X}";
        }
    }
}
