/// The teacher cache under `kill -9`: a build killed between a chunk's logits and its table entry
/// resumes to the same file byte for byte, and a distillation that reads (and first fills) the cache,
/// killed during the fill and during training, resumes to exactly the uninterrupted run.
module LogitStd.Integrity.Tests.TeacherCacheTests

open System.IO
open Expecto
open LogitStd.Tests.TestPaths
open LogitStd.Integrity.Tests.Program

let private cacheFile (dir: string) =
    match Directory.GetFiles(dir, "*.tlc") with
    | [| f |] -> f
    | files -> failtestf "expected one cache file in %s, found %d" dir files.Length

let tests =
    let dir = new TempDir()
    let data = realFashionSubset (dir.File "fashion-mnist") 512 256
    let teacher =
        lazy
            (let o =
                run [] None [ "train"; "--model"; "fmnist_small_cnn"; "--dataset"; "fashion-mnist"; "--data-dir"; data.Value
                              "--epochs"; "1"; "--threads"; "1"; "--seed"; "1"; "--out"; dir.File "teacher" ]
             if o.Code <> 0 then failwithf "teacher training failed: %s%s" o.Out o.Err
             dir.File "teacher/checkpoints/best.ckpt")
    let build (cacheDir: string) =
        [ "teacher-cache"; "build"; "--teacher"; teacher.Force(); "--dataset"; "fashion-mnist"; "--data-dir"; data.Value
          "--augment"; "--threads"; "1"; "--cache-dir"; cacheDir ]
    let distill (cacheDir: string) (out: string) =
        [ "distill"; "--model"; "fmnist_mlp"; "--dataset"; "fashion-mnist"; "--data-dir"; data.Value; "--teacher"; teacher.Force()
          "--method"; "kd"; "--logit-stand"; "--epochs"; "3"; "--batch-size"; "32"; "--lr"; "0.01"; "--threads"; "1"; "--seed"; "3"
          "--teacher-cache"; cacheDir; "--out"; out ]
    testSequenced <| testList "teacher cache, kill -9" [
        testCase "a build killed between a chunk's logits and its table entry resumes to the same file" <| fun () ->
            if data.IsNone then skiptest "./data/fashion-mnist is absent: run `dotnet cake --target=Data`"
            let clean = run [] None (build (dir.File "clean"))
            Expect.equal clean.Code 0 (clean.Out + clean.Err)
            Expect.stringContains clean.Out "50 views" "512 images × 50 views (crop with padding 2, flip)"
            let killed = run [ "LOGITSTD_KILL_AT", "cache:17" ] None (build (dir.File "cut"))
            Expect.isTrue killed.Killed (sprintf "killed at the 17th chunk: %s%s" killed.Out killed.Err)
            let resumed = run [] None (build (dir.File "cut"))
            Expect.equal resumed.Code 0 (resumed.Out + resumed.Err)
            Expect.stringContains resumed.Out "(34 of 50 chunks)" "16 chunks were kept, the 17th (logits written, entry not) is computed again"
            Expect.equal (File.ReadAllBytes(cacheFile (dir.File "cut"))) (File.ReadAllBytes(cacheFile (dir.File "clean"))) "byte for byte"

        testCase "a cached distillation killed while filling and while training equals the uninterrupted run" <| fun () ->
            if data.IsNone then skiptest "./data/fashion-mnist is absent: run `dotnet cake --target=Data`"
            let reference = run [] None (distill (dir.File "cache-ref") (dir.File "ref"))
            Expect.equal reference.Code 0 (reference.Out + reference.Err)
            Expect.stringContains reference.Out "teacher cache: " "the cache's location and size are printed"
            let cut = dir.File "cut-run"
            let first = run [ "LOGITSTD_KILL_AT", "cache:1" ] None (distill (dir.File "cache-cut") cut)
            Expect.isTrue first.Killed "killed during the cache fill"
            for kill in [ "step:20"; "step:9" ] do
                let o = run [ "LOGITSTD_KILL_AT", kill ] None [ "distill"; "--resume"; cut ]
                Expect.isTrue o.Killed (sprintf "killed at %s: %s%s" kill o.Out o.Err)
            let last = run [] None [ "distill"; "--resume"; cut ]
            Expect.equal last.Code 0 (last.Out + last.Err)
            Expect.equal (metricsWithoutTime cut) (metricsWithoutTime (dir.File "ref")) "every metric column"
            Expect.equal (summary cut) (summary (dir.File "ref")) "summary.json"
            let logits r = File.ReadAllText(Path.Combine(r, "analysis/student_test_logits.csv"))
            Expect.equal (logits cut) (logits (dir.File "ref")) "the test-set logits"
            Expect.equal (File.ReadAllBytes(cacheFile (dir.File "cache-cut"))) (File.ReadAllBytes(cacheFile (dir.File "cache-ref"))) "the same cache"
    ]
