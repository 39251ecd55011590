using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace LogitStd.Shell.Persistence;

/// <summary>A Python global (<c>module.name</c>) met in a pickle and not reconstructed.</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";
}

/// <summary>An object the reader does not model (a numpy scalar, an argparse Namespace, …): kept opaque.</summary>
internal sealed record PyOpaque(PyGlobal Type, object? Args)
{
    public object? State { get; set; }
}

/// <summary>
/// A minimal pickle reader (protocols 2–4) for the subset <c>torch.save</c> emits: dicts, lists,
/// tuples, strings, numbers, globals, REDUCE/BUILD/NEWOBJ and persistent ids. Globals are handed to
/// <see cref="Reduce"/> so the caller decides what <c>collections.OrderedDict</c> or
/// <c>torch._utils._rebuild_tensor_v2</c> become; anything else stays a <see cref="PyOpaque"/>.
/// Written for PyTorch's pre-1.6 checkpoint format, which TorchSharp.PyBridge does not read.
/// </summary>
internal sealed class PickleReader(Stream stream, Func<object?, object?> persistentLoad, Func<PyGlobal, object?[], object?> reduce)
{
    private static readonly object Mark = new();

    private readonly BinaryReader reader = new(stream, Encoding.UTF8, leaveOpen: true);
    private readonly List<object?> stack = [];
    private readonly Dictionary<long, object?> memo = [];

    /// <summary>Called for REDUCE with the callable (a global) and its argument tuple.</summary>
    public Func<PyGlobal, object?[], object?> Reduce { get; } = reduce;

