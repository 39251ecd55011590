using System.Runtime.InteropServices;

namespace LogitStd.Shell.Bench;

/// <summary>
/// Makes libtorch's OpenMP threads sleep instead of spinning while they wait for work
/// (<c>OMP_WAIT_POLICY=PASSIVE</c>), unless the user chose a policy already.
/// </summary>
/// <remarks>
/// Measured on this project's 2-core machine while another training process kept both cores busy
/// (docs/benchmarks.md): with libgomp's default active wait, a 2-thread Fashion-MNIST MLP step ran
/// at 2,900 img/s and the small CNN at 160 img/s; with the passive policy, 18,000 and 970 img/s.
/// Spinning threads burn the time slices the thread they wait for needs. libgomp reads the variable
/// once, when libtorch is loaded, so this must run before the first <c>torch</c> call; and .NET's
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach the native
/// environment on Unix, hence <c>setenv</c> from libc.
/// </remarks>
public static class OpenMpWaitPolicy
{
    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    /// <summary>Sets <c>OMP_WAIT_POLICY=PASSIVE</c> in the native environment if it is unset; returns the policy in effect.</summary>
    public static string PreferPassive()
    {
        const string name = "OMP_WAIT_POLICY";
        var current = Environment.GetEnvironmentVariable(name);
        if (!string.IsNullOrEmpty(current)) return current;
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            if (SetEnv(name, "PASSIVE", 0) != 0) return "default (setenv failed)";
            return "PASSIVE";
        }
        return "default";
    }
}
