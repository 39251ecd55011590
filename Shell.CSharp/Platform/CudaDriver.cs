using System.Runtime.InteropServices;
using System.Text;

namespace LogitStd.Shell.Platform;

/// <summary>One CUDA device as the driver reports it.</summary>
public sealed record CudaDeviceInfo(int Index, string Name, ulong TotalMemoryBytes, int ComputeMajor, int ComputeMinor);

/// <summary>
/// Device names and memory from the CUDA driver API (<c>libcuda.so.1</c>, installed with the NVIDIA
/// driver), which TorchSharp does not expose. Loaded lazily and optionally: on a machine without the
/// driver every query says so instead of failing.
/// </summary>
public static class CudaDriver
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int CuInit(uint flags);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int CuIntOut(out int value);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int CuDeviceGet(out int device, int ordinal);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int CuDeviceGetName(byte[] name, int length, int device);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int CuDeviceTotalMem(out ulong bytes, int device);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int CuDeviceGetAttribute(out int value, int attribute, int device);

    const int ComputeCapabilityMajor = 75, ComputeCapabilityMinor = 76; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_*

    /// <summary>The driver's version (e.g. 13000 for 13.0) and its devices, or the reason there are none.</summary>
    public static (int? DriverVersion, IReadOnlyList<CudaDeviceInfo> Devices, string? Problem) Query()
    {
        if (!NativeLibrary.TryLoad("libcuda.so.1", out var lib))
            return (null, [], "no NVIDIA driver (libcuda.so.1 not found)");
        T Fn<T>(string name) where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(lib, name));
        try
        {
            int rc = Fn<CuInit>("cuInit")(0);
            if (rc != 0) return (null, [], $"cuInit failed with CUDA error {rc}");
            Fn<CuIntOut>("cuDriverGetVersion")(out var version);
            Fn<CuIntOut>("cuDeviceGetCount")(out var count);
            var devices = new List<CudaDeviceInfo>();
            var getName = Fn<CuDeviceGetName>("cuDeviceGetName");
            var totalMem = Fn<CuDeviceTotalMem>("cuDeviceTotalMem_v2");
            var attribute = Fn<CuDeviceGetAttribute>("cuDeviceGetAttribute");
            for (int i = 0; i < count; i++)
            {
                Fn<CuDeviceGet>("cuDeviceGet")(out var dev, i);
                var buffer = new byte[256];
                getName(buffer, buffer.Length, dev);
                totalMem(out var bytes, dev);
                attribute(out var major, ComputeCapabilityMajor, dev);
                attribute(out var minor, ComputeCapabilityMinor, dev);
                devices.Add(new CudaDeviceInfo(i, Encoding.ASCII.GetString(buffer).TrimEnd('\0'), bytes, major, minor));
            }
            return (version, devices, null);
        }
        catch (EntryPointNotFoundException e) { return (null, [], $"libcuda.so.1 lacks {e.Message}"); }
    }
}
