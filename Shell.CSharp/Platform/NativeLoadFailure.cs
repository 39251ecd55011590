namespace LogitStd.Shell.Platform;

/// <summary>
/// Recognises "libtorch did not load" among exceptions, so that a missing or mismatched libtorch is
/// a clear error (exit 1) telling the user what to put where, not an internal error (exit 70).
/// </summary>
public static class NativeLoadFailure
{
    /// <summary>A message for the user when <paramref name="e"/> comes from loading the native backend; null otherwise.</summary>
    public static string? Describe(Exception e)
    {
        for (var x = (Exception?)e; x is not null; x = x.InnerException)
        {
            bool native = x is DllNotFoundException or EntryPointNotFoundException
                || (x is NotSupportedException or TypeInitializationException or InvalidOperationException
                    && (x.Message.Contains("libtorch", StringComparison.OrdinalIgnoreCase) || x.Message.Contains("LibTorchSharp", StringComparison.Ordinal)));
            if (!native) continue;
            var mode = BuildInfo.LibTorchMode;
            var hint = mode == "system"
                ? $"This build carries no libtorch (-p:LibTorch=system): put the lib folder of a libtorch {BuildInfo.LibTorchVersion} on LD_LIBRARY_PATH, " +
                  "e.g. a PyTorch install's $(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')/lib."
                : $"This build's libtorch (-p:LibTorch={mode}) should sit beside the program; rebuild, or check it with `ldd -r libLibTorchSharp.so`.";
            return $"libtorch could not be loaded: {FirstLine(x.Message)}\n{hint}\n" +
                "To see which symbol or file is missing: ldd -r <program folder>/libLibTorchSharp.so (with the same LD_LIBRARY_PATH); docs/gpu.md.";
        }
        return null;
    }

    static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();
}
