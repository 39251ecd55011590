using System.Reflection;

namespace LogitStd.Shell.Platform;

/// <summary>What this program was built with (assembly metadata written by build/LibTorch.targets).</summary>
public static class BuildInfo
{
    /// <summary>The libtorch build mode: <c>cpu</c>, <c>cuda</c> or <c>system</c> (-p:LibTorch=...).</summary>
    public static string LibTorchMode =>
        typeof(BuildInfo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "LibTorch")?.Value ?? "unknown";
}