    /// <summary>Reads one pickle (up to its STOP opcode) and returns the object.</summary>
    public object? Load()
    {
        stack.Clear();
        memo.Clear();
        while (true)
        {
            var op = reader.ReadByte();
            switch (op)
            {
                case 0x80: reader.ReadByte(); break;                             // PROTO
                case 0x95: reader.ReadUInt64(); break;                           // FRAME (length only)
                case (byte)'.': return Pop();                                     // STOP
                case (byte)'(': stack.Add(Mark); break;                           // MARK
                case (byte)'}': stack.Add(new Dictionary<object, object?>()); break; // EMPTY_DICT
                case (byte)']': stack.Add(new List<object?>()); break;             // EMPTY_LIST
                case (byte)')': stack.Add(Array.Empty<object?>()); break;          // EMPTY_TUPLE
                case (byte)'N': stack.Add(null); break;                            // NONE
                case 0x88: stack.Add(true); break;                                 // NEWTRUE
                case 0x89: stack.Add(false); break;                                // NEWFALSE
                case (byte)'K': stack.Add((long)reader.ReadByte()); break;        // BININT1
                case (byte)'M': stack.Add((long)reader.ReadUInt16()); break;      // BININT2
                case (byte)'J': stack.Add((long)reader.ReadInt32()); break;       // BININT
                case 0x8a: stack.Add(ReadLong(reader.ReadByte())); break;         // LONG1
                case 0x8b: stack.Add(ReadLong(reader.ReadInt32())); break;        // LONG4
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(reader.ReadBytes(8))); break; // BINFLOAT
                case (byte)'X': stack.Add(ReadUtf8(reader.ReadInt32())); break;  // BINUNICODE
                case 0x8c: stack.Add(ReadUtf8(reader.ReadByte())); break;         // SHORT_BINUNICODE
                case 0x8d: stack.Add(ReadUtf8(checked((int)reader.ReadInt64()))); break; // BINUNICODE8
                case (byte)'U': stack.Add(ReadLatin1(reader.ReadByte())); break;  // SHORT_BINSTRING
                case (byte)'T': stack.Add(ReadLatin1(reader.ReadInt32())); break; // BINSTRING
                case (byte)'C': stack.Add(reader.ReadBytes(reader.ReadByte())); break; // SHORT_BINBYTES
                case (byte)'B': stack.Add(reader.ReadBytes(reader.ReadInt32())); break; // BINBYTES
                case (byte)'c': stack.Add(new PyGlobal(ReadLine(), ReadLine())); break; // GLOBAL
                case 0x93:                                                        // STACK_GLOBAL
                {
                    var name = (string)Pop()!;
                    var module = (string)Pop()!;
                    stack.Add(new PyGlobal(module, name));
                    break;
                }
                case (byte)'q': memo[reader.ReadByte()] = Peek(); break;          // BINPUT
                case (byte)'r': memo[reader.ReadUInt32()] = Peek(); break;        // LONG_BINPUT
                case 0x94: memo[memo.Count] = Peek(); break;                      // MEMOIZE
                case (byte)'h': stack.Add(memo[reader.ReadByte()]); break;        // BINGET
                case (byte)'j': stack.Add(memo[reader.ReadUInt32()]); break;      // LONG_BINGET
                case (byte)'t': stack.Add(PopToMark().ToArray()); break;          // TUPLE
                case 0x85: stack.Add(new[] { Pop() }); break;                     // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new[] { a, b }); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new[] { a, b, c }); break; } // TUPLE3
                case (byte)'a': { var v = Pop(); ((List<object?>)Peek()!).Add(v); break; } // APPEND
                case (byte)'e': { var items = PopToMark(); ((List<object?>)Peek()!).AddRange(items); break; } // APPENDS
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItem(Peek(), k, v); break; } // SETITEM
                case (byte)'u':                                                   // SETITEMS
                {
                    var items = PopToMark();
                    for (var i = 0; i + 1 < items.Count; i += 2) SetItem(Peek(), items[i], items[i + 1]);
                    break;
                }
                case (byte)'Q': stack.Add(persistentLoad(Pop())); break;          // BINPERSID
                case (byte)'R':                                                   // REDUCE
                {
                    var args = (object?[])Pop()!;
                    var callable = Pop();
                    stack.Add(callable is PyGlobal g ? Reduce(g, args) : new PyOpaque(new PyGlobal("?", "?"), args));
                    break;
                }
                case 0x81:                                                        // NEWOBJ
                {
                    var args = Pop();
                    var cls = Pop() as PyGlobal ?? new PyGlobal("?", "?");
                    stack.Add(new PyOpaque(cls, args));
                    break;
                }
                case (byte)'b':                                                   // BUILD
                {
                    var state = Pop();
                    // An OrderedDict's state is its _metadata attribute; other objects keep theirs opaque.
                    if (Peek() is PyOpaque o) o.State = state;
                    break;
                }
                default:
                    throw new InvalidDataException($"unsupported pickle opcode 0x{op:x2} at byte {stream.Position - 1}");
            }
        }
    }

    private static void SetItem(object? target, object? key, object? value)
    {
        if (target is not Dictionary<object, object?> d) throw new InvalidDataException("SETITEM on a non-dict");
        d[key ?? "None"] = value;
    }

    private object? Pop()
    {
        var v = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return v;
    }

    private object? Peek() => stack[^1];

    private List<object?> PopToMark()
    {
        var i = stack.LastIndexOf(Mark);
        if (i < 0) throw new InvalidDataException("pickle MARK not found");
        var items = stack.GetRange(i + 1, stack.Count - i - 1);
        stack.RemoveRange(i, stack.Count - i);
        return items;
    }

    private object ReadLong(int length)
    {
        var bytes = reader.ReadBytes(length);
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    private string ReadUtf8(int length) => Encoding.UTF8.GetString(reader.ReadBytes(length));

    private string ReadLatin1(int length) => Encoding.Latin1.GetString(reader.ReadBytes(length));

    private string ReadLine()
    {
        var sb = new StringBuilder();
        for (var b = reader.ReadByte(); b != (byte)'\n'; b = reader.ReadByte()) sb.Append((char)b);
        return sb.ToString();
    }
}
