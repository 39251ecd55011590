/// Text formats: experiment YAML (`train --config`, a run's experiment.yaml), the reference JSON
/// (`check-reference`), and the run-folder files `plot`, `results` and `--resume` read (summary.json,
/// metrics.csv, metrics.jsonl, run.json, the analysis logits CSV). Deep nesting, unclosed brackets,
/// numbers set to extremes and lines dropped or repeated besides the byte-level damage.
module LogitStd.Fuzz.TextFuzz

open System
open System.IO
open Expecto
open LogitStd.Shell.Plots
open LogitStd.Shell.Runs
open LogitStd.Shell.Reference
open LogitStd.Shell.Training
open LogitStd.Fuzz.Mutate
open LogitStd.Fuzz.Harness
open LogitStd.Fuzz.Seeds

let private jsonOpeners = [| "["; "{\"a\":"; "[{\"b\":" |]

/// A text reader whose outcome is judged by kind only (text carries no checksum).
let private text format seed cases (path: string) (seeds: string list) openers (read: string -> unit) =
    let seeds = Array.ofList seeds
    fuzz format seed cases path (fun rng -> textwise rng seeds.[rng.Next seeds.Length] openers) (fun p -> read p; Same)

let tests =
    testSequenced <| testList "text formats" [
        test "experiment YAML" {
            use dir = new TempDir()
            let openers = [| "["; "{"; "- "; "a: {"; "\n  - [" |]
            text "experiment YAML" 301 500 (dir.File "experiment.yaml") (yamls ()) openers (ExperimentFile.Read >> ignore)
        }

        test "experiment YAML nested 5,000 deep is refused by name" {
            use dir = new TempDir()
            for nested in [ String.replicate 5000 "[" + String.replicate 5000 "]"; String.replicate 5000 "{a: " + "1" + String.replicate 5000 "}"
                            String.Join("\n", [ for i in 0..4999 -> String(' ', i) + "- " ]) ] do
                let path = dir.File "deep.yaml"
                File.WriteAllText(path, "experiment:\n  name: x\nsolver: " + nested + "\n")
                let e = Expect.throwsC (fun () -> ExperimentFile.Read path |> ignore) id
                Expect.isTrue (e :? ExperimentFileException) (sprintf "an ExperimentFileException, not %s" (e.GetType().Name))
                Expect.stringContains e.Message path "names the file"
        }

        test "reference JSON" {
            use dir = new TempDir()
            text "reference JSON" 302 250 (dir.File "reference.json") [ reference () ] jsonOpeners (ReferenceFile.Load >> ignore)
        }

        test "summary.json" {
            use dir = new TempDir()
            text "summary.json" 303 200 (dir.File "summary.json") [ summaryJson ] jsonOpeners (fun _ -> RunFolder.Open dir.Path |> ignore)
        }

        test "metrics.csv (plot)" {
            use dir = new TempDir()
            text "metrics.csv" 304 200 (dir.File "metrics.csv") [ metricsCsv ] [| ","; "\n" |] (EpochMetricsReader.Read >> ignore)
        }

        test "logits CSV (plot)" {
            use dir = new TempDir()
            let read p = LogitMatrix.ReadCsv(p, "fuzz") |> ignore
            text "logits CSV" 305 200 (dir.File "student_test_logits.csv") [ logitsCsv ] [| ","; "\n" |] read
        }

        test "run.json (--resume)" {
            use dir = new TempDir()
            File.WriteAllText(dir.File "experiment.yaml", (yamls ()).Head)
            text "run.json" 306 150 (dir.File "run.json") [ runJson ] jsonOpeners (fun _ -> RunOutput.Open(dir.Path).ReadThreads() |> ignore)
        }

        test "metrics logs (--resume)" {
            use dir = new TempDir()
            let truncate (other: string, content: string) (_: string) =
                File.WriteAllText(dir.File other, content)
                MetricsLog(dir.Path, [| "ce"; "kd" |]).TruncateAfter 2
            text "metrics.jsonl (resume)" 307 150 (dir.File "metrics.jsonl") [ metricsJsonl ] jsonOpeners (truncate ("metrics.csv", metricsCsv))
            text "metrics.csv (resume)" 308 150 (dir.File "metrics.csv") [ metricsCsv ] [| ","; "\n" |] (truncate ("metrics.jsonl", metricsJsonl))
        }
    ]
