/// `logitstd results`: the markdown tables pinned byte for byte on a generated two-student study,
/// the comparisons as records and as JSON (`--json`), and the exit codes.
module LogitStd.Shell.Tests.ResultsTests

open System
open System.IO
open System.Text.Json
open Expecto
open LogitStd.Shell.Runs
open LogitStd.Shell.Tests.TestFiles

/// One arm of the generated study: folder tag, method, LS, objective, seeds, best top-1 of seed s.
type private Arm = { Tag: string; Method: string; Ls: bool; Objective: string; Seeds: int list; Top1: int -> float }

let private arms =
    [ { Tag = "alone"; Method = "none"; Ls = false; Objective = "1·CE"; Seeds = [ 0; 1; 2 ]; Top1 = fun s -> 88.0 + 0.1 * float s }
      { Tag = "kd"; Method = "kd"; Ls = false; Objective = "0.1·CE + 0.9·KD(T=4, raw)"; Seeds = [ 0; 1; 2 ]; Top1 = fun s -> 88.5 + 0.3 * float s }
      { Tag = "kd_ls"; Method = "kd"; Ls = true; Objective = "0.1·CE + 9·KD(τ=2, zscore)"; Seeds = [ 0; 1; 2 ]; Top1 = fun s -> 89.0 + 0.05 * float (s * s) }
      { Tag = "kd_ls_tau1"; Method = "kd"; Ls = true; Objective = "0.1·CE + 9·KD(τ=1, zscore)"; Seeds = [ 1 ]; Top1 = fun _ -> 87.25 }
      { Tag = "dkd"; Method = "dkd"; Ls = false; Objective = "1·CE + min(epoch/20, 1)·DKD(α=1, β=8, T=4, raw)"; Seeds = [ 0; 1 ]; Top1 = fun s -> 89.5 - 0.4 * float s }
      { Tag = "dkd_ls"; Method = "dkd"; Ls = true; Objective = "1·CE + min(epoch/20, 1)·DKD(α=1, β=8, τ=2, zscore)"; Seeds = [ 0; 1; 2 ]; Top1 = fun s -> 89.75 + 0.2 * float s } ]

/// Writes the study under `root`: ROOT/STUDENT/TAG/seedS/summary.json for two students (the MLP
/// without a DKD+LS arm), and one unfinished KD run.
let writeStudy (root: string) =
    for student, offset in [ "fmnist_small_cnn", 0.0; "fmnist_mlp", -3.0 ] do
        for a in arms do
            if not (student = "fmnist_mlp" && a.Tag = "dkd_ls") then
                for s in a.Seeds do
                    let dir = Path.Combine(root, student, a.Tag, sprintf "seed%d" s)
                    Directory.CreateDirectory dir |> ignore
                    let teacher = if a.Method = "none" then null else "fmnist_resnet"
                    RunSummary(sprintf "%s-%s-s%d" student a.Tag s, "fashion-mnist", 10, student, teacher, a.Method, a.Ls, s, 20,
                               a.Objective, a.Top1 s + offset, 18, a.Top1 s + offset - 0.2, 99.5, true, Nullable 20)
                        .Write(Path.Combine(dir, "summary.json"))
    let late = Path.Combine(root, "fmnist_small_cnn", "kd", "seed9")
    Directory.CreateDirectory late |> ignore
    RunSummary("late", "fashion-mnist", 10, "fmnist_small_cnn", "fmnist_resnet", "kd", false, 9, 20, "0.1·CE + 0.9·KD(T=4, raw)",
               10.0, 1, 10.0, 50.0, false, Nullable 2).Write(Path.Combine(late, "summary.json"))

