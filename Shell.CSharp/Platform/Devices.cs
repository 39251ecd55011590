using TorchSharp;
using static TorchSharp.torch;

namespace LogitStd.Shell.Platform;

/// <summary>
/// The command line's <c>--device</c> as a TorchSharp device, checked against what this process's
/// libtorch can see: asking for CUDA without it is a clear error, not a crash at the first tensor.
/// </summary>
public static class Devices
{
    /// <summary>The device, or an error message naming the flag and what to do.</summary>
    public static (Device? Device, string? Error) Resolve(Core.DeviceChoice.Device requested)
    {
        if (requested is not Core.DeviceChoice.Device.Cuda cuda) return (CPU, null);
        var name = Core.DeviceChoice.name(requested);
        if (!torch.cuda.is_available())
            return (null, $"--device {name}: this process sees no CUDA device (libtorch build mode '{BuildInfo.LibTorchMode}'). " +
                "Train on a GPU with a build made with -p:LibTorch=cuda, or with -p:LibTorch=system and a CUDA libtorch on LD_LIBRARY_PATH; " +
                "`logitstd info` shows which libtorch was loaded (docs/gpu.md).");
        int count = torch.cuda.device_count();
        if (cuda.index >= count)
            return (null, $"--device {name}: there {(count == 1 ? "is 1 CUDA device" : $"are {count} CUDA devices")} (cuda:0{(count > 1 ? $" .. cuda:{count - 1}" : "")})");
        return (torch.device(DeviceType.CUDA, cuda.index), null);
    }
}
