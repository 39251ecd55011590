using System.Collections;
using System.IO.Compression;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace LogitStd.Shell.Persistence;

/// <summary>
/// Files written by <c>torch.save</c>, zip format (PyTorch ≥ 1.6) and the older one in which
/// CRD's/mdistiller's CIFAR teachers were written, are read by this project's
/// <see cref="TorchSaveReader"/>, which trusts nothing in the file: every zip member's length and
/// CRC-32 is checked, every size in the pickle against the bytes the file holds, every tensor view
/// against its storage. It returns the whole pickled object (so a dict whose <c>"model"</c> entry is
/// the state dict arrives intact, numpy scalars kept opaque beside it). It is the only reader: a pickle
/// it does not accept (an opcode outside its subset, a global outside <see cref="PickleGlobals"/>) is a
/// format error, never handed to a laxer unpickler. PyBridge writes the files. This class picks the
/// state dict out of the object and normalises its keys.
/// </summary>
public static class PyTorchFormat
{
    /// <summary>Entries of a checkpoint dict that may hold the state dict, tried in this order.</summary>
    private static readonly string[] NestedKeys = ["model", "state_dict", "net"];

    private const string DataParallelPrefix = "module.";

    /// <summary>True when <paramref name="path"/> is a <c>torch.save</c> file in either format.</summary>
    public static bool IsPyTorchFile(string path) => IsPyTorchZip(path) || TorchSaveReader.IsLegacy(path);

    /// <summary>True when <paramref name="path"/> is a zip archive holding a pickle (<c>*/data.pkl</c>).</summary>
    public static bool IsPyTorchZip(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return zip.Entries.Any(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads the state dict from a <c>torch.save</c> file (zip or legacy format): either a bare state dict or a dict with a
    /// <c>"model"</c> (or <c>"state_dict"</c>) entry. Keys lose DataParallel's <c>module.</c> prefix;
    /// non-tensor entries (e.g. the <c>_metadata</c> of an OrderedDict) are dropped. The caller owns the tensors.
    /// </summary>
    /// <exception cref="CheckpointFormatException">The file is not a readable zip-format PyTorch file or holds no state dict.</exception>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        Hashtable top;
        try
        {
            var graph = TorchSaveReader.IsLegacy(path) ? TorchSaveReader.ReadLegacy(path) : TorchSaveReader.ReadZip(path);
            top = graph as Hashtable ?? ToHashtable(graph)
                ?? throw new CheckpointFormatException($"'{path}' holds no dict at the top level");
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or UnsupportedPickleException)
        {
            throw new CheckpointFormatException($"'{path}' is not a PyTorch checkpoint this program can read: {e.Message}", e);
        }

        var stateDict = top;
        foreach (var key in NestedKeys)
        {
            if (top[key] is Hashtable nested && nested.Values.OfType<Tensor>().Any())
            {
                stateDict = nested;
                break;
            }
        }

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in stateDict)
        {
            if (entry.Key is not string key || entry.Value is not Tensor tensor) continue;
            result[StripPrefix(key)] = tensor;
        }
        // Tensors of the sections not used (optimizer momenta, accuracy) are released now.
        DisposeOthers(top, new HashSet<object>(result.Values, ReferenceEqualityComparer.Instance));
        if (result.Count == 0)
            throw new CheckpointFormatException($"'{path}' holds no state dict (no tensors at the top level or under {string.Join("/", NestedKeys.Select(k => $"\"{k}\""))})");
        return result;
    }

    /// <summary>
    /// Writes <paramref name="stateDict"/> as <c>torch.save</c> would: a zip with <c>data.pkl</c> and one
    /// storage per tensor, loadable with <c>torch.load</c> and <c>load_state_dict</c>. With
    /// <paramref name="nestUnderModel"/> the file holds <c>{"model": state_dict}</c> (mdistiller's layout).
    /// </summary>
    public static void WriteStateDict(IReadOnlyDictionary<string, Tensor> stateDict, string path, bool nestUnderModel = false)
    {
        // Detached contiguous CPU copies: the pickler writes raw storage bytes and the tensor's strides.
        var copies = new Hashtable();
        try
        {
            foreach (var (key, tensor) in stateDict)
            {
                using var scope = NewDisposeScope();
                copies[key] = tensor.detach().cpu().contiguous().clone().MoveToOuterDisposeScope();
            }
            IDictionary payload = nestUnderModel ? new Hashtable { ["model"] = copies } : copies;
            Atomic.Write(path, stream => PyTorchPickler.PickleStateDict(stream, payload, leaveOpen: true));
        }
        finally
        {
            foreach (Tensor t in copies.Values) t.Dispose();
        }
    }

    /// <summary>Dicts and lists nested deeper than this are not a state dict (and would exhaust the stack).</summary>
    private const int MaxNesting = 100;

    /// <summary>The reader's object graph in the shape the state-dict search expects (Hashtable, ArrayList, Tensor).</summary>
    private static Hashtable? ToHashtable(object? node) =>
        Convert(node, 0, new Dictionary<object, object>(ReferenceEqualityComparer.Instance)) as Hashtable;

    /// <summary>
    /// Converts each dict and list once: <paramref name="done"/> maps a reader object to its conversion,
    /// registered before its children are converted, so a structure shared many times (a list holding the
    /// same list twice, forty levels deep) stays shared, and a cycle (a list that holds a tuple that holds
    /// the list) ends, instead of being copied once per path through it.
    /// </summary>
    private static object? Convert(object? node, int depth, Dictionary<object, object> done)
    {
        if (node is null) return null;
        if (done.TryGetValue(node, out var converted)) return converted;
        if (depth > MaxNesting) throw new InvalidDataException($"dicts or lists nested more than {MaxNesting} deep");
        switch (node)
        {
            case TorchSaveReader.PendingTensor p:
                return p.Value;
            case Dictionary<object, object?> d:
            {
                var table = new Hashtable();
                done[node] = table;
                foreach (var kv in d) table[kv.Key] = Convert(kv.Value, depth + 1, done);
                return table;
            }
            case List<object?> l:
            {
                var list = new ArrayList(l.Count);
                done[node] = list;
                foreach (var v in l) list.Add(Convert(v, depth + 1, done));
                return list;
            }
            default:
                return node;
        }
    }

    private static string StripPrefix(string key) =>
        key.StartsWith(DataParallelPrefix, StringComparison.Ordinal) ? key[DataParallelPrefix.Length..] : key;

    /// <summary>Disposes every tensor of the graph not in <paramref name="keep"/>, visiting each container
    /// once (<paramref name="seen"/>), so shared and cyclic structure costs one visit per object.</summary>
    private static void DisposeOthers(object? node, HashSet<object> keep, HashSet<object>? seen = null, int depth = 0)
    {
        seen ??= new HashSet<object>(ReferenceEqualityComparer.Instance);
        if (node is null || depth > MaxNesting || !seen.Add(node)) return;
        switch (node)
        {
            case Tensor t when !keep.Contains(t):
                t.Dispose();
                break;
            case IDictionary d:
                foreach (var v in d.Values) DisposeOthers(v, keep, seen, depth + 1);
                break;
            case IEnumerable e when node is not string:
                foreach (var v in e) DisposeOthers(v, keep, seen, depth + 1);
                break;
        }
    }
}
