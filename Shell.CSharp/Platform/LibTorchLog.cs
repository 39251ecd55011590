using System.Runtime.InteropServices;

namespace LogitStd.Shell.Platform;

/// <summary>
/// libtorch's own log (c10's <c>LOG(WARNING)</c>) kept off the user's terminal: without it every process
/// printed <c>Could not initialize NNPACK! Reason: Unsupported hardware.</c> once per convolution
/// thread (the Demo's log had nine). c10 drops messages below <c>FLAGS_caffe2_log_level</c>, an exported
/// variable of libc10.so, which this raises from WARNING (1) to ERROR (2). A user who sets
/// <c>TORCH_CPP_LOG_LEVEL</c> (c10's own variable, e.g. <c>INFO</c> to see everything) keeps that choice.
/// </summary>
public static class LibTorchLog
{
    const int Error = 2;

    /// <summary>What was done, for <c>logitstd info</c>; null before <see cref="Quiet"/> ran.</summary>
    public static string? Setting { get; private set; }

    /// <summary>Raises c10's log threshold to errors unless the environment chose one; libtorch must be loaded.</summary>
    public static void Quiet()
    {
        if (Environment.GetEnvironmentVariable("TORCH_CPP_LOG_LEVEL") is { Length: > 0 } own)
        {
            Setting = $"as TORCH_CPP_LOG_LEVEL={own} sets it";
            return;
        }
        var c10 = NativeLibraries.Loaded().FirstOrDefault(p => Path.GetFileName(p) == "libc10.so");
        if (c10 is not null && NativeLibrary.TryLoad(c10, out var handle) && NativeLibrary.TryGetExport(handle, "FLAGS_caffe2_log_level", out var level))
        {
            Marshal.WriteInt32(level, Error);
            Setting = "errors only (libtorch's warnings are not printed; TORCH_CPP_LOG_LEVEL=WARNING shows them)";
        }
        else Setting = "libtorch's default (libc10.so exports no FLAGS_caffe2_log_level)";
    }
}
