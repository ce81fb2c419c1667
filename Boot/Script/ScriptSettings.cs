// The settings a boot script reads with `${name}` and writes with `set`/`clear`, as iPXE's
// settings (iPXE documentation: "settings" and the `set` command). Values the script stored come
// first; any other name is asked of the host (net0/mac, ip, uuid, root-path from DHCP, ...), so
// `set root-path ...` overrides the lease for the rest of the script, as iPXE's global settings
// block shadows a network device's. Storing an empty value deletes, as iPXE's storef_setting does.
// Fixed capacity, no allocation after construction: the image has no collector.
using System;

namespace Bootstage.Boot.Script
{
    public sealed class ScriptSettings
    {
        public const int MaxSettings = 32;
        public const int MaxNameLength = 64;
        public const int MaxValueLength = 512;

        private readonly IScriptHost _host;
        private readonly byte[] _names = new byte[MaxSettings * MaxNameLength];
        private readonly byte[] _values = new byte[MaxSettings * MaxValueLength];
        private readonly int[] _nameLengths = new int[MaxSettings];
        private readonly int[] _valueLengths = new int[MaxSettings];

        public ScriptSettings(IScriptHost host)
        {
            _host = host;
        }

        /// <summary>Number of settings the script has stored.</summary>
        public int Count
        {
            get
            {
                int count = 0;
                for (int i = 0; i < MaxSettings; i++)
                {
                    if (_nameLengths[i] != 0)
                    {
                        count++;
                    }
                }

                return count;
            }
        }

        /// <summary>Stores (or, with an empty value, deletes) a setting. Names with a `:type` are refused.</summary>
        public ScriptStatus Store(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            ScriptStatus status = CheckName(name);
            if (status != ScriptStatus.Success)
            {
                return status;
            }

            if (value.Length > MaxValueLength)
            {
                return ScriptStatus.ValueTooLong;
            }

            int slot = Find(name);
            if (value.Length == 0)
            {
                if (slot >= 0)
                {
                    _nameLengths[slot] = 0;
                    _valueLengths[slot] = 0;
                }

                return ScriptStatus.Success;
            }

            if (slot < 0)
            {
                slot = FreeSlot();
                if (slot < 0)
                {
                    return ScriptStatus.TooManySettings;
                }

                name.CopyTo(new Span<byte>(_names, slot * MaxNameLength, MaxNameLength));
                _nameLengths[slot] = name.Length;
            }

            value.CopyTo(new Span<byte>(_values, slot * MaxValueLength, MaxValueLength));
            _valueLengths[slot] = value.Length;
            return ScriptStatus.Success;
        }

        /// <summary>The value the script stored under exactly this name (no host lookup).</summary>
        public bool TryGetStored(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
        {
            int slot = Find(name);
            value = slot >= 0 ? new ReadOnlySpan<byte>(_values, slot * MaxValueLength, _valueLengths[slot]) : default;
            return slot >= 0;
        }

        /// <summary>
        /// The setting's text: the script's own value, else the host's. Returns the length, -1 when
        /// nobody has it, or more than the destination's length when it does not fit.
        /// </summary>
        public int Fetch(ReadOnlySpan<byte> name, Span<byte> destination)
        {
            if (TryGetStored(name, out ReadOnlySpan<byte> value))
            {
                if (value.Length <= destination.Length)
                {
                    value.CopyTo(destination);
                }

                return value.Length;
            }

            return _host.FetchSetting(name, destination);
        }

        /// <summary>True when the setting reads as a non-zero number (keep-san, skip-san-boot are integers in iPXE).</summary>
        public bool IsTrue(ReadOnlySpan<byte> name)
        {
            Span<byte> text = stackalloc byte[32];
            int length = Fetch(name, text);
            if (length <= 0)
            {
                return false;
            }

            return length <= text.Length && ScriptNumber.TryParse(text.Slice(0, length), out uint number) && number != 0;
        }

        // iPXE names are `[scope/]name[:type]`; we take the plain forms only (docs/scripts.md).
        internal static ScriptStatus CheckName(ReadOnlySpan<byte> name)
        {
            if (name.IndexOf((byte)':') >= 0)
            {
                return ScriptStatus.UnsupportedSettingType;
            }

            if (name.Length == 0 || name.Length > MaxNameLength)
            {
                return ScriptStatus.InvalidSettingName;
            }

            return ScriptStatus.Success;
        }

        private int Find(ReadOnlySpan<byte> name)
        {
            if (name.Length == 0 || name.Length > MaxNameLength)
            {
                return -1;
            }

            for (int i = 0; i < MaxSettings; i++)
            {
                if (_nameLengths[i] == name.Length
                    && new ReadOnlySpan<byte>(_names, i * MaxNameLength, name.Length).SequenceEqual(name))
                {
                    return i;
                }
            }

            return -1;
        }

        private int FreeSlot()
        {
            for (int i = 0; i < MaxSettings; i++)
            {
                if (_nameLengths[i] == 0)
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
