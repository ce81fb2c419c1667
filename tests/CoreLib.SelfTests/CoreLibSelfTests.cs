// Core-library behaviour tests, written once and run twice: by xunit on .NET (where the BCL is
// the oracle) and inside the bare-metal image (`selftest=1`), where they exercise our own core
// library, allocator and runtime helpers. They use only APIs both worlds share.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Bootstage.SelfTests
{
    internal static unsafe class CoreLibSelfTests
    {
        public const int Count = 19;

        /// <summary>Runs test <paramref name="index"/>; its name is returned through <paramref name="name"/>.</summary>
        public static SelfCheck Run(int index, out string name)
        {
            SelfCheck check = default;
            switch (index)
            {
                case 0: name = "Span_slices_and_indexes_within_bounds"; SpanSlices(ref check); break;
                case 1: name = "Span_copy_handles_overlap_in_both_directions"; SpanOverlap(ref check); break;
                case 2: name = "Span_fill_clear_sequence_equal_index_of"; SpanSearch(ref check); break;
                case 3: name = "Binary_primitives_read_and_write_both_endiannesses"; Endianness(ref check); break;
                case 4: name = "Memory_marshal_reinterprets_without_copying"; Marshal(ref check); break;
                case 5: name = "List_grows_inserts_and_removes"; Lists(ref check); break;
                case 6: name = "Strings_compare_by_value"; Strings(ref check); break;
                case 7: name = "Interface_calls_reach_each_implementation"; Interfaces(ref check); break;
                case 8: name = "Delegates_bind_instance_and_static_targets"; Delegates(ref check); break;
                case 9: name = "Generics_work_over_value_and_reference_types"; Generics(ref check); break;
                case 10: name = "Static_constructor_runs_once_before_first_use"; StaticConstructors(ref check); break;
                case 11: name = "Boxing_round_trips_values_and_nullables"; Boxing(ref check); break;
                case 12: name = "Casts_follow_class_and_interface_hierarchy"; Casts(ref check); break;
                case 13: name = "Virtual_calls_dispatch_to_overrides"; Virtuals(ref check); break;
                case 14: name = "Stackalloc_and_struct_arrays_keep_layout"; Structs(ref check); break;
                case 15: name = "Checked_arithmetic_and_division_give_exact_results"; Arithmetic(ref check); break;
                case 16: name = "Heap_allocates_zeroed_blocks_and_reuses_freed_ones"; HeapReuse(ref check); break;
                case 17: name = "Heap_coalesces_freed_large_blocks_into_one_run"; HeapCoalesce(ref check); break;
                case 18: name = "Byte_moves_of_every_length_alignment_and_overlap_copy_exactly"; ByteMoves(ref check); break;
                default: name = "unknown"; check.True(false, "no such test"); break;
            }

            return check;
        }

        private static void HeapReuse(ref SelfCheck check)
        {
            byte[] arena = new byte[256 * 1024];
            fixed (byte* memory = arena)
            {
                Internal.Runtime.Heap heap = default;
                heap.AddRegion(memory, (ulong)arena.Length);
                byte* first = (byte*)heap.Allocate(100);
                check.True(first != null, "small allocation succeeds");
                check.Equal(0, (long)((ulong)first & 15), "payload is 16-byte aligned");
                for (int i = 0; i < 100; i++)
                {
                    check.Equal(0, first[i], "allocated memory is zeroed");
                    first[i] = 0xCC;
                }

                check.True(heap.UsableSize(first) >= 100, "usable size covers the request");
                check.True(heap.Free(first), "free a live block");
                check.True(!heap.Free(first), "double free is refused");
                byte* second = (byte*)heap.Allocate(110);
                check.True(second == first, "same size class reuses the freed block");
                check.Equal(0, second[50], "reused memory is zeroed again");
                check.Equal(1, (long)heap.LiveBlocks, "one live block");
                byte* large = (byte*)heap.Allocate(100 * 1024);
                check.True(large != null, "large allocation succeeds");
                check.True(heap.Allocate(1024 * 1024) == null, "exhaustion returns null");
                check.True(heap.Free(large) && heap.Free(second), "free both");
                check.Equal(0, (long)heap.LiveBytes, "nothing live at the end");
            }
        }

        private static void HeapCoalesce(ref SelfCheck check)
        {
            byte[] arena = new byte[512 * 1024];
            fixed (byte* memory = arena)
            {
                Internal.Runtime.Heap heap = default;
                heap.AddRegion(memory, (ulong)arena.Length);
                ulong freeAtStart = heap.FreeRunBytes;
                void* a = heap.Allocate(64 * 1024);
                void* b = heap.Allocate(64 * 1024);
                void* c = heap.Allocate(64 * 1024);
                check.True(a != null && b != null && c != null, "three large blocks");
                check.True(heap.Free(b) && heap.Free(a) && heap.Free(c), "free out of order");
                check.Equal(1, heap.FreeRunCount, "neighbours merged into one run");
                check.Equal(freeAtStart, heap.FreeRunBytes, "all bytes are back");
                void* whole = heap.Allocate(freeAtStart - 64);
                check.True(whole != null, "the merged run serves one big request");
            }
        }

        private static void SpanSlices(ref SelfCheck check)
        {
            int[] data = new int[10];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = i * 3;
            }

            Span<int> span = data;
            Span<int> middle = span.Slice(2, 5);
            check.Equal(5, middle.Length, "slice length");
            check.Equal(6, middle[0], "slice first element");
            check.Equal(18, middle[4], "slice last element");
            middle[1] = 100;
            check.Equal(100, data[3], "slice writes through to the array");
            check.Equal(27, span.Slice(9)[0], "tail slice");
            check.Equal(0, span.Slice(10).Length, "empty tail slice");
            ReadOnlySpan<int> readOnly = data;
            check.Equal(100, readOnly[3], "read-only view");
            int sum = 0;
            foreach (int value in span.Slice(0, 4))
            {
                sum += value;
            }

            check.Equal(0 + 3 + 6 + 100, sum, "foreach over a span");
        }

        private static void SpanOverlap(ref SelfCheck check)
        {
            byte[] buffer = new byte[16];
            for (int i = 0; i < buffer.Length; i++)
            {
                buffer[i] = (byte)i;
            }

            buffer.AsSpan(0, 8).CopyTo(buffer.AsSpan(4));
            check.Equal(0, buffer[4], "forward overlap first byte");
            check.Equal(7, buffer[11], "forward overlap last byte");
            buffer.AsSpan(4, 8).CopyTo(buffer.AsSpan(0));
            check.Equal(0, buffer[0], "backward overlap first byte");
            check.Equal(7, buffer[7], "backward overlap last byte");
            object[] objects = new object[4];
            objects[0] = "a";
            objects[1] = "b";
            objects.AsSpan(0, 2).CopyTo(objects.AsSpan(1));
            check.True((object)objects[2] == (object)"b", "reference copy with overlap");
            check.True(!new Span<byte>(buffer).Slice(0, 4).TryCopyTo(new Span<byte>(buffer, 0, 3)), "TryCopyTo refuses a short destination");
        }

        // The image's memmove splits a move into 64-, 8- and 1-byte steps, forward or backward: every
        // length up to two 64-byte rounds plus every tail, at every alignment of both ends, apart and
        // overlapping by any amount up to a round and a word.
        private static void ByteMoves(ref SelfCheck check)
        {
            byte[] buffer = new byte[384];
            for (int length = 0; length <= 140 && check.Passed; length = length == 72 ? 120 : length + 1)
            {
                for (int from = 0; from < 8; from++)
                {
                    for (int to = 0; to < 8; to++)
                    {
                        MoveAndCheck(ref check, buffer, 8 + from, 200 + to, length);
                    }
                }

                for (int shift = -72; shift <= 72; shift++)
                {
                    MoveAndCheck(ref check, buffer, 120, 120 + shift, length);
                }
            }
        }

        private static void MoveAndCheck(ref SelfCheck check, byte[] buffer, int from, int to, int length)
        {
            for (int i = 0; i < buffer.Length; i++)
            {
                buffer[i] = (byte)(i * 7 + 3);
            }

            buffer.AsSpan(from, length).CopyTo(buffer.AsSpan(to));
            for (int i = 0; i < buffer.Length; i++)
            {
                // Inside the destination: the source's byte as it was before the move; outside: untouched.
                int expected = i >= to && i < to + length ? (byte)((i - to + from) * 7 + 3) : (byte)(i * 7 + 3);
                if (buffer[i] != expected)
                {
                    // No string formatting in the image: the case travels in the compared values.
                    long where = ((long)from << 40) | ((long)to << 24) | ((long)length << 8);
                    check.Equal(where | (long)expected, where | buffer[i], "moved byte (from << 40 | to << 24 | length << 8 | byte)");
                    return;
                }
            }
        }

        private static void SpanSearch(ref SelfCheck check)
        {
            Span<byte> span = stackalloc byte[32];
            span.Fill(0xA5);
            check.Equal(0xA5, span[31], "fill");
            span.Slice(8, 8).Clear();
            check.Equal(0, span[8], "clear start");
            check.Equal(0xA5, span[16], "clear end");
            check.Equal(8, span.IndexOf((byte)0), "index of first zero");
            ReadOnlySpan<byte> needle = stackalloc byte[] { 0, 0xA5 };
            check.Equal(15, ((ReadOnlySpan<byte>)span).IndexOf(needle), "index of a sequence");
            byte[] copy = span.ToArray();
            check.True(span.SequenceEqual(copy), "sequence equal to its copy");
            copy[5] = 1;
            check.True(!span.SequenceEqual(copy), "sequence differs after a change");
            check.True("boot"u8.StartsWith("bo"u8), "starts with");
            check.Equal(3, "a.b.c"u8.LastIndexOf((byte)'.'), "last index of");
        }

        private static void Endianness(ref SelfCheck check)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x11223344);
            check.Equal(0x11, bytes[0], "big-endian most significant first");
            check.Equal(0x44332211u, BinaryPrimitives.ReadUInt32LittleEndian(bytes), "little-endian read of big-endian bytes");
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, 0xBEEF);
            check.Equal(0xEF, bytes[0], "little-endian least significant first");
            check.Equal(0xEFBE, BinaryPrimitives.ReadUInt16BigEndian(bytes), "big-endian 16-bit read");
            BinaryPrimitives.WriteUInt64BigEndian(bytes, 0x0102030405060708);
            check.Equal(0x0807060504030201UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes), "64-bit byte order");
            check.Equal(0x78563412u, BinaryPrimitives.ReverseEndianness(0x12345678u), "reverse 32");
            check.Equal(-2, BinaryPrimitives.ReadInt16BigEndian(stackalloc byte[] { 0xFF, 0xFE }), "signed 16-bit");
            check.True(!BinaryPrimitives.TryReadUInt32BigEndian(bytes.Slice(0, 3), out _), "short read is refused");
        }

        private struct Pair
        {
#pragma warning disable CS0649 // written through the reinterpreted uint array
            public ushort Low;
#pragma warning restore CS0649
            public ushort High;
        }

        private static void Marshal(ref SelfCheck check)
        {
            uint[] words = new uint[] { 0x00020001, 0x00040003 };
            Span<Pair> pairs = MemoryMarshal.Cast<uint, Pair>(words.AsSpan());
            check.Equal(2, pairs.Length, "cast length");
            check.Equal(3, pairs[1].Low, "cast reads in place");
            pairs[0].High = 9;
            check.Equal(0x00090001u, words[0], "cast writes in place");
            Span<byte> bytes = MemoryMarshal.AsBytes(words.AsSpan());
            check.Equal(8, bytes.Length, "as bytes length");
            check.Equal(0x00040003u, MemoryMarshal.Read<uint>(bytes.Slice(4)), "read");
            MemoryMarshal.Write(bytes, in words[1]);
            check.Equal(0x00040003u, words[0], "write");
            fixed (uint* pointer = words)
            {
                Span<uint> raw = new Span<uint>(pointer, 2);
                check.Equal(0x00040003u, raw[1], "span over a pointer");
            }
        }

        private static void Lists(ref SelfCheck check)
        {
            List<int> list = new List<int>();
            for (int i = 0; i < 100; i++)
            {
                list.Add(i);
            }

            check.Equal(100, list.Count, "count after adds");
            check.True(list.Capacity >= 100, "capacity grew");
            list.Insert(0, -1);
            check.Equal(-1, list[0], "insert at front");
            check.Equal(99, list[100], "last after insert");
            list.RemoveAt(50);
            check.Equal(100, list.Count, "count after remove");
            check.Equal(50, list[50], "element shifted down");
            long sum = 0;
            foreach (int value in list)
            {
                sum += value;
            }

            check.Equal(4950 - 1 - 49, sum, "enumeration");
            List<string> names = new List<string>(2);
            names.Add("x");
            names.Add("y");
            names.Add("z");
            check.True(names[2] == "z", "reference list");
            names.Clear();
            check.Equal(0, names.Count, "clear");
        }

        private static void Strings(ref SelfCheck check)
        {
            string a = "netvsc";
            string b = new string("netvsc".AsSpan());
            check.True((object)a != (object)b, "constructed string is a new object");
            check.True(a == b, "equal by value");
            check.True(a.Equals((object)b), "Equals(object)");
            check.Equal(a.GetHashCode(), b.GetHashCode(), "equal strings hash alike");
            check.Equal(6, b.Length, "length");
            check.True(b[3] == 'v', "indexer");
            check.True(a != "rndis", "different strings differ");
            check.True(string.IsNullOrEmpty(string.Empty) && !string.IsNullOrEmpty(a), "IsNullOrEmpty");
            check.True(a.StartsWith("net"), "StartsWith");
        }

        private interface IShape
        {
            int Area();

            int Sides { get; }
        }

        private sealed class Square : IShape
        {
            private readonly int _side;

            public Square(int side) => _side = side;

            public int Area() => _side * _side;

            public int Sides => 4;
        }

        private sealed class Triangle : IShape
        {
            public int Area() => 6;

            public int Sides => 3;
        }

        private class Polygon : IShape
        {
            public virtual int Area() => 1;

            public int Sides => 5;
        }

        private sealed class BigPolygon : Polygon
        {
            public override int Area() => 1000;
        }

        private sealed class Line : IShape
        {
            public int Area() => 0;

            public int Sides => 1;
        }

        private static void Interfaces(ref SelfCheck check)
        {
            IShape[] shapes = new IShape[] { new Square(3), new Triangle(), new Polygon(), new BigPolygon(), new Line(), new Square(2) };
            int area = 0;
            int sides = 0;
            // Twice, so the second round exercises the per-cell cache (hits and misses alike).
            for (int round = 0; round < 2; round++)
            {
                for (int i = 0; i < shapes.Length; i++)
                {
                    area += shapes[i].Area();
                    sides += shapes[i].Sides;
                }
            }

            check.Equal(2 * (9 + 6 + 1 + 1000 + 0 + 4), area, "interface method results");
            check.Equal(2 * (4 + 3 + 5 + 5 + 1 + 4), sides, "interface property results");
        }

        private sealed class Counter
        {
            public int Total;

            public void Add(int value) => Total += value;
        }

        private static int s_staticTotal;

        private static void AddStatic(int value) => s_staticTotal += value;

        private static void Delegates(ref SelfCheck check)
        {
            Counter counter = new Counter();
            Action<int> instance = counter.Add;
            instance(5);
            instance(6);
            check.Equal(11, counter.Total, "closed instance delegate");
            s_staticTotal = 0;
            Action<int> staticTarget = AddStatic;
            staticTarget(7);
            check.Equal(7, s_staticTotal, "static delegate");
            int captured = 40;
            Func<int, int> closure = x => x + captured;
            check.Equal(42, closure(2), "closure over a local");
            Func<int, int> pure = x => x * 2;
            check.Equal(84, pure(42), "non-capturing lambda");
            check.True((object?)instance.Target == (object)counter, "delegate target");
        }

        private struct Box<T>
        {
            public T Value;
        }

        private static T Pick<T>(T first, T second, bool takeFirst) => takeFirst ? first : second;

        private static int CountMatches<T>(T[] items, T value) where T : IEquatable<T>
        {
            int matches = 0;
            for (int i = 0; i < items.Length; i++)
            {
                if (items[i].Equals(value))
                {
                    matches++;
                }
            }

            return matches;
        }

        private static void Generics(ref SelfCheck check)
        {
            check.Equal(2, Pick(1, 2, false), "generic over int");
            check.True(Pick("a", "b", true) == "a", "generic over string (shared code)");
            Box<long> box = default;
            box.Value = long.MaxValue;
            check.Equal(long.MaxValue, box.Value, "generic struct field");
            check.Equal(2, CountMatches(new byte[] { 1, 2, 1 }, (byte)1), "constrained call on byte");
            check.Equal(1, CountMatches(new string[] { "x", "y" }, "y"), "constrained call on string");
            check.True(Array.Empty<int>().Length == 0 && (object)Array.Empty<int>() == (object)Array.Empty<int>(), "Array.Empty is shared");
        }

        private static class Lazy
        {
            public static int Runs;
            public static readonly int[] Table = Build();

            private static int[] Build()
            {
                Runs++;
                int[] table = new int[8];
                for (int i = 0; i < table.Length; i++)
                {
                    table[i] = i * i;
                }

                return table;
            }
        }

        private static void StaticConstructors(ref SelfCheck check)
        {
            check.Equal(49, Lazy.Table[7], "static initialiser result");
            check.Equal(49, Lazy.Table[7], "second access");
            check.Equal(1, Lazy.Runs, "initialiser ran exactly once");
        }

        private static void Boxing(ref SelfCheck check)
        {
            object boxed = 12345;
            check.True(boxed is int, "boxed int type test");
            check.Equal(12345, (int)boxed, "unbox");
            object boxedLong = 0x1122334455667788L;
            check.Equal(0x1122334455667788L, (long)boxedLong, "unbox long");
            int? some = 77;
            object boxedSome = some;
            check.True(boxedSome is int, "boxed nullable is the underlying type");
            check.Equal(77, (int)boxedSome, "boxed nullable value");
            int? none = null;
            object? boxedNone = none;
            check.True(boxedNone == null, "empty nullable boxes to null");
            int? back = (int?)boxedSome;
            check.True(back.HasValue && back.Value == 77, "unbox to nullable");
            check.True(boxed.Equals(12345), "Equals on a boxed value");
        }

        private class Animal
        {
        }

        private class Dog : Animal, IComparable<Dog>
        {
            public int CompareTo(Dog? other) => 0;
        }

        private static void Casts(ref SelfCheck check)
        {
            object dog = new Dog();
            check.True(dog is Animal, "is base class");
            check.True(dog is Dog, "is exact class");
            check.True(dog is IComparable<Dog>, "is implemented interface");
            check.True(!(dog is string), "is unrelated class");
            check.True(!(dog is IDisposable), "is unimplemented interface");
            check.True(dog as Animal != null, "as base class");
            check.True((object?)(new Animal() as Dog) == null, "as derived class fails");
            object[] animals = new Animal[2];
            animals[0] = new Dog();
            check.True(animals[0] is Dog, "covariant array store of a derived element");
            object strings = new string[] { "a" };
            check.True(strings is object[], "string[] is object[]");
        }

        private abstract class Device
        {
            public abstract int Probe();

            public virtual int Priority() => 1;
        }

        private sealed class NetDevice : Device
        {
            public override int Probe() => 10;

            public override int Priority() => 5;
        }

        private sealed class BlockDevice : Device
        {
            public override int Probe() => 20;
        }

        private static void Virtuals(ref SelfCheck check)
        {
            Device[] devices = new Device[] { new NetDevice(), new BlockDevice() };
            int probes = 0;
            int priorities = 0;
            for (int i = 0; i < devices.Length; i++)
            {
                probes += devices[i].Probe();
                priorities += devices[i].Priority();
            }

            check.Equal(30, probes, "abstract overrides");
            check.Equal(6, priorities, "virtual default and override");
            object o = devices[0];
            check.True(o.ToString() != null, "object virtual ToString");
        }

        [StructLayout(LayoutKind.Sequential, Pack = 1)]
        private struct Header
        {
            public byte Type;
            public uint Length;
            public ushort Flags;
        }

        private static void Structs(ref SelfCheck check)
        {
            check.Equal(7, sizeof(Header), "packed struct size");
            Header* headers = stackalloc Header[3];
            headers[2].Length = 0xCAFEBABE;
            byte* raw = (byte*)headers;
            check.Equal(0xBE, raw[2 * 7 + 1], "packed field offset");
            Header[] array = new Header[4];
            array[3].Flags = 0x1234;
            check.Equal(0x1234, array[3].Flags, "struct array element");
            Span<Header> span = array;
            check.Equal(4, span.Length, "span of structs");
        }

        private static void Arithmetic(ref SelfCheck check)
        {
            long big = 1L << 40;
            check.Equal(1L << 41, checked(big * 2), "checked multiply");
            ulong dividend = 0xFFFFFFFFFFFFFFFF;
            check.Equal(0x5555555555555555UL, dividend / 3, "unsigned 64-bit division");
            check.Equal(0UL, dividend % 3, "unsigned 64-bit remainder");
            int negative = -17;
            check.Equal(-3, negative / 5, "signed division truncates");
            check.Equal(-2, negative % 5, "signed remainder keeps sign");
            check.Equal(4, Math.Max(Math.Min(4, 9), -2), "min and max");
        }
    }
}
