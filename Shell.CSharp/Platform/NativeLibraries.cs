namespace LogitStd.Shell.Platform;

/// <summary>
/// The shared libraries mapped into this process, read from <c>/proc/self/maps</c>: after TorchSharp
/// has initialised, this says which libtorch, LibTorchSharp, OpenMP and C++ runtime were really
/// loaded (the loader's search through LD_LIBRARY_PATH and the app folder leaves no other trace).
/// </summary>
public static class NativeLibraries
{
    /// <summary>Every mapped file whose name looks like a shared library (<c>*.so</c>, <c>*.so.N</c>), in map order, each once.</summary>
    public static IReadOnlyList<string> Loaded(string mapsFile = "/proc/self/maps")
    {
        if (!File.Exists(mapsFile)) return [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<string>();
        foreach (var line in File.ReadLines(mapsFile))
        {
            // address perms offset dev inode [path]; the path is the sixth field and may hold spaces.
            var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 6) continue;
            var path = parts[5].Trim();
            if (!path.StartsWith('/') || !IsSharedLibrary(Path.GetFileName(path))) continue;
            if (seen.Add(path)) list.Add(path);
        }
        return list;
    }

    static bool IsSharedLibrary(string name) => name.EndsWith(".so", StringComparison.Ordinal) || name.Contains(".so.", StringComparison.Ordinal);

    /// <summary>The libraries <c>logitstd info</c> reports: libtorch's own, LibTorchSharp, CUDA's, OpenMP, the C++ runtime.</summary>
    public static IReadOnlyList<string> Relevant(IEnumerable<string> loaded)
    {
        string[] prefixes = ["libtorch", "libc10", "libLibTorchSharp", "libgomp", "libiomp", "libomp", "libcuda", "libcudart", "libcudnn",
            "libcublas", "libnvrtc", "libnccl", "libnvToolsExt", "libstdc++", "libmkl", "libopenblas"];
        return loaded.Where(p => prefixes.Any(x => Path.GetFileName(p).StartsWith(x, StringComparison.Ordinal))).ToList();
    }

    /// <summary>
    /// The libtorch version recorded next to the loaded <c>libtorch_cpu.so</c>: a PyTorch install's
    /// <c>torch/version.py</c>, a libtorch archive's <c>build-version</c>; null when there is none
    /// (the NuGet package's copy in the build output records its version in the app's deps.json instead).
    /// </summary>
    public static string? VersionBeside(string libtorchCpu)
    {
        var lib = Path.GetDirectoryName(libtorchCpu);
        if (lib is null) return null;
        var root = Path.GetDirectoryName(lib);
        if (root is null) return null;
        var buildVersion = Path.Combine(root, "build-version");
        if (File.Exists(buildVersion)) return File.ReadAllText(buildVersion).Trim();
        var versionPy = Path.Combine(root, "version.py");
        if (File.Exists(versionPy))
            foreach (var line in File.ReadLines(versionPy))
            {
                var t = line.Trim();
                if (!t.StartsWith("__version__", StringComparison.Ordinal)) continue;
                var eq = t.IndexOf('=');
                if (eq > 0) return t[(eq + 1)..].Trim().Trim('\'', '"');
            }
        return null;
    }
}
