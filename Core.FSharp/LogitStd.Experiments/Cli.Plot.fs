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
    /// Forest plot: each paired comparison's mean difference and 95% interval (LS − no LS; arm − student alone).
    | Forest
    /// MLKD's levels: per epoch, each loss term, its gradient norm at the logits, and the raw-logit std.
    | Levels
    /// Figure 4: t-SNE of the pooled penultimate features, the teacher's and each run's, coloured by class.
    | Tsne

type PlotArgs =
    | [<MainCommand; Mandatory>] Kind of PlotKind
    | Runs of dirs: string list
    | [<Mandatory>] Out of file: string
    | Sample of index: int
    | Standardized
    | Student of name: string
    | Teacher of run: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Kind _ -> "which figure to draw."
            | Runs _ -> "run folders to draw from (a student run knows its teacher's logits)."
            | Out _ -> "output file: .png or .svg."
            | Sample _ -> "logit-bars: the test image index (default 0); tsne: embed a seeded subset of this many test images (default all)."
            | Standardized -> "logit-bars/heatmap/stats/ranges: show the Z-scored logits instead of the raw ones."
            | Student _ -> "forest: only the comparisons of this student model."
            | Teacher _ -> "tsne: the teacher's own run folder (its saved features make the first panel)."

/// Options of `logitstd plot`.
type PlotOptions =
    { Kind: PlotKind
      Runs: string list
      Out: string
      /// `logit-bars`: the test image's index; `tsne`: how many test images to embed (all when absent).
      Sample: int option
      Standardized: bool
      /// `forest`: keep only this student's comparisons.
      Student: string option
      /// `tsne`: the teacher's run folder.
      Teacher: string option }

let options (p: ParseResults<PlotArgs>) : PlotOptions =
    { Kind = p.GetResult Kind
      Runs = p.GetResults Runs |> List.concat
      Out = p.GetResult Out
      Sample = p.TryGetResult Sample
      Standardized = p.Contains Standardized
      Student = p.TryGetResult Student
      Teacher = p.TryGetResult Teacher }

/// The command-line name of a figure, e.g. `logit-bars`.
let kindName (k: PlotKind) =
    match k with
    | Toy -> "toy" | Logit_Bars -> "logit-bars" | Heatmap -> "heatmap" | Stats -> "stats"
    | Ranges -> "ranges" | Curves -> "curves" | Results -> "results" | Forest -> "forest" | Levels -> "levels"
    | Tsne -> "tsne"

/// What is wrong with a `plot` line (errors: exit 2) and what it says but does not use (notes).
/// Whether `--student` names a student of the runs is known only once they are read: the shell checks
/// that (exit 2, listing the students found).
let check (o: PlotOptions) : string list * string list =
    let ext = System.IO.Path.GetExtension(o.Out).ToLowerInvariant()
    let errors =
        [ if ext <> ".png" && ext <> ".svg" then sprintf "--out %s: the figure must be a .png or .svg file" o.Out
          if o.Kind <> Toy && o.Runs.IsEmpty then
              sprintf "plot %s needs --runs DIR... (run folders written by train/distill)" (kindName o.Kind)
          match o.Student with
          | Some name when System.String.IsNullOrWhiteSpace name -> "--student needs a model name, e.g. --student fmnist_small_cnn"
          | _ -> ()
          match o.Kind, o.Sample with
          | Tsne, Some n when n < 2 -> sprintf "--sample %d: t-SNE needs at least 2 test images" n
          | _ -> () ]
    let notes =
        [ if o.Kind = Toy && not o.Runs.IsEmpty then "the toy figure is computed by the core; --runs is not used"
          if o.Standardized && (o.Kind = Toy || o.Kind = Curves || o.Kind = Results || o.Kind = Forest || o.Kind = Levels || o.Kind = Tsne) then
              sprintf "--standardized does not apply to plot %s; ignored" (kindName o.Kind)
          match o.Student with
          | Some name when o.Kind <> Forest -> sprintf "--student %s applies to plot forest only; ignored" name
          | _ -> ()
          match o.Teacher with
          | Some run when o.Kind <> Tsne -> sprintf "--teacher %s applies to plot tsne only; ignored" run
          | _ -> ()
          match o.Sample with
          | Some _ when o.Kind <> Logit_Bars && o.Kind <> Tsne -> sprintf "--sample applies to plot logit-bars and tsne only; ignored"
          | _ -> () ]
    errors, notes
