/// Every figure renders from synthetic run folders: a PNG of the figure's size and an SVG that is
/// well-formed XML; and `logitstd plot` end to end, errors included.
/// Set LOGITSTD_KEEP_FIGURES=DIR to keep the rendered PNGs there for a look.
module LogitStd.Plots.Tests.FiguresTests

open System
open System.Buffers.Binary
open System.IO
open System.Xml.Linq
open Expecto
open LogitStd.Core.Cli
open LogitStd.Core.PlotCli
open LogitStd.Shell.Cli
open LogitStd.Shell.Plots
open LogitStd.Shell.Runs
open LogitStd.Plots.Tests.Synthetic

/// Width and height from a PNG's IHDR chunk, after checking the signature.
let pngSize (path: string) =
    let bytes = File.ReadAllBytes path
    Expect.isGreaterThan bytes.Length 1000 "a PNG with content"
    Expect.sequenceEqual bytes[0..7] [| 137uy; 80uy; 78uy; 71uy; 13uy; 10uy; 26uy; 10uy |] "PNG signature"
    Expect.equal (Text.Encoding.ASCII.GetString(bytes, 12, 4)) "IHDR" "IHDR first"
    int (BinaryPrimitives.ReadUInt32BigEndian(ReadOnlySpan(bytes, 16, 4))), int (BinaryPrimitives.ReadUInt32BigEndian(ReadOnlySpan(bytes, 20, 4)))

/// Saves `make ()` as PNG and SVG in `dir` and checks both.
let renders (dir: TempDir) (name: string) (size: int * int) (make: unit -> Figure) =
    let png = dir.Sub(name + ".png")
    let svg = dir.Sub(name + ".svg")
    using (make ()) (fun f ->
        Expect.equal (f.Width, f.Height) size "the figure's size"
        f.Save png
        f.Save svg)
    Expect.equal (pngSize png) size "PNG of the figure's size"
    // Something was drawn: a white canvas or a single-colour image would pass a size check.
    use bitmap = SkiaSharp.SKBitmap.Decode png
    let pixels = bitmap.Pixels
    let inked = pixels |> Array.filter (fun c -> int c.Red + int c.Green + int c.Blue < 600) |> Array.length
    Expect.isGreaterThan (float inked / float pixels.Length) 0.01 (sprintf "%s: more than 1%% of the pixels are drawn" name)
    let colours = pixels |> Array.map (fun c -> (c.Red / 32uy, c.Green / 32uy, c.Blue / 32uy)) |> Array.distinct |> Array.length
    Expect.isGreaterThanOrEqual colours 4 (sprintf "%s: several colours (the palette, not only black on white)" name)
    let doc = XDocument.Load svg
    Expect.equal doc.Root.Name.LocalName "svg" "SVG root element"
    Expect.equal (doc.Root.Attribute(XName.Get "width").Value, doc.Root.Attribute(XName.Get "height").Value) (string (fst size), string (snd size)) "SVG size"
    Expect.isGreaterThan (doc.Descendants() |> Seq.length) 50 "the SVG has drawing elements"
    match Environment.GetEnvironmentVariable "LOGITSTD_KEEP_FIGURES" with
    | null | "" -> ()
    | keep ->
        Directory.CreateDirectory keep |> ignore
        File.Copy(png, Path.Combine(keep, name + ".png"), true)

let options kind runs out =
    { Kind = kind; Runs = runs; Out = out; Sample = None; Standardized = false; Student = None; Teacher = None }

let plot (o: PlotOptions) =
    use out = new StringWriter()
    use err = new StringWriter()
    let code = LogitStd.Shell.ExitCodes.Run((fun () -> PlotCommand.Run(o, out, err)), err)
    code, out.ToString(), err.ToString()

