using System.Runtime.InteropServices;

namespace LogitStd.Shell.Platform;

/// <summary>
/// Gives libtorch's oneDNN the cache sizes a processor really has when its own detection read them
/// as 1 byte (<see cref="CpuCacheReport"/>): it writes the legacy CPUID sizes into oneDNN's CPU
/// description — the Xbyak <c>Cpu</c> object behind the hidden function <c>dnnl::impl::cpu::x64::cpu()</c>,
/// found through libtorch_cpu.so's symbol table — before the first oneDNN primitive plans its blocking.
/// </summary>
/// <remarks>
/// Every step is checked, and nothing is written unless all agree: the symbol table belongs to the
/// library in memory (an exported function's address matches), the object holds the layout of
/// oneDNN 3.7's Xbyak (three levels, this processor's family and model at their offsets) and the
/// broken sizes (each under 1 KiB). Otherwise <see cref="TryRepair"/> says why not, and the caller
/// turns oneDNN off instead.
/// </remarks>
public static class OneDnnCacheRepair
{
    const string CpuFunction = "_ZN4dnnl4impl3cpu3x643cpuEv";      // dnnl::impl::cpu::x64::cpu()
    const string ExportedProbe = "_ZN2at13globalContextEv";         // at::globalContext(), exported
    // Xbyak::util::Cpu as oneDNN 3.7.1 compiles it (xbyak_util.h): 16 bytes of feature flags, a bool,
    // numCores_[2], dataCacheSize_[10], coresSharignDataCache_[10], dataCacheLevels_, avx10version_,
    // model, family, stepping, extModel, extFamily, displayFamily, displayModel.
    const int SizesOffset = 28, SharingOffset = 68, LevelsOffset = 108, DisplayFamilyOffset = 136, DisplayModelOffset = 140;

    [StructLayout(LayoutKind.Sequential)]
    struct DlInfo
    {
        public IntPtr FileName, FileBase, SymbolName, SymbolAddress;
    }

    [DllImport("libc", EntryPoint = "dladdr")]
    static extern int DlAddr(IntPtr address, out DlInfo info);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate IntPtr CpuGetter();

    /// <summary>Null when oneDNN now sees <paramref name="cpu"/>'s legacy cache sizes; otherwise why it could not be done.</summary>
    public static string? TryRepair(string libtorchCpu, CpuCacheReport cpu)
    {
        if (!cpu.HasLegacySizes) return "the processor's legacy cache leaves give no sizes either";
        if (!NativeLibrary.TryLoad(libtorchCpu, out var handle) || !NativeLibrary.TryGetExport(handle, ExportedProbe, out var probe))
            return $"{libtorchCpu} does not export {ExportedProbe}";
        if (DlAddr(probe, out var info) == 0) return "dladdr found no load base for libtorch_cpu.so";
        var symbols = ElfSymbols.Find(libtorchCpu, ElfSymbols.Kind.Function, CpuFunction, ExportedProbe);
        if (!symbols.TryGetValue(CpuFunction, out var cpuValue) || !symbols.TryGetValue(ExportedProbe, out var probeValue))
            return $"{libtorchCpu} has no symbol table naming oneDNN's cpu() (a stripped or different build)";
        if ((ulong)info.FileBase + probeValue != (ulong)probe) return $"the symbol table of {libtorchCpu} does not match the library in memory";
        var cpuObject = Marshal.GetDelegateForFunctionPointer<CpuGetter>((IntPtr)((ulong)info.FileBase + cpuValue))();
        int levels = Marshal.ReadInt32(cpuObject, LevelsOffset);
        if (levels != 3 || Marshal.ReadInt32(cpuObject, DisplayFamilyOffset) != cpu.DisplayFamily || Marshal.ReadInt32(cpuObject, DisplayModelOffset) != cpu.DisplayModel)
            return "oneDNN's CPU description does not have the layout of oneDNN 3.7 (levels, family and model disagree with CPUID)";
        var seen = Enumerable.Range(0, 3).Select(i => Marshal.ReadInt32(cpuObject, SizesOffset + 4 * i)).ToArray();
        if (seen.Any(s => s >= 1024)) return $"oneDNN already sees caches of {string.Join(", ", seen)} bytes: nothing to repair";
        long[] sizes = [cpu.L1Bytes, cpu.L2Bytes, cpu.L3Bytes];
        int[] sharing = [1, 1, cpu.L3Sharing];
        for (int i = 0; i < 3; i++)
        {
            Marshal.WriteInt32(cpuObject, SizesOffset + 4 * i, (int)Math.Min(sizes[i], int.MaxValue));
            Marshal.WriteInt32(cpuObject, SharingOffset + 4 * i, sharing[i]);
        }
        return null;
    }
}
