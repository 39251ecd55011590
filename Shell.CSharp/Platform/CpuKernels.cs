using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace LogitStd.Shell.Platform;

/// <summary>
/// Makes libtorch's CPU kernels right on the processor at hand before the first convolution, and says
/// what it did (<c>logitstd info</c>, each run's <c>run.json</c>). Once per process; every model of the
/// zoo is created after it (<c>ModelZoo.Create</c> calls it), as is every command (the entry point).
/// </summary>
/// <remarks>
/// <para>The order: (1) where oneDNN's CPU detection read 1-byte caches (<see cref="CpuCacheReport"/>),
/// repair its view (<see cref="OneDnnCacheRepair"/>), or, when that cannot be done, turn oneDNN off
/// before it plans a single primitive — a wrong plan kills the process with SIGFPE, which no check can
/// survive; (2) a self-check of the convolutions against float64 (which libtorch computes without
/// oneDNN) on small cases that include the ones the broken view miscomputes; if one fails, oneDNN is
/// turned off and the check repeated. oneDNN off is correct everywhere but 3–6× slower in
/// convolutions (measured on a 64-channel 3×3 convolution: forward 100 → 320 ms, training step
/// 95 → 572 ms), so it is the fallback, never the first choice.</para>
/// <para><c>LOGITSTD_CPU_KERNELS</c> overrides: <c>auto</c> (the default: the order above),
/// <c>as-is</c> (no repair and no check: libtorch as shipped — on an affected machine, wrong or dead),
/// <c>reference</c> (oneDNN off).</para>
/// </remarks>
public static class CpuKernels
{
    static readonly Lock Gate = new();
    static string? setting;

    /// <summary>What <see cref="Configure"/> chose, for <c>info</c> and <c>run.json</c>; null before it ran.</summary>
    public static string? Setting => setting;

    /// <summary>Configures the kernels once per process (thread-safe) and returns <see cref="Setting"/>.</summary>
    public static string Configure()
    {
        lock (Gate)
        {
            setting ??= Choose();
            return setting;
        }
    }

    static string Choose()
    {
        using (var first = zeros(1)) { } // libtorch loaded (and mapped, for the repair), no oneDNN primitive yet
        LibTorchLog.Quiet();
        var mode = Environment.GetEnvironmentVariable("LOGITSTD_CPU_KERNELS") is { Length: > 0 } m ? m : "auto";
        switch (mode)
        {
            case "as-is": return "libtorch as shipped (LOGITSTD_CPU_KERNELS=as-is: no repair, no self-check)";
            case "reference": return TurnOneDnnOff("LOGITSTD_CPU_KERNELS=reference");
            case "auto": break;
            default: throw new CpuKernelsException($"LOGITSTD_CPU_KERNELS={mode}: expected auto, as-is or reference");
        }
        string view = "oneDNN as shipped";
        var cpu = CpuCacheReport.Read();
        if (cpu is { OneDnnSeesNoCaches: true })
        {
            var library = NativeLibraries.Loaded().FirstOrDefault(p => Path.GetFileName(p) == "libtorch_cpu.so");
            var why = library is null ? "libtorch_cpu.so is not mapped in this process" : OneDnnCacheRepair.TryRepair(library, cpu);
            if (why is not null)
                return TurnOneDnnOff($"it would see 1-byte caches on this processor ({cpu}) and its cache view could not be repaired ({why})");
            view = $"oneDNN with the processor's cache sizes (its own detection read 1-byte caches: {cpu})";
        }
        var failure = SelfCheck();
        if (failure is null) return $"{view}; self-check passed";
        return TurnOneDnnOff($"{view} failed the self-check ({failure})");
    }

    /// <summary>Turns oneDNN off and checks the convolutions again: an error when even libtorch's own kernels are wrong.</summary>
    static string TurnOneDnnOff(string reason)
    {
        LibTorchContext.SetMkldnnEnabled(false);
        if (SelfCheck() is { } failure)
            throw new CpuKernelsException($"libtorch's convolutions are wrong on this processor even without oneDNN ({failure}); oneDNN was off because {reason}. Please report it with the output of `logitstd info`.");
        return $"oneDNN off, because {reason}; self-check passed";
    }

