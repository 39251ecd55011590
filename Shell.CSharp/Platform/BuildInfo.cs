using System.Reflection;

namespace LogitStd.Shell.Platform;

/// <summary>What this program was built with (assembly metadata written by build/LibTorch.targets).</summary>
public static class BuildInfo
{
    /// <summary>The libtorch build mode: <c>cpu</c>, <c>cuda</c> or <c>system</c> (-p:LibTorch=...).</summary>
    public static string LibTorchMode => Metadata("LibTorch");

    /// <summary>The libtorch version TorchSharp was built against (read without initialising TorchSharp).</summary>
    public static string LibTorchVersion => Metadata("LibTorchVersion");

    static string Metadata(string key) =>
        typeof(BuildInfo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value ?? "unknown";
}
