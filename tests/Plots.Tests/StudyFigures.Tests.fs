/// The figures of a study with several arms and students: the forest plot of the paired comparisons,
/// the training curves of many runs (each its own look, the loss on a log axis) and MLKD's levels.
module LogitStd.Plots.Tests.StudyFiguresTests

open System
open System.IO
open Expecto
open LogitStd.Core.PlotCli
open LogitStd.Shell.Plots
open LogitStd.Shell.Runs
open LogitStd.Plots.Tests.Synthetic
open LogitStd.Plots.Tests.FiguresTests

let tests =
    testList "study figures" [
        test "forest: one row per comparison, two panels, the labels in the paper's words" {
            use dir = new TempDir()
            twoStudentStudy (dir.Sub "study") |> ignore
            let comparisons = Comparisons.All(RunFolder.Collect [ dir.Sub "study" ])
            let ls = comparisons |> Seq.filter (fun c -> c.Kind = ComparisonKind.LsVsRaw) |> List.ofSeq
            Expect.equal (ForestFigure.Labels(ls, true) |> List.ofSeq)
                [ "fmnist_mlp: KD+LS(τ=1) − KD(T=4)  (n=1, no interval)"; "fmnist_mlp: KD+LS(τ=2) − KD(T=4)  (n=3)"
                  "fmnist_small_cnn: KD+LS(τ=1) − KD(T=4)  (n=1, no interval)"; "fmnist_small_cnn: KD+LS(τ=2) − KD(T=4)  (n=3)" ] "LS − no LS rows, students apart"
            let alone = comparisons |> Seq.filter (fun c -> c.Kind = ComparisonKind.VsAlone && c.Student = "fmnist_small_cnn") |> List.ofSeq
            Expect.equal (ForestFigure.Labels(alone, false) |> List.ofSeq)
                [ "DKD+LS(τ=2) − alone  (n=3)"; "KD(T=4) − alone  (n=3)"; "KD+LS(τ=1) − alone  (n=1, no interval)"; "KD+LS(τ=2) − alone  (n=3)" ] "against the student alone"
            Expect.equal (ForestFigure.Side("ctkd", true, "1·CE + 1·KD(T=1+19·σ(GRL(g)), zscore)")) "CTKD+LS" "a learned temperature is left out"
            // 4 LS − no-LS rows, 7 rows against the students alone: two panels, the taller sets the height.
            renders dir "forest" (1800, 34 * 7 + 170) (fun () -> ForestFigure.Make([ dir.Sub "study" ], null))
            renders dir "forest-cnn" (1440, 320) (fun () -> ForestFigure.Make([ dir.Sub "study" ], "fmnist_small_cnn"))
        }

        test "plot forest: --student filters; an unknown student is exit 2 naming the choices; nothing to compare is exit 1" {
            use dir = new TempDir()
            let study = dir.Sub "study"
            twoStudentStudy study |> ignore
            let forest runs student = { options PlotKind.Forest runs (dir.Sub "f.png") with Student = student }
            let code, out, err = plot (forest [ study ] (Some "fmnist_mlp"))
            Expect.equal (code, err) (0, "") "exit 0"
            Expect.stringContains out "2 panels" "both families"
            let code, _, err = plot (forest [ study ] (Some "resnet8"))
            Expect.equal code 2 "a student that is not there"
            Expect.stringContains err "the students are fmnist_mlp, fmnist_small_cnn" "lists them"
            let lonely = Path.Combine(study, "fmnist_mlp", "alone")
            let code, _, err = plot (forest [ lonely ] None)
            Expect.equal code 1 "one arm: nothing to compare"
            Expect.stringContains err lonely "names the folder"
            Expect.stringContains err "no comparison to draw" "says why"
            File.WriteAllText(Path.Combine(study, "fmnist_mlp", "kd", "seed2", "summary.json"), "{")
            let code, _, err = plot (forest [ study ] None)
            Expect.equal code 1 "a damaged summary"
            Expect.stringContains err (Path.Combine(study, "fmnist_mlp", "kd", "seed2", "summary.json")) "names it"
        }

        test "curves: nine runs, each its own colour, pattern and marker; the loss on a log axis" {
            let looks = [ for i in 0 .. 8 -> SeriesLook.Of i ]
            Expect.equal (looks |> List.map (fun l -> l.Color) |> List.distinct |> List.length) 9 "nine colours"
            Expect.equal (looks |> List.map (fun l -> l.Pattern, l.Marker) |> List.distinct |> List.length) 9 "nine (pattern, marker) pairs: apart in grey"
            use dir = new TempDir()
            let runs =
                [ for i in 0 .. 8 ->
                    let methodName = [| "none"; "kd"; "dkd"; "mlkd"; "ctkd" |][i % 5]
                    let folder = runFolder dir.Path { run $"arm{i}" methodName (i >= 5) 1 with BestTop1 = 80.0 + float i } 1.0
                    // MLKD+LS diverging as in the study: a test loss of ~10⁴.
                    if i = 8 then write (Path.Combine(folder, "metrics.csv")) (scaledMetricsCsv 10 88.0 5000.0)
                    RunFolder.Open folder ]
            renders dir "curves-nine" (1440, 460) (fun () -> TrainingCurvesFigure.Make runs)
            use figure = TrainingCurvesFigure.Make runs
            let majors (p: ScottPlot.Plot) =
                use _ = p.GetImage(600, 460) // the manual ticks are generated on a render
                p.Axes.Left.TickGenerator.Ticks |> Array.filter (fun t -> t.IsMajor) |> Array.map (fun t -> t.Label) |> List.ofArray
            Expect.containsAll (majors figure.Panels[1]) [ "1"; "10"; "100"; "1000"; "10000" ] "decades of the real values"
            Expect.isEmpty (majors figure.Panels[0] |> List.filter (fun l -> l = "10000")) "top-1 stays linear"
        }

        test "run labels: the arm's temperature tells two KD+LS arms apart, the run name when even that collides" {
            use dir = new TempDir()
            let arm name tau = RunFolder.Open(runFolder dir.Path { run name "kd" true 1 with Objective = $"0.1·CE + 9·KD(τ={tau}, zscore)" } 1.0)
            let a, b, c = arm "a" "1", arm "b" "2", arm "c" "2"
            Expect.equal (FigureStyle.RunLabels [ a; b ] |> List.ofSeq) [ "KD+LS(τ=1), seed 1"; "KD+LS(τ=2), seed 1" ] "tagged"
            Expect.equal (FigureStyle.RunLabels [ a; b; c ] |> List.ofSeq) [ "a"; "b"; "c" ] "names"
        }

        test "log axis ticks: decades over a wide span, 1-2-5 over a narrow one, minor ticks between" {
            let ticks lo hi =
                use p = new ScottPlot.Plot()
                LogAxis.Apply(p, lo, hi)
                use _ = p.GetImage(400, 600)
                let all = p.Axes.Left.TickGenerator.Ticks
                all |> Array.filter (fun t -> t.IsMajor) |> Array.map (fun t -> t.Label, t.Position) |> List.ofArray,
                all |> Array.filter (fun t -> not t.IsMajor) |> Array.length
            let wide, wideMinor = ticks 0.3 11000.0
            Expect.equal (List.map fst wide) [ "1"; "10"; "100"; "1000"; "10000" ] "decades"
            for label, position in wide do Expect.floatClose Accuracy.high position (log10 (float label)) label
            Expect.isGreaterThan wideMinor 20 "2..9 × 10^k between"
            let narrow, _ = ticks 0.35 2.3
            Expect.equal (List.map fst narrow) [ "0.5"; "1"; "2" ] "1, 2, 5 × 10^k"
            Expect.equal (LogAxis.Label 2e-5, LogAxis.Label 0.02, LogAxis.Label 250000.0) ("2e-5", "0.02", "2.5e5") "labels"
        }

        test "levels: term losses, term gradient norms and the logit std in three log panels" {
            use dir = new TempDir()
            let runs = levelsRuns dir.Path |> List.map RunFolder.Open
            let notes = Collections.Generic.List<string>()
            renders dir "levels" (1740, 480) (fun () -> LevelsFigure.Make(runs, (fun n -> notes.Add n)))
            Expect.equal (List.ofSeq notes) [ sprintf "%s: gradient norms were not logged (set experiment.log_term_gradients: true); its losses and logit std are drawn" runs[2].MetricsFile ] "the run without gradients, named"
            use figure = LevelsFigure.Make(runs, (fun _ -> ()))
            let legend (p: ScottPlot.Plot) = p.Legend.ManualItems |> Seq.map (fun i -> i.LabelText) |> List.ofSeq
            Expect.equal (legend figure.Panels[0]) [ "ce"; "mlkd_instance"; "mlkd_class"; "mlkd_batch" ] "terms by marker"
            Expect.equal (legend figure.Panels[1]) [ "ce"; "mlkd_instance"; "mlkd_class"; "mlkd_batch" ] "the same markers for their gradients"
            Expect.equal (legend figure.Panels[2]) [ "mlkd"; "mlkd-ls"; "mlkd-nograd" ] "runs by line (their names: two labels would collide)"
            let markers (p: ScottPlot.Plot) = p.Legend.ManualItems |> Seq.map (fun i -> i.MarkerShape) |> List.ofSeq
            Expect.equal (markers figure.Panels[0]) (markers figure.Panels[1]) "a term keeps its marker"
            renders dir "levels-nograd" (1160, 480) (fun () -> LevelsFigure.Make([ runs[2] ], (fun _ -> ())))
        }

        test "plot levels: no gradient columns is a note and exit 0; neither logit_std nor gradients is exit 1 naming metrics.csv" {
            use dir = new TempDir()
            let runs = levelsRuns (dir.Sub "levels")
            let code, _, err = plot (options PlotKind.Levels [ runs[2] ] (dir.Sub "l.png"))
            Expect.equal code 0 err
            Expect.stringContains err "note: " "a note"
            Expect.stringContains err "gradient norms were not logged" "says what is missing"
            let old = study (dir.Sub "old")
            let code, _, err = plot (options PlotKind.Levels [ runs[0]; old[0] ] (dir.Sub "m.png"))
            Expect.equal code 1 "a run from before logit_std"
            Expect.stringContains err (Path.Combine(old[0], "metrics.csv")) "names the file"
            Expect.stringContains err "no logit_std" "says why"
            Expect.isFalse (File.Exists(dir.Sub "m.png")) "nothing written"
        }
    ]