let private expectedTables = """| student | teacher | method | LS | objective | seeds | best top-1 (%) mean ± std | final top-1 (%) mean ± std |
|---|---|---|---|---|---|---|---|
| fmnist_mlp | — | none | no | `1·CE` | 3 | 85.10 ± 0.10 | 84.90 ± 0.10 |
| fmnist_mlp | fmnist_resnet | dkd | no | `1·CE + min(epoch/20, 1)·DKD(α=1, β=8, T=4, raw)` | 2 | 86.30 ± 0.28 | 86.10 ± 0.28 |
| fmnist_mlp | fmnist_resnet | kd | no | `0.1·CE + 0.9·KD(T=4, raw)` | 3 | 85.80 ± 0.30 | 85.60 ± 0.30 |
| fmnist_mlp | fmnist_resnet | kd | yes | `0.1·CE + 9·KD(τ=1, zscore)` | 1 | 84.25 ± 0.00 | 84.05 ± 0.00 |
| fmnist_mlp | fmnist_resnet | kd | yes | `0.1·CE + 9·KD(τ=2, zscore)` | 3 | 86.08 ± 0.10 | 85.88 ± 0.10 |
| fmnist_small_cnn | — | none | no | `1·CE` | 3 | 88.10 ± 0.10 | 87.90 ± 0.10 |
| fmnist_small_cnn | fmnist_resnet | dkd | no | `1·CE + min(epoch/20, 1)·DKD(α=1, β=8, T=4, raw)` | 2 | 89.30 ± 0.28 | 89.10 ± 0.28 |
| fmnist_small_cnn | fmnist_resnet | dkd | yes | `1·CE + min(epoch/20, 1)·DKD(α=1, β=8, τ=2, zscore)` | 3 | 89.95 ± 0.20 | 89.75 ± 0.20 |
| fmnist_small_cnn | fmnist_resnet | kd | no | `0.1·CE + 0.9·KD(T=4, raw)` | 3 | 88.80 ± 0.30 | 88.60 ± 0.30 |
| fmnist_small_cnn | fmnist_resnet | kd | yes | `0.1·CE + 9·KD(τ=1, zscore)` | 1 | 87.25 ± 0.00 | 87.05 ± 0.00 |
| fmnist_small_cnn | fmnist_resnet | kd | yes | `0.1·CE + 9·KD(τ=2, zscore)` | 3 | 89.08 ± 0.10 | 88.88 ± 0.10 |

Paired difference LS − no LS in best test top-1 (same student, teacher, method and seed; every LS objective against every raw one), 95% t-interval:

| student | method | with LS | without LS | pairs | LS − no LS (points) | 95% interval |
|---|---|---|---|---|---|---|
| fmnist_mlp | kd | `0.1·CE + 9·KD(τ=1, zscore)` | `0.1·CE + 0.9·KD(T=4, raw)` | 1 | -1.55 | n/a (one pair) |
| fmnist_mlp | kd | `0.1·CE + 9·KD(τ=2, zscore)` | `0.1·CE + 0.9·KD(T=4, raw)` | 3 | +0.28 | [-0.22, 0.79] |
| fmnist_small_cnn | dkd | `1·CE + min(epoch/20, 1)·DKD(α=1, β=8, τ=2, zscore)` | `1·CE + min(epoch/20, 1)·DKD(α=1, β=8, T=4, raw)` | 2 | +0.55 | [-3.26, 4.36] |
| fmnist_small_cnn | kd | `0.1·CE + 9·KD(τ=1, zscore)` | `0.1·CE + 0.9·KD(T=4, raw)` | 1 | -1.55 | n/a (one pair) |
| fmnist_small_cnn | kd | `0.1·CE + 9·KD(τ=2, zscore)` | `0.1·CE + 0.9·KD(T=4, raw)` | 3 | +0.28 | [-0.22, 0.79] |

Paired difference against the student trained alone (same student and seed), 95% t-interval:

| student | method | LS | objective | pairs | − student alone (points) | 95% interval |
|---|---|---|---|---|---|---|
| fmnist_mlp | dkd | no | `1·CE + min(epoch/20, 1)·DKD(α=1, β=8, T=4, raw)` | 2 | +1.25 | [-1.93, 4.43] |
| fmnist_mlp | kd | no | `0.1·CE + 0.9·KD(T=4, raw)` | 3 | +0.70 | [0.20, 1.20] |
| fmnist_mlp | kd | yes | `0.1·CE + 9·KD(τ=1, zscore)` | 1 | -0.85 | n/a (one pair) |
| fmnist_mlp | kd | yes | `0.1·CE + 9·KD(τ=2, zscore)` | 3 | +0.98 | [0.91, 1.06] |
| fmnist_small_cnn | dkd | no | `1·CE + min(epoch/20, 1)·DKD(α=1, β=8, T=4, raw)` | 2 | +1.25 | [-1.93, 4.43] |
| fmnist_small_cnn | dkd | yes | `1·CE + min(epoch/20, 1)·DKD(α=1, β=8, τ=2, zscore)` | 3 | +1.85 | [1.60, 2.10] |
| fmnist_small_cnn | kd | no | `0.1·CE + 0.9·KD(T=4, raw)` | 3 | +0.70 | [0.20, 1.20] |
| fmnist_small_cnn | kd | yes | `0.1·CE + 9·KD(τ=1, zscore)` | 1 | -0.85 | n/a (one pair) |
| fmnist_small_cnn | kd | yes | `0.1·CE + 9·KD(τ=2, zscore)` | 3 | +0.98 | [0.91, 1.06] |

Not finished (left out): ROOT/fmnist_small_cnn/kd/seed9
"""