    /// <summary>
    /// Null when float32 convolutions equal float64's to 1e-4 of the output's scale on every case, else
    /// the first case that does not. The cases: channels-last grouped 1×1 convolutions (ShuffleNetV1's
    /// shapes, 89 % wrong under the 1-byte cache view), a 3×3 convolution forward and backward in both
    /// layouts, and the backward of a strided 1×1 convolution (a bottleneck's downsample). Seeded with
    /// its own generator: the global random state is untouched.
    /// </summary>
    public static string? SelfCheck()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator(20261205UL);
        (string Name, long N, long In, long Out, long Size, long Kernel, long Stride, long Groups, bool ChannelsLast, bool Backward)[] cases =
        [
            ("channels-last grouped 1x1 convolution 60->240, 3 groups, 8x8", 2, 60, 240, 8, 1, 1, 3, true, false),
            ("channels-last grouped 1x1 convolution 480->120, 3 groups, 4x4", 2, 480, 120, 4, 1, 1, 3, true, false),
            ("channels-last 3x3 convolution 32->64, 16x16", 2, 32, 64, 16, 3, 1, 1, true, false),
            ("3x3 convolution 16->32, 8x8, forward and backward", 2, 16, 32, 8, 3, 1, 1, false, true),
            ("strided 1x1 convolution 64->128, 8x8, forward and backward", 2, 64, 128, 8, 1, 2, 1, false, true),
        ];
        foreach (var c in cases)
        {
            var x = randn([c.N, c.In, c.Size, c.Size], dtype: float64, generator: generator);
            var w = randn([c.Out, c.In / c.Groups, c.Kernel, c.Kernel], dtype: float64, generator: generator) / Math.Sqrt(c.In / c.Groups * c.Kernel * c.Kernel);
            var gy = randn([c.N, c.Out, (c.Size + 2 * (c.Kernel / 2) - c.Kernel) / c.Stride + 1, (c.Size + 2 * (c.Kernel / 2) - c.Kernel) / c.Stride + 1], dtype: float64, generator: generator);
            var x32 = x.to_type(float32);
            if (c.ChannelsLast) x32 = x32.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2); // (N, C, H, W) with NHWC strides
            var results = Convolve(x, w, gy, c.Stride, c.Kernel / 2, c.Groups, c.Backward);
            var actual = Convolve(x32, w.to_type(float32), gy.to_type(float32), c.Stride, c.Kernel / 2, c.Groups, c.Backward);
            string[] parts = ["output", "input gradient", "weight gradient"];
            for (int i = 0; i < results.Length; i++)
            {
                var error = (actual[i].to_type(float64) - results[i]).abs().max().item<double>() / results[i].abs().max().item<double>();
                if (!(error <= 1e-4)) return $"{c.Name}: {parts[i]} {error:0.###e0} of its scale from float64";
            }
        }
        return null;
    }

    static Tensor[] Convolve(Tensor x, Tensor w, Tensor gy, long stride, long padding, long groups, bool backward)
    {
        if (!backward) return [F.conv2d(x, w, strides: [stride, stride], padding: [padding, padding], groups: groups)];
        using var grad = enable_grad(true);
        var xg = x.detach().requires_grad_(true);
        var wg = w.detach().requires_grad_(true);
        var y = F.conv2d(xg, wg, strides: [stride, stride], padding: [padding, padding], groups: groups);
        var grads = torch.autograd.grad([y], [xg, wg], [gy]);
        return [y.detach(), grads[0], grads[1]];
    }
}

/// <summary>An unknown value of <c>LOGITSTD_CPU_KERNELS</c>.</summary>
public sealed class CpuKernelsException(string message) : InputException(message);

/// <summary>The switch of libtorch's global context that TorchSharp 0.107 does not wrap (exported C++ members of <c>at::Context</c>).</summary>
static class LibTorchContext
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate IntPtr GlobalContext();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate void SetFlag(IntPtr context, [MarshalAs(UnmanagedType.I1)] bool on);

    /// <summary><c>at::globalContext().setUserEnabledMkldnn(on)</c>: whether convolutions may use oneDNN.</summary>
    public static void SetMkldnnEnabled(bool on)
    {
        var library = NativeLibrary.Load(LibTorchPath());
        var context = Marshal.GetDelegateForFunctionPointer<GlobalContext>(NativeLibrary.GetExport(library, "_ZN2at13globalContextEv"))();
        Marshal.GetDelegateForFunctionPointer<SetFlag>(NativeLibrary.GetExport(library, "_ZN2at7Context20setUserEnabledMkldnnEb"))(context, on);
    }

    static string LibTorchPath() =>
        NativeLibraries.Loaded().FirstOrDefault(p => Path.GetFileName(p) == "libtorch_cpu.so") ?? "libtorch_cpu.so";
}
