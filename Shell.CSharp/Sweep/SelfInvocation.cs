using System.Reflection;

namespace LogitStd.Shell.Sweep;

/// <summary>How to start this same program again as a child process (or from a Slurm task).</summary>
public static class SelfInvocation
{
    /// <summary>The apphost (<c>logitstd</c>) alone, or <c>dotnet logitstd.dll</c> when started through the dotnet host.</summary>
    public static IReadOnlyList<string> Command()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("the process path is unknown");
        var entry = Assembly.GetEntryAssembly()?.Location;
        bool viaHost = Path.GetFileNameWithoutExtension(process) == "dotnet";
        return viaHost && !string.IsNullOrEmpty(entry) ? [process, entry] : [process];
    }
}
