using System.Runtime.InteropServices;

namespace LogitStd.Shell.Platform;

/// <summary>
/// glibc's heap, set for a training process before the first tensor is allocated: blocks below
/// 32 MiB come from the heap (no fresh <c>mmap</c> per activation) and the heap's free top is handed
/// back to the kernel only beyond 256 MiB. With glibc's defaults the thresholds move with what was
/// freed last, and a short step pays page faults for memory it had just returned: measured on this
/// project's machine, the small CNN's channels-last step 5,200 → 7,700–10,200 img/s, the online KD
/// step 107 → 113–123 img/s (its resident memory after 30 steps 781 → 809–931 MiB); PyTorch 1.13
/// gains alike under the same settings (docs/benchmarks.md). The user's own allocator settings win
/// (<c>MALLOC_*_</c>, <c>GLIBC_TUNABLES</c>, <c>LD_PRELOAD</c>): then nothing is changed.
/// </summary>
public static class NativeHeap
{
    const int MTrimThreshold = -1; // glibc's M_TRIM_THRESHOLD
    const int MMmapThreshold = -3; // glibc's M_MMAP_THRESHOLD

    /// <summary>Blocks this large or larger are mapped on their own (and unmapped when freed).</summary>
    public const int MmapThreshold = 32 << 20;

    /// <summary>The heap's free top is trimmed once it exceeds this.</summary>
    public const int TrimThreshold = 256 << 20;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    /// <summary>What <see cref="Configure"/> did, for <c>logitstd info</c> and the bench's header; null before it ran.</summary>
    public static string? Setting { get; private set; }

    /// <summary>Sets both thresholds (once per process) unless the environment sets glibc's malloc tunables; returns <see cref="Setting"/>.</summary>
    public static string Configure()
    {
        if (Setting is not null) return Setting;
        Setting = Choose();
        return Setting;
    }

    static string Choose()
    {
        if (!OperatingSystem.IsLinux()) return "the platform's allocator, unchanged (not Linux)";
        var own = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => (k.StartsWith("MALLOC_", StringComparison.Ordinal) && k.EndsWith('_')) || k == "GLIBC_TUNABLES" || k == "LD_PRELOAD")
            .Order(StringComparer.Ordinal).ToList();
        if (own.Count > 0) return $"glibc's, as the environment sets it ({string.Join(", ", own)})";
        try
        {
            if (MallOpt(MMmapThreshold, MmapThreshold) == 1 && MallOpt(MTrimThreshold, TrimThreshold) == 1)
                return "glibc, mmap threshold 32 MiB, trim threshold 256 MiB";
            return "the C library's allocator, unchanged (mallopt refused the thresholds)";
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return "the C library's allocator, unchanged (no mallopt)";
        }
    }
}
