using System.Runtime.InteropServices;

namespace LogitStd.Shell.Platform;

/// <summary>
/// A system-mode build (-p:LibTorch=system) carries no libtorch: it must come from the dynamic
/// loader's search path (LD_LIBRARY_PATH). TorchSharp's own loader, when that fails, falls back to
/// copying a libtorch-cpu package out of a NuGet cache it finds beside it — on a developer machine
/// that would silently run the cache's CPU libtorch instead of the one asked for. Loading
/// <c>libtorch_cpu.so</c> by plain name first, before TorchSharp, turns a missing libtorch into a clear
/// error and guarantees the library in use is the one on the search path.
/// </summary>
public static class SystemLibTorch
{
    /// <summary>Null when libtorch loaded (or the build carries its own); otherwise the user's error message.</summary>
    public static string? EnsureLoaded()
    {
        if (BuildInfo.LibTorchMode != "system") return null;
        if (NativeLibrary.TryLoad("libtorch_cpu.so", out _)) return null;
        var path = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        return "this build carries no libtorch (-p:LibTorch=system) and libtorch_cpu.so is not on the loader's search path " +
            $"(LD_LIBRARY_PATH={(string.IsNullOrEmpty(path) ? "(unset)" : path)}). Put the lib folder of a libtorch {BuildInfo.LibTorchVersion} " +
            "(or a PyTorch install of that version: $(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')/lib) on LD_LIBRARY_PATH; docs/gpu.md.";
    }
}
