using System.Diagnostics;
using System.Globalization;

namespace LogitStd.Shell.Bench;

/// <summary>
/// A point in time of this process: wall clock, CPU time of all its threads, resident memory. Two
/// samples give throughput and CPU ÷ wall, the number that shows whether the machine was shared
/// (≈ the thread count when nothing else runs, lower when another process takes the cores).
/// </summary>
public readonly record struct ProcessSample(long Timestamp, TimeSpan Cpu, long ResidentBytes)
{
    /// <summary>Samples the current process now.</summary>
    public static ProcessSample Now()
    {
        using var p = Process.GetCurrentProcess();
        return new ProcessSample(Stopwatch.GetTimestamp(), p.TotalProcessorTime, ResidentSetBytes(p));
    }

    /// <summary>Seconds of wall clock from <paramref name="start"/> to this sample.</summary>
    public double WallSecondsSince(ProcessSample start) => Stopwatch.GetElapsedTime(start.Timestamp, Timestamp).TotalSeconds;

    /// <summary>CPU seconds (all threads) ÷ wall seconds between the two samples.</summary>
    public double CpuPerWallSince(ProcessSample start) => (Cpu - start.Cpu).TotalSeconds / Math.Max(WallSecondsSince(start), 1e-9);

    /// <summary>Resident set size in MiB.</summary>
    public double ResidentMiB => ResidentBytes / (1024.0 * 1024.0);

    // VmRSS from /proc is what `ps` and the kernel's OOM killer see; WorkingSet64 reads the same value
    // on Linux but is cached per Process object, so the file is read directly where it exists.
    static long ResidentSetBytes(Process p)
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
            foreach (var line in File.ReadLines(status))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
        p.Refresh();
        return p.WorkingSet64;
    }
}
