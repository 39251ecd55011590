/// Figure 4 from synthetic run folders: the features file's format, `logitstd plot tsne` end to end
/// (panels, the per-panel CSVs, the seeded subset) and its errors.
module LogitStd.Plots.Tests.TsneFigureTests

open System
open System.Globalization
open System.IO
open System.Text
open Expecto
open LogitStd.Core.PlotCli
open LogitStd.Shell.Runs
open LogitStd.Plots.Tests.Synthetic
open LogitStd.Plots.Tests.FiguresTests

/// `rows` features of size `d` in 10 clusters by label (label = row % 10, as Synthetic's logits), seeded.
let clustered (seed: int) (rows: int) (d: int) =
    let rng = Random(seed)
    let values = Array.init (rows * d) (fun e -> float32 (if (e / d) % 10 = e % d % 10 then 6.0 else 0.0) + float32 (rng.NextDouble() - 0.5))
    FeatureMatrix(rows, d, values)

let featuresPath (run: string) (role: string) = Path.Combine(run, "analysis", $"{role}_test_features.npy")

/// The synthetic study (300 test images) with features for the KD and KD+LS students and the teacher.
let withFeatures (dir: TempDir) =
    let runs = study (dir.Sub "runs")
    FeatureFile.Write(featuresPath runs[0] "student", clustered 1 300 12)
    FeatureFile.Write(featuresPath runs[0] "teacher", clustered 2 300 16)
    FeatureFile.Write(featuresPath runs[1] "student", clustered 3 300 12)
    runs

let readCsv (path: string) =
    let lines = File.ReadAllLines path
    lines[0], lines[1..] |> Array.map (fun l -> l.Split(',') |> Array.map (fun v -> Double.Parse(v, CultureInfo.InvariantCulture)))

let tests =
    testList "Figure 4 (t-SNE)" [
        test "the features file is a .npy that reads back exactly; a damaged one is named" {
            use dir = new TempDir()
            let path = dir.Sub "f.npy"
            let m = clustered 4 7 3
            FeatureFile.Write(path, m)
            let bytes = File.ReadAllBytes path
            let headerLength = int (BitConverter.ToUInt16(bytes, 8))
            Expect.equal ((10 + headerLength) % 64) 0 "header padded to 64 bytes, as numpy.lib.format writes"
            Expect.stringContains (Encoding.ASCII.GetString(bytes, 10, headerLength)) "'shape': (7, 3)" "the shape in the header"
            let back = FeatureFile.Read path
            Expect.equal (back.Rows, back.Columns) (7, 3) "shape"
            Expect.sequenceEqual back.Values m.Values "values, bit for bit"
            File.WriteAllBytes(path, bytes[.. bytes.Length - 5])
            let message =
                try
                    FeatureFile.Read path |> ignore
                    failtest "a cut-short file was read"
                with :? RunFolderException as e -> e.Message
            Expect.stringStarts message path "the message starts with the file"
            Expect.stringContains message "needs 84 bytes of data, the file has 80" "says what is wrong"
        }

        test "plot tsne: teacher then each run, a CSV per panel over the same seeded subset" {
            use dir = new TempDir()
            let runs = withFeatures dir
            let out = dir.Sub "fig/figure4.png"
            let code, stdout, err = plot { options Tsne [ runs[0]; runs[1] ] out with Sample = Some 120 }
            Expect.equal code 0 (stdout + err)
            Expect.equal (pngSize out) (3 * 480, 560) "three panels: the teacher (from the KD run's teacher features) and two students"
            let csvs = Directory.GetFiles(dir.Sub "fig", "figure4_panel*.csv") |> Array.sort
            Expect.equal csvs.Length 3 "one CSV per panel"
            Expect.stringContains (Path.GetFileName csvs[0]) "panel0_teacher" "the teacher's panel first"
            let indices =
                [ for csv in csvs do
                    let header, rows = readCsv csv
                    Expect.equal header "index,label,x,y" "the header"
                    Expect.equal rows.Length 120 "the subset's size"
                    for r in rows do Expect.equal (int r[1]) (int r[0] % 10) "the label of the image at that index"
                    let idx = rows |> Array.map (fun r -> int r[0])
                    Expect.equal idx (Array.sort (Array.distinct idx)) "distinct indices in dataset order"
                    yield idx ]
            Expect.allEqual indices indices[0] "every panel embeds the same images"
            Expect.stringContains stdout "KL " "each panel's KL is reported"
            let again = dir.Sub "again/figure4.png"
            let code2, _, _ = plot { options Tsne [ runs[0]; runs[1] ] again with Sample = Some 120 }
            Expect.equal code2 0 "second run"
            let first = File.ReadAllText csvs[1]
            let second = File.ReadAllText(Directory.GetFiles(dir.Sub "again", "figure4_panel1*.csv")[0])
            Expect.equal second first "the same embedding again, to the last digit"
        }

        test "plot tsne: a run without features, or with the wrong row count, exits 1 naming the file" {
            use dir = new TempDir()
            let runs = withFeatures dir
            let code, _, err = plot (options Tsne [ runs[2] ] (dir.Sub "a.png"))
            Expect.equal code 1 "missing features"
            Expect.stringContains err (featuresPath runs[2] "student") "names the missing file"
            FeatureFile.Write(featuresPath runs[1] "student", clustered 3 299 12)
            let code, _, err = plot (options Tsne [ runs[0]; runs[1] ] (dir.Sub "b.png"))
            Expect.equal code 1 "299 rows for 300 test images"
            Expect.stringContains err (featuresPath runs[1] "student" + ": 299 feature rows") "names the file and the count"
        }

        test "plot tsne: usage errors exit 2" {
            use dir = new TempDir()
            let runs = withFeatures dir
            let code, _, err = plot { options Tsne [ runs[0] ] (dir.Sub "a.png") with Sample = Some 1 }
            Expect.equal code 2 err
            Expect.stringContains err "--sample 1" "names the flag"
            let code, _, err = plot (options Tsne [] (dir.Sub "b.png"))
            Expect.equal code 2 err
            Expect.stringContains err "plot tsne needs --runs" "runs are required"
        }
    ]
