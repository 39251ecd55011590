using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using LogitStd.Shell.Platform;
using TorchSharp;

namespace LogitStd.Shell.Cli;

/// <summary>
/// <c>logitstd info</c>: what this process runs on, in the spirit of PyTorch's <c>collect_env</c> —
/// TorchSharp and libtorch versions, the file every native library was loaded from, CUDA devices,
/// threads and OpenMP settings, the .NET runtime and the OS. Exit 0, or 1 when libtorch cannot load.
/// </summary>
public static class InfoCommand
{
    static readonly string[] ThreadVariables = ["OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OMP_PROC_BIND", "GOMP_SPINCOUNT", "MKL_NUM_THREADS", "KMP_AFFINITY"];

    /// <summary>The report; initialises libtorch (CPU, and the CUDA query) first so the maps show what loaded.</summary>
    public static string Report()
    {
        bool cudaAvailable = torch.cuda.is_available();
        int cudaCount = cudaAvailable ? torch.cuda.device_count() : 0;
        bool cudnn = cudaAvailable && torch.cuda.is_cudnn_available();
        using (var probe = torch.ones(1)) probe.sum().Dispose(); // a first op: libtorch is loaded and working
        var kernels = CpuKernels.Configure();

        var sb = new StringBuilder();
        void Line(string key, string value) => sb.AppendLine($"  {key,-32} {value}");
        void Section(string name) { sb.AppendLine(); sb.AppendLine(name); }
        string Env(string name) => Environment.GetEnvironmentVariable(name) is { } v ? v : "(unset)";

        sb.AppendLine("LogitStd environment (logitstd info)");
        Section("Build");
        Line("libtorch build mode", $"{BuildInfo.LibTorchMode} (-p:LibTorch=cpu|cuda|system, build/LibTorch.props)");
        var torchSharp = typeof(torch).Assembly;
        Line("TorchSharp", $"{torchSharp.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? torchSharp.GetName().Version?.ToString()} ({torchSharp.Location})");
        Line("libtorch TorchSharp expects", torch.__version__);
        Line("libtorch package (deps.json)", LibTorchPackages() ?? "none: libtorch comes from the loader's search path (LD_LIBRARY_PATH)");

        Section("Native libraries loaded (/proc/self/maps)");
        var loaded = NativeLibraries.Relevant(NativeLibraries.Loaded());
        foreach (var path in loaded) Line(Path.GetFileName(path), path);
        if (loaded.Count == 0) Line("(none found)", "/proc/self/maps is not readable here");
        var libtorchCpu = loaded.FirstOrDefault(p => Path.GetFileName(p) == "libtorch_cpu.so");
        if (libtorchCpu is not null)
            Line("libtorch version beside it", NativeLibraries.VersionBeside(libtorchCpu) ?? "not recorded there (see the package above)");
        Line("LD_LIBRARY_PATH", Env("LD_LIBRARY_PATH"));

        Section("CUDA");
        Line("torch.cuda.is_available()", cudaAvailable ? "true" : "false");
        Line("torch.cuda.device_count()", cudaCount.ToString(CultureInfo.InvariantCulture));
        Line("cuDNN available", cudnn ? "true" : "false");
        Line("CUDA_VISIBLE_DEVICES", Env("CUDA_VISIBLE_DEVICES"));
        var (driver, devices, problem) = CudaDriver.Query();
        Line("NVIDIA driver (CUDA API)", driver is int v ? $"{v / 1000}.{v % 1000 / 10}" : problem ?? "unknown");
        foreach (var d in devices)
            Line($"cuda:{d.Index}", string.Create(CultureInfo.InvariantCulture, $"{d.Name}, {d.TotalMemoryBytes / 1073741824.0:F1} GiB, compute capability {d.ComputeMajor}.{d.ComputeMinor}"));

        Section("Threads");
        Line("torch.get_num_threads()", torch.get_num_threads().ToString(CultureInfo.InvariantCulture));
        Line("torch.get_num_interop_threads()", torch.get_num_interop_threads().ToString(CultureInfo.InvariantCulture));
        Line("cores available", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture));
        foreach (var name in ThreadVariables) Line(name, Env(name));

        Section("Runtime");
        var selfContained = Path.GetDirectoryName(typeof(object).Assembly.Location) == AppContext.BaseDirectory.TrimEnd('/');
        Line(".NET", $"{RuntimeInformation.FrameworkDescription} ({(selfContained ? "self-contained, carried by the app" : "shared runtime")}, {typeof(object).Assembly.Location})");
        Line("runtime identifier", RuntimeInformation.RuntimeIdentifier);
        Line("process", $"{Environment.ProcessPath} (64-bit: {Environment.Is64BitProcess})");
        Line("native heap", Platform.NativeHeap.Setting ?? "not configured (logitstd's entry point sets it)");
        Line("CPU kernels", kernels);
        Line("libtorch log", LibTorchLog.Setting ?? "libtorch's default");
        Line("tiered compilation", AppContext.TryGetSwitch("System.Runtime.TieredCompilation", out var tiered) ? (tiered ? "on" : "off") : "runtime default");

        Section("OS");
        Line("distribution", OsRelease() ?? RuntimeInformation.OSDescription);
        Line("kernel", ReadFirstLine("/proc/sys/kernel/osrelease") ?? RuntimeInformation.OSDescription);
        Line("architecture", RuntimeInformation.OSArchitecture.ToString());
        Line("CPU", CpuModel() ?? "unknown");
        Line("memory", MemTotal() ?? "unknown");
        return sb.ToString();
    }

    /// <summary>The libtorch packages the app was built with, from its deps.json (<c>name version</c>).</summary>
    static string? LibTorchPackages()
    {
        var entry = Assembly.GetEntryAssembly()?.GetName().Name;
        var deps = entry is null ? null : Path.Combine(AppContext.BaseDirectory, entry + ".deps.json");
        if (deps is null || !File.Exists(deps)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(deps));
        if (!doc.RootElement.TryGetProperty("libraries", out var libraries)) return null;
        var names = libraries.EnumerateObject().Select(p => p.Name)
            .Where(n => n.StartsWith("libtorch-", StringComparison.OrdinalIgnoreCase) || n.StartsWith("TorchSharp-cuda", StringComparison.OrdinalIgnoreCase))
            .Select(n => n.Replace('/', ' ')).ToList();
        return names.Count == 0 ? null : string.Join(", ", names);
    }

    static string? ReadFirstLine(string path) => File.Exists(path) ? File.ReadLines(path).FirstOrDefault()?.Trim() : null;

    static string? OsRelease() =>
        File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?["PRETTY_NAME=".Length..].Trim('"')
            : null;

    static string? CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;

    static string? MemTotal()
    {
        var line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) : null;
        if (line is null) return null;
        var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{kb / 1048576.0:F1} GiB");
    }

    public static int Run(string? outFile, TextWriter stdout, TextWriter stderr)
    {
        var text = Report();
        stdout.Write(text);
        // A refused write is an OutputWriteException naming the file (exit 1, ExitCodes).
        if (outFile is not null) Persistence.Atomic.WriteText(outFile, text);
        return 0;
    }
}
