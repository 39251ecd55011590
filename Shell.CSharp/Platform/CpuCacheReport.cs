using System.Runtime.Intrinsics.X86;

namespace LogitStd.Shell.Platform;

/// <summary>
/// What the processor says of its data caches through CPUID, read the way oneDNN's CPU detection
/// (Xbyak) reads it and the way AMD documents for older parts.
/// </summary>
/// <remarks>
/// On AMD, Xbyak (in libtorch 2.10's oneDNN 3.7) assumes three cache levels and sizes each from
/// CPUID leaf 0x8000001D (ways × partitions × line × sets, each field stored minus one). Some
/// hypervisors leave that leaf all zero — the AMD EPYC (family 26) machines this project runs on do —
/// and oneDNN then plans its blocking for 1-byte L1, L2 and L3 caches: a strided 1×1 convolution's
/// backward divides by zero (SIGFPE, <c>brgemm_convolution_bwd_utils::brg_blocking_t::est_eff_1x1</c>)
/// and channels-last grouped 1×1 convolutions return wrong values (89 % of the output's scale).
/// The same processors still answer the legacy leaves 0x80000005 (L1 data) and 0x80000006 (L2, L3),
/// which are what <see cref="Legacy"/> reads.
/// </remarks>
public sealed record CpuCacheReport(string Vendor, int DisplayFamily, int DisplayModel, bool AmdTopologyLeafEmpty, long L1Bytes, long L2Bytes, long L3Bytes, int L3Sharing)
{
    /// <summary>This processor's report; null off x86 (oneDNN's x64 detection does not run there).</summary>
    public static CpuCacheReport? Read()
    {
        if (!X86Base.IsSupported) return null;
        var (_, b, c, d) = X86Base.CpuId(0, 0);
        var vendor = string.Concat(Text(b), Text(d), Text(c));
        var (eax1, _, _, _) = X86Base.CpuId(1, 0);
        int family = (eax1 >> 8) & 0xF, model = (eax1 >> 4) & 0xF;
        int displayFamily = family == 0xF ? family + ((eax1 >> 20) & 0xFF) : family;
        int displayModel = family is 0x6 or 0xF ? model + (((eax1 >> 16) & 0xF) << 4) : model;
        uint maxExtended = (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
        bool amd = vendor == "AuthenticAMD";
        bool leafEmpty = amd && maxExtended >= 0x8000001D && (X86Base.CpuId(unchecked((int)0x8000001D), 0).Eax & 0x1F) == 0;
        var (l1, l2, l3, sharing) = amd && maxExtended >= 0x80000008 ? Legacy() : (0L, 0L, 0L, 1);
        return new CpuCacheReport(vendor, displayFamily, displayModel, leafEmpty, l1, l2, l3, sharing);
    }

    /// <summary>Whether oneDNN sees 1-byte caches on this processor (see the remarks).</summary>
    public bool OneDnnSeesNoCaches => AmdTopologyLeafEmpty;

    /// <summary>Whether the legacy leaves give a usable size for every level.</summary>
    public bool HasLegacySizes => L1Bytes >= 1024 && L2Bytes >= 1024 && L3Bytes >= 1024;

    /// <summary>AMD's legacy leaves: L1 data (0x80000005 ECX[31:24] KiB), L2 (0x80000006 ECX[31:16] KiB), L3 (EDX[31:18] × 512 KiB, shared by the package's logical processors, 0x80000008 ECX[7:0] + 1).</summary>
    static (long L1, long L2, long L3, int L3Sharing) Legacy()
    {
        var l1 = (long)((uint)X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx >> 24) * 1024;
        var (_, _, ecx6, edx6) = X86Base.CpuId(unchecked((int)0x80000006), 0);
        var l2 = (long)((uint)ecx6 >> 16) * 1024;
        var l3 = (long)((uint)edx6 >> 18) * 512 * 1024;
        var sharing = (X86Base.CpuId(unchecked((int)0x80000008), 0).Ecx & 0xFF) + 1;
        return (l1, l2, l3, sharing);
    }

    static string Text(int register) => string.Create(4, register, (span, r) =>
    {
        for (int i = 0; i < 4; i++) span[i] = (char)((r >> (8 * i)) & 0xFF);
    });

    public override string ToString() =>
        $"{Vendor} family {DisplayFamily} model {DisplayModel}; " +
        (AmdTopologyLeafEmpty ? "CPUID leaf 0x8000001D (cache topology) empty; " : "") +
        (HasLegacySizes ? $"L1d {L1Bytes / 1024} KiB, L2 {L2Bytes / 1024} KiB, L3 {L3Bytes / 1048576} MiB shared by {L3Sharing}" : "legacy cache leaves not read");
}
