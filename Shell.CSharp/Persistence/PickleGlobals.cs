namespace LogitStd.Shell.Persistence;

/// <summary>
/// The Python globals a checkpoint's pickle may name, as <c>torch.load(weights_only=True)</c> allows
/// them: the tensor and parameter rebuilds, the typed storages, <c>OrderedDict</c>, and the numpy
/// scalars official checkpoints hold (a <c>best_acc</c> saved as <c>numpy.float64</c>). The reader
/// never calls a global, but a pickle naming anything else — <c>os.system</c>, <c>builtins.exec</c>,
/// <c>subprocess.Popen</c> — was written to run code in Python's unpickler: it is refused by name, so
/// that a file this program accepts is one PyTorch would load safely too.
/// </summary>
internal static class PickleGlobals
{
    static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.LongStorage",
        "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage", "torch.BoolStorage",
        "torch.Size", "torch.device",
        // numpy scalars: numpy.core (numpy < 2) and numpy._core (numpy 2), their dtype, and the bytes of the value.
        "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar", "numpy.dtype", "_codecs.encode",
    };

    /// <summary>Whether <paramref name="g"/> is on the list.</summary>
    public static bool IsAllowed(PyGlobal g) => Allowed.Contains(g.FullName);

    /// <summary>The error for a global not on the list, naming it.</summary>
    public static InvalidDataException Refusal(PyGlobal g, long position) =>
        new($"the pickle names the Python global {g.FullName} (at byte {position}), which a checkpoint of weights does not hold " +
            "(tensors, storages, OrderedDict, numpy scalars); refused, as torch.load(weights_only=True) refuses it");
}
