/// The bound on a thread count, from `--threads` or a run folder's run.json: libtorch starts every
/// thread it is told to, and 100,000 of them hang the machine before the first step.
module LogitStd.Core.CliThreads

/// More threads than any machine this program runs on has cores (the largest nodes have a few hundred).
[<Literal>]
let MaxThreads = 1024

/// The problem with a thread count, or None.
let problem (what: string) (n: int) : string option =
    if n <= 0 then Some(sprintf "%s must be positive, got %d" what n)
    elif n > MaxThreads then Some(sprintf "%s %d is more than the %d threads this program starts" what n MaxThreads)
    else None
