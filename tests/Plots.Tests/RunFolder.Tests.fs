/// Reading run folders, and the errors for missing or malformed files: each names the file (and the
/// line, where there is one).
module LogitStd.Plots.Tests.RunFolderTests

open System.IO
open Expecto
open LogitStd.Shell.Plots
open LogitStd.Shell.Runs
open LogitStd.Plots.Tests.Synthetic

/// The RunFolderException `f` throws; fails the test when it throws nothing.
let private failure (f: unit -> unit) =
    try
        f ()
        failtest "expected a RunFolderException"
    with :? RunFolderException as e -> e

let private expectNames (e: RunFolderException) (file: string) (line: int option) =
    Expect.equal e.File file "the error names the file"
    Expect.equal (Option.ofNullable e.Line) line "and the line"
    let where = match line with Some l -> sprintf "%s:%d: " file l | None -> file + ": "
    Expect.stringStarts e.Message where "the message starts with file:line"

let tests =
    testList "RunFolder" [
        test "reads summary.json, metrics.csv and both logits files" {
            use dir = new TempDir()
            let path = runFolder dir.Path { run "kd-ls" "kd" true 3 with BestTop1 = 86.25 } 0.2
            let r = RunFolder.Open path
            Expect.equal (r.Summary.Method, r.Summary.Standardize, r.Summary.Seed) ("kd", true, 3) "method, +LS, seed"
            Expect.equal r.Summary.Teacher "wrn_40_2" "teacher"
            Expect.equal r.Summary.BestTop1 86.25 "best top-1"
            Expect.equal r.Summary.Label "KD+LS, seed 3" "legend label"
            let m = r.ReadMetrics()
            Expect.equal (m |> Seq.map (fun x -> x.Epoch) |> List.ofSeq) [ 1 .. 10 ] "one row per epoch"
            Expect.floatClose Accuracy.high m[9].TestTop1 (86.25 * (1.0 - exp -5.0)) "test_top1 by column name"
            let s = r.ReadStudentLogits()
            Expect.equal (s.Samples, s.Classes) (300, 10) "N × K"
            Expect.equal (r.ReadTeacherLogits()).Samples 300 "teacher logits"
        }

        test "a no-KD run has teacher null and no teacher logits" {
            use dir = new TempDir()
            let r = RunFolder.Open(runFolder dir.Path (run "ce" "none" false 1) 1.0)
            Expect.isNull r.Summary.Teacher "teacher: null"
            Expect.isFalse r.HasTeacherLogits "no teacher_test_logits.csv"
            let e = failure (fun () -> r.ReadTeacherLogits() |> ignore)
            expectNames e r.TeacherLogitsFile None
            Expect.stringContains e.Message "has no teacher" "says why the file is absent"
        }

        test "a missing folder or summary.json is named" {
            use dir = new TempDir()
            expectNames (failure (fun () -> RunFolder.Open(dir.Sub "nope") |> ignore)) (dir.Sub "nope") None
            Directory.CreateDirectory(dir.Sub "empty") |> ignore
            expectNames (failure (fun () -> RunFolder.Open(dir.Sub "empty") |> ignore)) (Path.Combine(dir.Sub "empty", "summary.json")) None
        }

        test "summary.json: bad JSON gives the line; a missing or mistyped field is named" {
            use dir = new TempDir()
            let path = runFolder dir.Path (run "kd" "kd" false 1) 1.0
            let summary = Path.Combine(path, "summary.json")
            let good = File.ReadAllText summary
            File.WriteAllText(summary, good.Replace("\"seed\": 1,", "\"seed\": 1,,"))
            expectNames (failure (fun () -> RunFolder.Open path |> ignore)) summary (Some 9)
            File.WriteAllText(summary, good.Replace("  \"seed\": 1,\n", ""))
            let e = failure (fun () -> RunFolder.Open path |> ignore)
            expectNames e summary None
            Expect.stringContains e.Message "missing field \"seed\"" "names the field"
            File.WriteAllText(summary, good.Replace("\"standardize\": false", "\"standardize\": \"no\""))
            Expect.stringContains (failure (fun () -> RunFolder.Open path |> ignore)).Message "\"standardize\" should be true or false" "wrong type"
            File.WriteAllText(summary, good.Replace("\"method\": \"kd\"", "\"method\": \"fitnet\""))
            Expect.stringContains (failure (fun () -> RunFolder.Open path |> ignore)).Message "expected one of none, kd" "unknown method"
        }

        test "metrics.csv: a bad number or a missing column names the file and line" {
            use dir = new TempDir()
            let r = RunFolder.Open(runFolder dir.Path (run "kd" "kd" false 1) 1.0)
            let lines = File.ReadAllLines r.MetricsFile
            let fields = lines[2].Split ','
            fields[6] <- "abc"
            File.WriteAllLines(r.MetricsFile, Array.updateAt 2 (String.concat "," fields) lines)
            let e = failure (fun () -> r.ReadMetrics() |> ignore)
            expectNames e r.MetricsFile (Some 3)
            Expect.stringContains e.Message "test_top1" "names the column"
            File.WriteAllLines(r.MetricsFile, Array.updateAt 0 (lines[0].Replace("test_loss", "val_loss")) lines)
            expectNames (failure (fun () -> r.ReadMetrics() |> ignore)) r.MetricsFile (Some 1)
            File.Delete r.MetricsFile
            expectNames (failure (fun () -> r.ReadMetrics() |> ignore)) r.MetricsFile None
        }

        test "logits CSV: short row, bad header, label out of range, empty file" {
            use dir = new TempDir()
            let r = RunFolder.Open(runFolder dir.Path (run "kd" "kd" false 1) 1.0)
            let file = r.StudentLogitsFile
            let lines = File.ReadAllLines file
            File.WriteAllLines(file, Array.updateAt 3 (lines[3].Substring(0, lines[3].LastIndexOf ',')) lines)
            let e = failure (fun () -> r.ReadStudentLogits() |> ignore)
            expectNames e file (Some 4)
            Expect.stringContains e.Message "10 fields, but the header has 11" "counts the fields"
            File.WriteAllLines(file, Array.updateAt 0 (lines[0].Replace("logit_3", "logit_x")) lines)
            expectNames (failure (fun () -> r.ReadStudentLogits() |> ignore)) file (Some 1)
            File.WriteAllLines(file, Array.updateAt 5 ("12" + lines[5].Substring(lines[5].IndexOf ',')) lines)
            Expect.stringContains (failure (fun () -> r.ReadStudentLogits() |> ignore)).Message (file + ":6: label 12") "label range"
            File.WriteAllText(file, "")
            expectNames (failure (fun () -> r.ReadStudentLogits() |> ignore)) file None
        }
    ]
