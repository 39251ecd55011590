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
/// <c>torch._utils._rebuild_tensor_v2</c> become; anything else stays a <see cref="PyOpaque"/>. A global
/// the caller does not allow (<see cref="PickleGlobals"/>) is refused by name when it is read. Shared
/// and cyclic structure stays shared: the memo hands out the same object, never a copy.
/// The input is not trusted: every length is checked against the bytes left in the stream before
/// anything is allocated, the stack and memo are bounded, and every malformation (a pop from an
/// empty stack, a missing memo entry, an operand of the wrong type) is an <see cref="InvalidDataException"/>;
/// an opcode outside the subset is an <see cref="UnsupportedPickleException"/> (the file may still be a valid pickle).
/// </summary>
internal sealed class PickleReader(Stream stream, Func<object?, object?> persistentLoad, Func<PyGlobal, object?[], object?> reduce,
    Func<PyGlobal, bool> allowGlobal)
{
    /// <summary>Bounds on the stack and the memo: a state dict needs a few thousand entries.</summary>
    private const int MaxStack = 1 << 20, MaxMemo = 1 << 20, MaxLine = 1024;

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
            if (stack.Count > MaxStack || memo.Count > MaxMemo) throw new InvalidDataException($"pickle stack or memo beyond {MaxStack:N0} entries");
            switch (op)
            {
                case 0x80: reader.ReadByte(); break;                             // PROTO
                case 0x95: reader.ReadUInt64(); break;                           // FRAME (length only)
                case (byte)'.': return Pop();                                     // STOP
                case (byte)'(': stack.Add(Mark); break;                           // MARK
                case (byte)'}': stack.Add(new Dictionary<object, object?>()); break; // EMPTY_DICT
                case (byte)']': stack.Add(new List<object?>()); break;             // EMPTY_LIST
                case 0x8f: stack.Add(new List<object?>()); break;                  // EMPTY_SET (kept as a list)
                case (byte)')': stack.Add(Array.Empty<object?>()); break;          // EMPTY_TUPLE
                case (byte)'N': stack.Add(null); break;                            // NONE
                case 0x88: stack.Add(true); break;                                 // NEWTRUE
                case 0x89: stack.Add(false); break;                                // NEWFALSE
                case (byte)'K': stack.Add((long)reader.ReadByte()); break;        // BININT1
                case (byte)'M': stack.Add((long)reader.ReadUInt16()); break;      // BININT2
                case (byte)'J': stack.Add((long)reader.ReadInt32()); break;       // BININT
                case (byte)'I': stack.Add(ParseInt(ReadLine())); break;           // INT (text)
                case 0x8a: stack.Add(ReadLong(reader.ReadByte())); break;         // LONG1
                case 0x8b: stack.Add(ReadLong(reader.ReadInt32())); break;        // LONG4
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8))); break; // BINFLOAT
                case (byte)'X': stack.Add(Encoding.UTF8.GetString(Bytes(reader.ReadUInt32()))); break; // BINUNICODE
                case 0x8c: stack.Add(Encoding.UTF8.GetString(Bytes(reader.ReadByte()))); break; // SHORT_BINUNICODE
                case 0x8d: stack.Add(Encoding.UTF8.GetString(Bytes(reader.ReadInt64()))); break; // BINUNICODE8
                case (byte)'U': stack.Add(Encoding.Latin1.GetString(Bytes(reader.ReadByte()))); break; // SHORT_BINSTRING
                case (byte)'T': stack.Add(Encoding.Latin1.GetString(Bytes(reader.ReadInt32()))); break; // BINSTRING
                case (byte)'C': stack.Add(Bytes(reader.ReadByte())); break;      // SHORT_BINBYTES
                case (byte)'B': stack.Add(Bytes(reader.ReadUInt32())); break;    // BINBYTES
                case 0x8e: stack.Add(Bytes(reader.ReadInt64())); break;          // BINBYTES8
                case 0x96: stack.Add(Bytes(reader.ReadInt64())); break;          // BYTEARRAY8
                case (byte)'c': stack.Add(Global(new PyGlobal(ReadLine(), ReadLine()))); break; // GLOBAL
                case 0x93:                                                        // STACK_GLOBAL
                {
                    var name = PopAs<string>("STACK_GLOBAL");
                    var module = PopAs<string>("STACK_GLOBAL");
                    stack.Add(Global(new PyGlobal(module, name)));
                    break;
                }
                case (byte)'q': memo[reader.ReadByte()] = Peek(); break;          // BINPUT
                case (byte)'r': memo[reader.ReadUInt32()] = Peek(); break;        // LONG_BINPUT
                case (byte)'p': memo[ParseInt(ReadLine())] = Peek(); break;       // PUT (text)
                case 0x94: memo[memo.Count] = Peek(); break;                      // MEMOIZE
                case (byte)'h': stack.Add(Memo(reader.ReadByte())); break;        // BINGET
                case (byte)'j': stack.Add(Memo(reader.ReadUInt32())); break;      // LONG_BINGET
                case (byte)'g': stack.Add(Memo(ParseInt(ReadLine()))); break;     // GET (text)
                case (byte)'0': Pop(); break;                                     // POP
                case (byte)'1': PopToMark(); break;                               // POP_MARK
                case (byte)'2': stack.Add(Peek()); break;                         // DUP
                case (byte)'t': stack.Add(PopToMark().ToArray()); break;          // TUPLE
                case (byte)'l': stack.Add(PopToMark()); break;                    // LIST
                case (byte)'d': { var d = new Dictionary<object, object?>(); SetItems(d, PopToMark()); stack.Add(d); break; } // DICT
                case 0x91: stack.Add(PopToMark()); break;                         // FROZENSET (kept as a list)
                case 0x85: stack.Add(new[] { Pop() }); break;                     // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new[] { a, b }); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new[] { a, b, c }); break; } // TUPLE3
                case (byte)'a': { var v = Pop(); PeekAs<List<object?>>("APPEND").Add(v); break; } // APPEND
                case (byte)'e': { var items = PopToMark(); PeekAs<List<object?>>("APPENDS").AddRange(items); break; } // APPENDS
                case 0x90: { var items = PopToMark(); PeekAs<List<object?>>("ADDITEMS").AddRange(items); break; } // ADDITEMS
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(Peek(), [k, v]); break; } // SETITEM
                case (byte)'u': { var items = PopToMark(); SetItems(Peek(), items); break; } // SETITEMS
                case (byte)'Q': stack.Add(persistentLoad(Pop())); break;          // BINPERSID
                case (byte)'R':                                                   // REDUCE
                {
                    var args = PopAs<object?[]>("REDUCE");
                    var callable = Pop();
                    stack.Add(callable is PyGlobal g ? Reduce(g, args) : new PyOpaque(new PyGlobal("?", "?"), args));
                    break;
                }
                case 0x81:                                                        // NEWOBJ
                case 0x92:                                                        // NEWOBJ_EX (keyword arguments kept with the rest)
                {
                    var args = op == 0x92 ? new[] { Pop(), Pop() } : Pop();
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
                    throw new UnsupportedPickleException($"unsupported pickle opcode 0x{op:x2} at byte {stream.Position - 1}");
            }
        }
    }

    /// <summary>A global the caller allows; any other is refused by name before it is used.</summary>
    private PyGlobal Global(PyGlobal g) => allowGlobal(g) ? g : throw PickleGlobals.Refusal(g, stream.Position);

    private static void SetItems(object? target, List<object?> items)
    {
        if (target is not Dictionary<object, object?> d) throw new InvalidDataException("SETITEM on a non-dict");
        for (var i = 0; i + 1 < items.Count; i += 2) d[items[i] ?? "None"] = items[i + 1];
    }

    private object? Pop()
    {
        if (stack.Count == 0) throw new InvalidDataException($"pickle stack underflow at byte {stream.Position}");
        var v = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return v == Mark ? throw new InvalidDataException($"pickle MARK used as a value at byte {stream.Position}") : v;
    }

    private T PopAs<T>(string opcode) =>
        Pop() is T t ? t : throw new InvalidDataException($"pickle {opcode} at byte {stream.Position}: operand of the wrong type");

    private object? Peek() =>
        stack.Count == 0 || stack[^1] == Mark ? throw new InvalidDataException($"pickle stack underflow at byte {stream.Position}") : stack[^1];

    private T PeekAs<T>(string opcode) =>
        Peek() is T t ? t : throw new InvalidDataException($"pickle {opcode} at byte {stream.Position}: target of the wrong type");

    private object? Memo(long key) =>
        memo.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"pickle memo entry {key} read before it was written (byte {stream.Position})");

    private List<object?> PopToMark()
    {
        var i = stack.LastIndexOf(Mark);
        if (i < 0) throw new InvalidDataException("pickle MARK not found");
        var items = stack.GetRange(i + 1, stack.Count - i - 1);
        stack.RemoveRange(i, stack.Count - i);
        return items;
    }

    /// <summary>Reads <paramref name="length"/> bytes, refusing a length beyond what the stream still holds.</summary>
    private byte[] Bytes(long length)
    {
        long left = stream.Length - stream.Position;
        if (length < 0 || length > left)
            throw new InvalidDataException($"a pickle value at byte {stream.Position} claims {length:N0} bytes, but only {left:N0} remain");
        return reader.ReadBytes((int)length);
    }

    private object ReadLong(long length)
    {
        var value = new BigInteger(Bytes(length), isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    private static long ParseInt(string text) =>
        long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v : text is "00" ? 0 : text is "01" ? 1 : throw new InvalidDataException($"pickle integer '{text}' is not a number");

    private string ReadLine()
    {
        var sb = new StringBuilder();
        for (var b = reader.ReadByte(); b != (byte)'\n'; b = reader.ReadByte())
        {
            if (sb.Length >= MaxLine) throw new InvalidDataException($"pickle text line longer than {MaxLine} bytes at byte {stream.Position}");
            sb.Append((char)b);
        }
        return sb.ToString();
    }
}

/// <summary>A pickle opcode outside the subset <see cref="PickleReader"/> reads (the file may still be a valid pickle).</summary>
internal sealed class UnsupportedPickleException(string message) : Exception(message);
