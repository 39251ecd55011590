using Microsoft.FSharp.Core;

namespace LogitStd.Shell;

/// <summary>Small conversions from F# types at the core/shell boundary.</summary>
public static class FSharpInterop
{
    public static string? ToNullable(this FSharpOption<string>? o) => FSharpOption<string>.get_IsSome(o) ? o!.Value : null;
    public static int? ToNullable(this FSharpOption<int>? o) => FSharpOption<int>.get_IsSome(o) ? o!.Value : null;
}
