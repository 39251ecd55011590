/// The command-line grammar of `logitstd plot` (Argu) and the rules of its flags — pure, like `Cli`,
/// which dispatches to it.
module LogitStd.Core.PlotCli

open Argu

/// The figures `logitstd plot` draws.
type PlotKind =
    /// Figure 2's toy case, computed by the core.
    | Toy
    /// Figure 3, row 1: one test image's logits, teacher and student overlaid.
    | Logit_Bars
    /// Figure 3, row 2: |M_student − M_teacher| of the class-mean logit matrices.
    | Heatmap
    /// Figure 5: 2-D histograms of per-sample logit mean against std.
    | Stats
    /// Distributions of per-sample logit range (max − min), teacher and students.
    | Ranges
    /// Training curves: test top-1 and loss per epoch, several runs.
    | Curves
    /// Results chart: mean test top-1 with error bars over seeds, per method.
    | Results

type PlotArgs =
    | [<MainCommand; Mandatory>] Kind of PlotKind
    | Runs of dirs: string list
    | [<Mandatory>] Out of file: string
    | Sample of index: int
    | Standardized
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Kind _ -> "which figure to draw."
            | Runs _ -> "run folders to draw from (a student run knows its teacher's logits)."
            | Out _ -> "output file: .png or .svg."
            | Sample _ -> "logit-bars: the test image index (default 0)."
            | Standardized -> "logit-bars/heatmap/stats: show the Z-scored logits instead of the raw ones."

/// Options of `logitstd plot`.
type PlotOptions =
    { Kind: PlotKind
      Runs: string list
      Out: string
      Sample: int
      Standardized: bool }

let options (p: ParseResults<PlotArgs>) : PlotOptions =
    { Kind = p.GetResult Kind
      Runs = p.GetResults Runs |> List.concat
      Out = p.GetResult Out
      Sample = p.TryGetResult Sample |> Option.defaultValue 0
      Standardized = p.Contains Standardized }

/// The command-line name of a figure, e.g. `logit-bars`.
let kindName (k: PlotKind) =
    match k with
    | Toy -> "toy" | Logit_Bars -> "logit-bars" | Heatmap -> "heatmap" | Stats -> "stats"
    | Ranges -> "ranges" | Curves -> "curves" | Results -> "results"

/// What is wrong with a `plot` line (errors: exit 2) and what it says but does not use (notes).
let check (o: PlotOptions) : string list * string list =
    let ext = System.IO.Path.GetExtension(o.Out).ToLowerInvariant()
    let errors =
        [ if ext <> ".png" && ext <> ".svg" then sprintf "--out %s: the figure must be a .png or .svg file" o.Out
          if o.Kind <> Toy && o.Runs.IsEmpty then
              sprintf "plot %s needs --runs DIR... (run folders written by train/distill)" (kindName o.Kind) ]
    let notes =
        [ if o.Kind = Toy && not o.Runs.IsEmpty then "the toy figure is computed by the core; --runs is not used"
          if o.Standardized && (o.Kind = Toy || o.Kind = Curves || o.Kind = Results) then
              sprintf "--standardized does not apply to plot %s; ignored" (kindName o.Kind) ]
    errors, notes
