// Reads a test matrix (JSON, schema in docs/vmtest.md) into VmSpecs and rejects anything it cannot
// run with a message that names the file, the VM and the field, so a nightly job that was edited
// badly fails before any VM boots rather than half-way through. The JSON is walked by hand instead
// of deserialised: a serialiser's errors speak of types and paths, ours speak of the matrix.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Bootstage.VmTest.Matrix
{
    public sealed class MatrixException : Exception
    {
        public MatrixException(string message)
            : base(message)
        {
        }
    }

    public static class MatrixParser
    {
        public const string DefaultCommandLine = "console=serial";

        private static readonly string[] KnownVmFields =
        {
            "id", "backend", "image", "nic", "cmdline", "rootPath", "script", "memoryMiB", "switch",
            "extraArgs", "milestones", "expect", "failure",
        };

        private static readonly string[] KnownMilestoneFields = { "name", "match", "deadline" };

        private static readonly Dictionary<string, string[]> NicsByBackend = new Dictionary<string, string[]>
        {
            ["qemu"] = new[] { "virtio-net", "e1000", "rtl8139", "none" },
            ["hyperv"] = new[] { "synthetic", "legacy-pxe" },
            ["hyperv-emulated"] = new[] { "synthetic" },
        };

        private static readonly Regex IdPattern = new Regex("^[A-Za-z0-9][A-Za-z0-9._-]*$");
        private static readonly Regex NamePattern = new Regex(@"^[^\s=]+$");

        /// <summary>Reads the matrix file; relative paths in it are relative to the file's folder.</summary>
        public static TestMatrix Load(string path)
        {
            string fullPath = System.IO.Path.GetFullPath(path);
            if (!File.Exists(fullPath))
            {
                throw new MatrixException($"{path}: the matrix file does not exist");
            }

            return Parse(File.ReadAllText(fullPath), System.IO.Path.GetDirectoryName(fullPath)!, fullPath);
        }

        public static TestMatrix Parse(string json, string baseDirectory, string source)
        {
            JsonDocument document;
            try
            {
                // Comments and trailing commas are allowed: matrices are edited by hand.
                document = JsonDocument.Parse(json, new JsonDocumentOptions
                {
                    CommentHandling = JsonCommentHandling.Skip,
                    AllowTrailingCommas = true,
                });
            }
            catch (JsonException e)
            {
                throw new MatrixException($"{source}: not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {FirstSentence(e.Message)}");
            }

            using (document)
            {
                JsonElement root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new MatrixException($"{source}: the matrix must be a JSON object with a \"vms\" array");
                }

                foreach (JsonProperty property in root.EnumerateObject())
                {
                    if (property.Name != "vms" && property.Name != "defaults")
                    {
                        throw new MatrixException($"{source}: unknown top-level field \"{property.Name}\" (known: vms, defaults)");
                    }
                }

                JsonElement? defaults = null;
                if (root.TryGetProperty("defaults", out JsonElement defaultsElement))
                {
                    if (defaultsElement.ValueKind != JsonValueKind.Object)
                    {
                        throw new MatrixException($"{source}: \"defaults\" must be an object of VM fields");
                    }

                    CheckFields(defaultsElement, KnownVmFields, $"{source}: defaults");
                    if (defaultsElement.TryGetProperty("id", out _))
                    {
                        throw new MatrixException($"{source}: defaults: \"id\" belongs to each VM, not to the defaults");
                    }

                    defaults = defaultsElement;
                }

                if (!root.TryGetProperty("vms", out JsonElement vms) || vms.ValueKind != JsonValueKind.Array || vms.GetArrayLength() == 0)
                {
                    throw new MatrixException($"{source}: \"vms\" must be a non-empty array of VMs");
                }

                List<VmSpec> specs = new List<VmSpec>();
                int index = 0;
                foreach (JsonElement vm in vms.EnumerateArray())
                {
                    VmSpec spec = ParseVm(vm, defaults, baseDirectory, $"{source}: vms[{index}]");
                    if (specs.Any(s => s.Id == spec.Id))
                    {
                        throw new MatrixException($"{source}: vms[{index}]: the id \"{spec.Id}\" is used twice; ids name the test cases and must be unique");
                    }

                    specs.Add(spec);
                    index++;
                }

                return new TestMatrix(source, specs);
            }
        }

        private static VmSpec ParseVm(JsonElement vm, JsonElement? defaults, string baseDirectory, string where)
        {
            if (vm.ValueKind != JsonValueKind.Object)
            {
                throw new MatrixException($"{where}: each VM must be a JSON object");
            }

            CheckFields(vm, KnownVmFields, where);
            Fields fields = new Fields(vm, defaults);
            string id = fields.String("id", where) ?? throw new MatrixException($"{where}: \"id\" is required");
            if (!IdPattern.IsMatch(id))
            {
                throw new MatrixException($"{where}: id \"{id}\" may only use letters, digits, '.', '_' and '-'");
            }

            where = $"{where} (id \"{id}\")";
            string backend = fields.String("backend", where) ?? "qemu";
            if (!NicsByBackend.TryGetValue(backend, out string[]? nics))
            {
                throw new MatrixException($"{where}: unknown backend \"{backend}\" (known: {string.Join(", ", NicsByBackend.Keys)})");
            }

            string nic = fields.String("nic", where) ?? nics[0];
            if (!nics.Contains(nic))
            {
                throw new MatrixException($"{where}: the {backend} backend has no NIC \"{nic}\" (known: {string.Join(", ", nics)})");
            }

            string? image = ResolveFile(fields.String("image", where), baseDirectory, "image", where);
            bool pxe = nic == "legacy-pxe";
            if (image == null && !pxe)
            {
                throw new MatrixException($"{where}: \"image\" is required (the Multiboot image or the ISO)");
            }

            bool iso = image != null && image.EndsWith(".iso", StringComparison.OrdinalIgnoreCase);
            string? commandLine = fields.String("cmdline", where);
            string? rootPath = fields.String("rootPath", where);
            string? script = ResolveFile(fields.String("script", where), baseDirectory, "script", where);
            if (commandLine != null && rootPath != null && commandLine.Contains("root-path="))
            {
                throw new MatrixException($"{where}: give the root path once, in \"rootPath\" or in \"cmdline\"");
            }

            bool passesCommandLine = commandLine != null || rootPath != null || script != null;
            if (passesCommandLine && (iso || backend == "hyperv"))
            {
                throw new MatrixException($"{where}: cmdline, rootPath and script need the Multiboot image on the qemu or hyperv-emulated backend; "
                    + "an ISO (and a PXE boot) carries its own command line");
            }

            if (script != null && backend != "qemu")
            {
                throw new MatrixException($"{where}: a script is served by QEMU's TFTP server; the {backend} backend cannot serve one");
            }

            if (script != null && nic == "none")
            {
                throw new MatrixException($"{where}: a script is fetched over the network (TFTP), so it needs a NIC, not \"none\"");
            }

            if (backend == "hyperv" && !iso && !pxe)
            {
                throw new MatrixException($"{where}: a Hyper-V Generation 1 VM boots the ISO (or PXE with nic \"legacy-pxe\"), not a Multiboot image");
            }

            if (backend == "hyperv-emulated" && iso)
            {
                throw new MatrixException($"{where}: the emulated Hyper-V machine loads the Multiboot image, not an ISO");
            }

            int memory = fields.Int("memoryMiB", where) ?? 256;
            if (memory < 64 || memory > 65536)
            {
                throw new MatrixException($"{where}: memoryMiB {memory} is outside 64..65536");
            }

            string? virtualSwitch = fields.String("switch", where);
            if (virtualSwitch != null && backend != "hyperv")
            {
                throw new MatrixException($"{where}: \"switch\" is a Hyper-V setting; the {backend} backend has no virtual switch");
            }

            IReadOnlyList<string> extra = fields.Strings("extraArgs", where);
            if (extra.Count > 0 && backend == "hyperv")
            {
                throw new MatrixException($"{where}: \"extraArgs\" are QEMU's or the emulated machine's arguments; the hyperv backend takes none");
            }

            List<MilestoneSpec> milestones = ParseMilestones(fields, where);
            Expectation expect = ParseExpectation(fields.String("expect", where), where);
            MilestoneSpec? failure = null;
            if (fields.TryGet("failure", out JsonElement failureElement))
            {
                if (expect != Expectation.Fail)
                {
                    throw new MatrixException($"{where}: \"failure\" only makes sense with \"expect\": \"fail\"");
                }

                failure = ParseMilestone(failureElement, $"{where}: failure");
                if (milestones.Count > 0 && failure.Deadline < milestones[^1].Deadline)
                {
                    throw new MatrixException($"{where}: the failure's deadline {Seconds(failure.Deadline)} is earlier than the last milestone's ({Seconds(milestones[^1].Deadline)}); deadlines count from VM start");
                }
            }
            else if (expect == Expectation.Fail)
            {
                throw new MatrixException($"{where}: \"expect\": \"fail\" needs a \"failure\" milestone (name, match, deadline) saying where it fails");
            }

            if (expect == Expectation.Pass && milestones.Count == 0)
            {
                throw new MatrixException($"{where}: \"milestones\" must list at least one milestone the VM has to reach");
            }

            return new VmSpec
            {
                Id = id,
                Backend = backend,
                Image = image ?? string.Empty,
                Nic = nic,
                CommandLine = commandLine ?? DefaultCommandLine,
                RootPath = rootPath,
                Script = script,
                MemoryMiB = memory,
                Switch = virtualSwitch,
                ExtraArguments = extra,
                Milestones = milestones,
                Expect = expect,
                Failure = failure,
            };
        }

        private static List<MilestoneSpec> ParseMilestones(Fields fields, string where)
        {
            List<MilestoneSpec> milestones = new List<MilestoneSpec>();
            if (!fields.TryGet("milestones", out JsonElement array))
            {
                return milestones;
            }

            if (array.ValueKind != JsonValueKind.Array)
            {
                throw new MatrixException($"{where}: \"milestones\" must be an array of {{\"name\", \"deadline\"}} objects");
            }

            int index = 0;
            foreach (JsonElement element in array.EnumerateArray())
            {
                MilestoneSpec milestone = ParseMilestone(element, $"{where}: milestones[{index}]");
                if (milestones.Count > 0 && milestone.Deadline < milestones[^1].Deadline)
                {
                    throw new MatrixException($"{where}: milestones[{index}] ({milestone.Name}): deadline {Seconds(milestone.Deadline)} is earlier than "
                        + $"{milestones[^1].Name}'s {Seconds(milestones[^1].Deadline)}; deadlines count from VM start, so they cannot decrease");
                }

                milestones.Add(milestone);
                index++;
            }

            return milestones;
        }

        private static MilestoneSpec ParseMilestone(JsonElement element, string where)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new MatrixException($"{where}: a milestone is an object {{\"name\": ..., \"deadline\": seconds}}");
            }

            CheckFields(element, KnownMilestoneFields, where);
            Fields fields = new Fields(element, null);
            string name = fields.String("name", where) ?? throw new MatrixException($"{where}: \"name\" is required");
            if (!NamePattern.IsMatch(name))
            {
                throw new MatrixException($"{where}: milestone name \"{name}\" cannot contain spaces or '='");
            }

            if (!fields.TryGet("deadline", out JsonElement deadline))
            {
                throw new MatrixException($"{where} ({name}): \"deadline\" is required (seconds since VM start)");
            }

            if (deadline.ValueKind != JsonValueKind.Number || !deadline.TryGetDouble(out double seconds) || seconds <= 0 || seconds > 86400)
            {
                throw new MatrixException($"{where} ({name}): \"deadline\" must be a number of seconds in (0, 86400]");
            }

            Regex? match = null;
            string? pattern = fields.String("match", where);
            if (pattern != null)
            {
                try
                {
                    match = new Regex(pattern, RegexOptions.CultureInvariant);
                }
                catch (ArgumentException e)
                {
                    throw new MatrixException($"{where} ({name}): \"match\" is not a valid regular expression: {e.Message}");
                }
            }

            return new MilestoneSpec(name, match, TimeSpan.FromSeconds(seconds));
        }

        private static Expectation ParseExpectation(string? text, string where)
        {
            switch (text)
            {
                case null:
                case "pass":
                    return Expectation.Pass;
                case "fail":
                    return Expectation.Fail;
                default:
                    throw new MatrixException($"{where}: \"expect\" is \"pass\" or \"fail\", not \"{text}\"");
            }
        }

        private static string? ResolveFile(string? path, string baseDirectory, string field, string where)
        {
            if (path == null)
            {
                return null;
            }

            string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDirectory, path));
            if (!File.Exists(full))
            {
                string hint = field == "image" ? " (build the images with ./build.sh image)" : string.Empty;
                throw new MatrixException($"{where}: {field} {full} does not exist{hint}");
            }

            return full;
        }

        private static void CheckFields(JsonElement element, string[] known, string where)
        {
            foreach (JsonProperty property in element.EnumerateObject())
            {
                if (known.Contains(property.Name))
                {
                    continue;
                }

                string? meant = known.FirstOrDefault(k => string.Equals(k, property.Name, StringComparison.OrdinalIgnoreCase));
                string hint = meant != null ? $"; did you mean \"{meant}\"?" : $" (known: {string.Join(", ", known)})";
                throw new MatrixException($"{where}: unknown field \"{property.Name}\"{hint}");
            }
        }

        private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

        private static string FirstSentence(string message)
        {
            int end = message.IndexOf(". ", StringComparison.Ordinal);
            return end < 0 ? message : message.Substring(0, end);
        }

        /// <summary>A VM's fields with the matrix defaults behind them.</summary>
        private readonly struct Fields
        {
            private readonly JsonElement _own;
            private readonly JsonElement? _defaults;

            public Fields(JsonElement own, JsonElement? defaults)
            {
                _own = own;
                _defaults = defaults;
            }

            public bool TryGet(string name, out JsonElement value)
            {
                if (_own.TryGetProperty(name, out value))
                {
                    return true;
                }

                return _defaults.HasValue && _defaults.Value.TryGetProperty(name, out value);
            }

            public string? String(string name, string where)
            {
                if (!TryGet(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
                {
                    return null;
                }

                if (value.ValueKind != JsonValueKind.String)
                {
                    throw new MatrixException($"{where}: \"{name}\" must be a string, not {Describe(value)}");
                }

                return value.GetString();
            }

            public int? Int(string name, string where)
            {
                if (!TryGet(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
                {
                    return null;
                }

                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int number))
                {
                    throw new MatrixException($"{where}: \"{name}\" must be a whole number, not {Describe(value)}");
                }

                return number;
            }

            public IReadOnlyList<string> Strings(string name, string where)
            {
                if (!TryGet(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
                {
                    return Array.Empty<string>();
                }

                if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                {
                    throw new MatrixException($"{where}: \"{name}\" must be an array of strings");
                }

                return value.EnumerateArray().Select(e => e.GetString()!).ToArray();
            }

            private static string Describe(JsonElement value) => value.ValueKind switch
            {
                JsonValueKind.Number => "the number " + value.GetRawText(),
                JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                JsonValueKind.Array => "an array",
                JsonValueKind.Object => "an object",
                _ => value.GetRawText(),
            };
        }
    }
}