let tests =
    testList "Figures" [
        test "the toy case's numbers come from the core and match the paper" {
            let toy = ToyCase.Compute()
            let close a e what = Expect.floatClose { absolute = 5e-5; relative = 0.0 } a e what
            close toy.RawKd[0] 0.1749 "raw KD S1"
            close toy.RawKd[1] 0.3457 "raw KD S2 (the loss prefers the wrong student)"
            close toy.StandardizedKd[0] 0.0995 "standardized KD S1"
            close toy.StandardizedKd[1] 0.0 "standardized KD S2"
            Array.iter2 (fun a e -> Expect.floatClose { absolute = 5e-4; relative = 0.0 } a e "S1 z-scored") toy.Standardized[1] [| -1.320; 0.660; 0.880; -0.220 |]
            Array.iter2 (fun a e -> Expect.floatClose { absolute = 5e-4; relative = 0.0 } a e "teacher z-scored") toy.Standardized[0] [| -1.162; 1.162; 0.387; -0.387 |]
        }

        test "every figure renders to PNG and SVG" {
            use dir = new TempDir()
            let runs = study (dir.Sub "runs") |> List.map RunFolder.Open
            let students = runs |> List.take 2
            renders dir "toy" (1120, 440) (fun () -> ToyCaseFigure.Make(ToyCase.Compute()))
            renders dir "logit-bars" (1240, 460) (fun () -> LogitBarsFigure.Make(students, 7, false))
            renders dir "logit-bars-z" (1240, 460) (fun () -> LogitBarsFigure.Make(students, 7, true))
            renders dir "heatmap" (1200, 540) (fun () -> ClassMeanGapFigure.Make(students, false))
            renders dir "heatmap-z" (1200, 540) (fun () -> ClassMeanGapFigure.Make(students, true))
            renders dir "stats" (2080, 460) (fun () -> MeanStdHistogramFigure.Make(runs, false))
            renders dir "stats-z" (1560, 460) (fun () -> MeanStdHistogramFigure.Make(students, true))
            renders dir "ranges" (760, 480) (fun () -> RangeDistributionFigure.Make(runs, false))
            renders dir "curves" (1240, 460) (fun () -> TrainingCurvesFigure.Make(runs))
        }

        test "a 100-class run renders, ticks on every tenth class" {
            use dir = new TempDir()
            let runs = [ RunFolder.Open(runFolder dir.Path { run "c100" "kd" true 1 with Classes = 100 } 0.2) ]
            renders dir "logit-bars-100" (620, 460) (fun () -> LogitBarsFigure.Make(runs, 3, false))
            renders dir "heatmap-100" (600, 540) (fun () -> ClassMeanGapFigure.Make(runs, false))
            renders dir "stats-100" (1040, 460) (fun () -> MeanStdHistogramFigure.Make(runs, false))
        }

        test "results: mean and std over seeds per (method, +LS), unfinished runs left out" {
            use dir = new TempDir()
            let runs =
                [ for methodName in [ "none"; "kd"; "dkd" ] do
                    for ls in (if methodName = "none" then [ false ] else [ false; true ]) do
                        for seed in 1 .. 3 do
                            let acc = 84.0 + (if methodName = "none" then 0.0 else 1.0) + (if ls then 0.6 else 0.0) + 0.2 * float seed
                            let r = { run $"{methodName}-{ls}-{seed}" methodName ls seed with BestTop1 = acc }
                            yield runFolder dir.Path r 1.0
                  yield runFolder dir.Path { run "kd-unfinished" "kd" true 9 with BestTop1 = 10.0; Finished = false } 1.0 ]
                |> List.map RunFolder.Open
            let struct (groups, skipped) = ResultsFigure.Aggregate runs
            Expect.equal (skipped |> Seq.map (fun r -> r.Summary.Name) |> List.ofSeq) [ "kd-unfinished" ] "unfinished run skipped"
            Expect.equal (groups |> Seq.map (fun g -> g.Method, g.Standardize, g.Seeds) |> List.ofSeq)
                [ "none", false, 3; "kd", false, 3; "kd", true, 3; "dkd", false, 3; "dkd", true, 3 ] "paper order, raw before +LS"
            let kdLs = groups |> Seq.find (fun g -> g.Method = "kd" && g.Standardize)
            Expect.floatClose Accuracy.high kdLs.Mean 86.0 "mean of 85.8, 86.0, 86.2"
            Expect.floatClose Accuracy.high kdLs.Std 0.2 "sample std (n − 1) of the three"
            renders dir "results" (610, 500) (fun () -> ResultsFigure.Make runs)
        }

        test "plot command: PNG by default extension, SVG on .svg, and the toy needs no runs" {
            use dir = new TempDir()
            let code, out, _ = plot (options PlotKind.Toy [] (dir.Sub "fig/toy.png"))
            Expect.equal code 0 "exit 0"
            Expect.stringContains out "raw KD S1 0.1749, S2 0.3457" "prints the losses"
            Expect.equal (pngSize (dir.Sub "fig/toy.png")) (1120, 440) "PNG written, folder created"
            let runs = study (dir.Sub "runs")
            let code, _, err = plot { options PlotKind.Heatmap runs.[0..1] (dir.Sub "heat.svg") with Standardized = true }
            Expect.equal (code, err) (0, "") "heatmap as SVG"
            Expect.equal (XDocument.Load(dir.Sub "heat.svg").Root.Name.LocalName) "svg" "an SVG"
        }

        test "plot command: a run without teacher logits, a bad sample, a bad extension" {
            use dir = new TempDir()
            let runs = study dir.Path
            let ce = runs[2]
            let code, _, err = plot (options PlotKind.Heatmap [ ce ] (dir.Sub "h.png"))
            Expect.equal code 1 "exit 1: a run-folder file is missing"
            Expect.stringContains err (Path.Combine(ce, "analysis", "teacher_test_logits.csv")) "names the missing file"
            let code, _, err = plot { options PlotKind.Logit_Bars [ runs[0] ] (dir.Sub "b.png") with Sample = Some 300 }
            Expect.equal code 2 "exit 2"
            Expect.stringContains err "--sample 300 is out of range" "says the range"
            let code, _, err = plot (options PlotKind.Curves [ runs[0] ] (dir.Sub "c.pdf"))
            Expect.equal code 2 "exit 2"
            Expect.stringContains err ".png or .svg" "names the formats"
            let code, _, err = plot (options PlotKind.Stats [] (dir.Sub "s.png"))
            Expect.equal code 2 "no runs"
            Expect.stringContains err "needs --runs" "says what is missing"
            Expect.isFalse (File.Exists(dir.Sub "h.png")) "nothing written on error"
        }
    ]