let tests =
    testList "results" [
        testCase "the markdown tables of a two-student study, byte for byte" <| fun () ->
            use dir = new TempDir()
            writeStudy dir.Path
            let code, stdout, err = runCommand (fun o e -> LogitStd.Shell.Cli.ResultsCommand.Run([ dir.Path ], null, null, o, e))
            Expect.equal (code, err) (0, "") "exit 0, nothing on stderr"
            Expect.equal (stdout.Replace(dir.Path, "ROOT")) expectedTables "the tables"
    
        testCase "the comparisons as records: kinds, sides, pairs, one pair without an interval" <| fun () ->
            use dir = new TempDir()
            writeStudy dir.Path
            let all = Comparisons.All(RunFolder.Collect [ dir.Path ]) |> List.ofSeq
            Expect.equal (all |> List.filter (fun c -> c.Kind = ComparisonKind.LsVsRaw) |> List.length) 5 "five LS − no-LS rows"
            Expect.equal (all |> List.filter (fun c -> c.Kind = ComparisonKind.VsAlone) |> List.length) 9 "nine rows against the student alone"
            let c = all |> List.find (fun c -> c.Student = "fmnist_small_cnn" && c.Method = "dkd" && c.Kind = ComparisonKind.LsVsRaw)
            Expect.equal (c.Objective, c.Standardize, c.BaselineStandardize) (arms[5].Objective, true, false) "the DKD+LS side against the raw one"
            Expect.equal (List.ofSeq c.Seeds) [ 0; 1 ] "the raw DKD arm ran seeds 0 and 1 only"
            Expect.equal (c.Runs |> Seq.map (fun r -> Path.GetRelativePath(dir.Path, r)) |> List.ofSeq)
                [ Path.Combine("fmnist_small_cnn", "dkd_ls", "seed0"); Path.Combine("fmnist_small_cnn", "dkd_ls", "seed1") ] "the arm's run folders, seed order"
            Expect.equal (c.BaselineRuns |> Seq.map (fun r -> Path.GetFileName(Path.GetDirectoryName r)) |> List.ofSeq) [ "dkd"; "dkd" ] "the baseline's"
            // seed 0: 89.75 − 89.5; seed 1: 89.95 − 89.1
            Expect.floatClose Accuracy.high c.Mean 0.55 "mean of 0.25 and 0.85"
            Expect.floatClose Accuracy.high c.HalfWidth (12.706 * 0.3 * sqrt 2.0 / sqrt 2.0) "t(1) × sd / √2"
            let one = all |> List.find (fun c -> c.Kind = ComparisonKind.VsAlone && c.Objective = arms[3].Objective && c.Student = "fmnist_mlp")
            Expect.equal (one.Pairs, one.Teacher, one.BaselineObjective) (1, "fmnist_resnet", "1·CE") "one seed; the arm's teacher; the baseline's formula"
            Expect.isTrue (Double.IsNaN one.HalfWidth) "no interval from one pair"

        testCase "results --json: arms, comparisons with their run folders, unfinished runs" <| fun () ->
            use dir = new TempDir()
            writeStudy (dir.Sub "study")
            let json = dir.Sub "out/results.json"
            let code, _, err = runCommand (fun o e -> LogitStd.Shell.Cli.ResultsCommand.Run([ dir.Sub "study" ], null, json, o, e))
            Expect.equal (code, err) (0, "") "exit 0"
            use doc = JsonDocument.Parse(File.ReadAllText json)
            let root = doc.RootElement
            Expect.equal (root.GetProperty("format").GetString()) ResultsJson.FormatName "the format tag"
            let arm = root.GetProperty("arms")[0]
            Expect.equal (arm.GetProperty("student").GetString(), arm.GetProperty("method").GetString(), arm.GetProperty("seeds").GetInt32()) ("fmnist_mlp", "none", 3) "first arm"
            Expect.equal (arm.GetProperty("teacher").ValueKind) JsonValueKind.Null "no teacher"
            Expect.floatClose Accuracy.high (arm.GetProperty("best_top1_mean").GetDouble()) 85.1 "its mean"
            Expect.equal (arm.GetProperty("runs").GetArrayLength()) 3 "its three run folders"
            let comparisons = [ for c in root.GetProperty("comparisons").EnumerateArray() -> c ]
            Expect.equal comparisons.Length 14 "every comparison"
            Expect.equal (comparisons |> List.map (fun c -> c.GetProperty("kind").GetString()) |> List.distinct) [ "ls-vs-raw"; "vs-alone" ] "LS − no LS first"
            let single = comparisons |> List.find (fun c -> c.GetProperty("pairs").GetInt32() = 1)
            Expect.equal (single.GetProperty("half_width").ValueKind) JsonValueKind.Null "NaN is written as null"
            let first = comparisons[0]
            Expect.equal (first.GetProperty("objective").GetString()) "0.1·CE + 9·KD(τ=1, zscore)" "formulas unescaped"
            Expect.equal (first.GetProperty("baseline_objective").GetString()) "0.1·CE + 0.9·KD(T=4, raw)" "the baseline's formula"
            Expect.equal ((first.GetProperty("runs")[0]).GetString()) (Path.Combine(dir.Sub "study", "fmnist_mlp", "kd_ls_tau1", "seed1")) "the arm's folder"
            Expect.equal ((first.GetProperty("baseline_runs")[0]).GetString()) (Path.Combine(dir.Sub "study", "fmnist_mlp", "kd", "seed1")) "the baseline's folder"
            Expect.equal [ for u in root.GetProperty("unfinished").EnumerateArray() -> u.GetString() ] [ Path.Combine(dir.Sub "study", "fmnist_small_cnn", "kd", "seed9") ] "unfinished"

        testCase "results exit codes: a missing folder or a damaged summary is 1 naming it, no runs is 2" <| fun () ->
            use dir = new TempDir()
            let code, _, err = runCommand (fun o e -> LogitStd.Shell.Cli.ResultsCommand.Run([ dir.Sub "nope" ], null, null, o, e))
            Expect.equal code 1 "missing folder"
            Expect.stringContains err (dir.Sub "nope") "names it"
            Directory.CreateDirectory(dir.Sub "empty") |> ignore
            let code, _, err = runCommand (fun o e -> LogitStd.Shell.Cli.ResultsCommand.Run([ dir.Sub "empty" ], null, null, o, e))
            Expect.equal code 2 "no run folders"
            Expect.stringContains err "no run folders" "says so"
            writeStudy (dir.Sub "study")
            let broken = Path.Combine(dir.Sub "study", "fmnist_mlp", "kd", "seed0", "summary.json")
            File.WriteAllText(broken, "{ \"name\": ")
            let json = dir.Sub "r.json"
            let code, _, err = runCommand (fun o e -> LogitStd.Shell.Cli.ResultsCommand.Run([ dir.Sub "study" ], null, json, o, e))
            Expect.equal code 1 "damaged summary"
            Expect.stringContains err broken "names the file"
            Expect.isFalse (File.Exists json) "no JSON written"

        testCase "results --json parses; a --json without a file is a usage error" <| fun () ->
            match LogitStd.Core.Cli.parse [| "results"; "runs/a"; "runs/b"; "--json"; "r.json" |] with
            | LogitStd.Core.Cli.Run(LogitStd.Core.Cli.Summarize(dirs, md, json)) ->
                Expect.equal (dirs, md, json) ([ "runs/a"; "runs/b" ], None, Some "r.json") "folders and the file"
            | other -> failtestf "got %A" other
            match LogitStd.Core.Cli.parse [| "results"; "runs/a"; "--json" |] with
            | LogitStd.Core.Cli.Error text -> Expect.stringContains text "--json" "names the flag"
            | other -> failtestf "got %A" other
    ]
