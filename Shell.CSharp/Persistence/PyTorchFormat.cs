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
/// the state dict arrives intact, numpy scalars and argparse namespaces kept opaque beside it).
/// TorchSharp.PyBridge's unpickler is the fallback for a pickle using an opcode outside that reader's
/// subset, and PyBridge writes the files. This class picks the state dict out of the object and
/// normalises its keys.
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
            var graph = TorchSaveReader.IsLegacy(path) ? TorchSaveReader.ReadLegacy(path) : ReadZipGraph(path);
            top = graph as Hashtable ?? ToHashtable(graph)
                ?? throw new CheckpointFormatException($"'{path}' holds no dict at the top level");
        }
        catch (NotImplementedException e)
        {
            // PyBridge signals the pre-1.6 (non-zip) format and whole pickled modules this way.
            throw new CheckpointFormatException($"'{path}': {e.Message}", e);
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

    /// <summary>
    /// A zip file's object graph: this project's reader first, which checks every member (CRC-32) and
    /// every size before allocating; PyBridge's unpickler only for a pickle that uses an opcode outside
    /// that reader's subset, on bytes already checked, with whatever it throws on them mapped to a
    /// format error.
    /// </summary>
    private static object? ReadZipGraph(string path)
    {
        try
        {
            return TorchSaveReader.ReadZip(path);
        }
        catch (UnsupportedPickleException e)
        {
            try
            {
                using var stream = File.OpenRead(path);
                return PyTorchUnpickler.UnpickleStateDict(stream);
            }
            catch (Exception inner) when (inner is not (OutOfMemoryException or InputException))
            {
                throw new CheckpointFormatException($"'{path}' is not a PyTorch checkpoint this program can read: {e.Message}; PyBridge: {inner.Message}", inner);
            }
        }
    }

    /// <summary>Dicts and lists nested deeper than this are not a state dict (and would exhaust the stack).</summary>
    private const int MaxNesting = 100;

    /// <summary>The reader's object graph in the shape PyBridge returns (Hashtable, ArrayList, Tensor).</summary>
    private static Hashtable? ToHashtable(object? node) => Convert(node, 0) as Hashtable;

    private static object? Convert(object? node, int depth)
    {
        if (depth > MaxNesting) throw new InvalidDataException($"dicts or lists nested more than {MaxNesting} deep (or a list that contains itself)");
        return node switch
        {
            TorchSaveReader.PendingTensor p => p.Value,
            Dictionary<object, object?> d => d.Aggregate(new Hashtable(), (h, kv) => { h[kv.Key] = Convert(kv.Value, depth + 1); return h; }),
            List<object?> l => new ArrayList(l.Select(v => Convert(v, depth + 1)).ToList()),
            _ => node,
        };
    }

    private static string StripPrefix(string key) =>
        key.StartsWith(DataParallelPrefix, StringComparison.Ordinal) ? key[DataParallelPrefix.Length..] : key;

    private static void DisposeOthers(object? node, HashSet<object> keep, int depth = 0)
    {
        if (depth > MaxNesting) return; // a tuple holding a list that holds itself: Convert refused the rest
        switch (node)
        {
            case Tensor t when !keep.Contains(t):
                t.Dispose();
                break;
            case IDictionary d:
                foreach (var v in d.Values) DisposeOthers(v, keep, depth + 1);
                break;
            case IEnumerable e when node is not string:
                foreach (var v in e) DisposeOthers(v, keep, depth + 1);
                break;
        }
    }
}
