namespace LogitStd.Core

/// Statistics for C# callers, defined once in `Stats`.
[<AbstractClass; Sealed>]
type Statistics =
    /// The mean of the values (at least one).
    static member Mean(values: seq<float>) = Stats.mean (List.ofSeq values)
    /// The sample standard deviation (n − 1); 0 for a single value.
    static member SampleStd(values: seq<float>) = Stats.sampleStd (List.ofSeq values)
