/// `logitstd check-reference`: the committed reference vectors and the official sample match; malformed
/// files exit 1 (the file is at fault) naming the file and the case; mismatches exit 1 and are listed.
module LogitStd.Shell.Tests.ReferenceTests

open System.IO
open System.Text.Json.Nodes
open Expecto
open LogitStd.Shell.Cli
open LogitStd.Shell.Tests.TestFiles

let check (files: string list) (writeActual: string option) =
    runCommand (fun out err -> CheckReferenceCommand.Run(ResizeArray files, Option.toObj writeActual, out, err))

let sample = Path.Combine(repoRoot, "..", "shared", "reference-sample.json")
let committed = repoFile "tests/reference/logitstd-reference.json"
/// DIST, NKD, WTTM and RLD from an independent PyTorch implementation (tools/reference/generate_reference_newer.py).
let newer = repoFile "tests/reference/logitstd-reference-newer.json"

/// A small valid file: the first kd case of the committed vectors, edited by `edit`.
let writeCase (dir: TempDir) (name: string) (edit: JsonObject -> unit) =
    let root = JsonNode.Parse(File.ReadAllText committed).AsObject()
    let cases = root.["cases"].AsArray()
    let first = cases |> Seq.find (fun c -> c.["loss"].GetValue<string>() = "kd") |> fun c -> c.DeepClone().AsObject()
    edit first
    root.["cases"] <- JsonArray(first :> JsonNode)
    let path = dir.File name
    File.WriteAllText(path, root.ToJsonString())
    path

let tests =
    testSequenced <| testList "check-reference" [
        testCase "the committed reference vectors all match" <| fun () ->
            let code, out, _ = check [ committed ] None
            Expect.equal code 0 out
            let cases = JsonNode.Parse(File.ReadAllText committed).["cases"].AsArray().Count
            Expect.stringContains out (sprintf "reference: %d cases, %d match, 0 mismatch" cases cases) "every case counted, every one a match"

        testCase "the newer methods' vectors (dist, nkd, wttm, rld) all match, every kind present" <| fun () ->
            let code, out, _ = check [ newer ] None
            Expect.equal code 0 out
            let cases = JsonNode.Parse(File.ReadAllText newer).["cases"].AsArray()
            Expect.stringContains out (sprintf "reference: %d cases, %d match, 0 mismatch" cases.Count cases.Count) "every case counted, every one a match"
            let kinds = cases |> Seq.map (fun c -> c.["loss"].GetValue<string>()) |> Set.ofSeq
            Expect.equal kinds (set [ "dist"; "nkd"; "wttm"; "rld" ]) "the four kinds"

        testCase "the official sample matches" <| fun () ->
            if not (File.Exists sample) then skiptest $"{sample} is absent (the team's shared folder beside the repository)"
            let code, out, _ = check [ sample ] None
            Expect.equal code 0 out
            Expect.stringContains out "reference: 13 cases, 13 match, 0 mismatch" "summary line"

        testCase "a wrong expected value is a mismatch: exit 1, the case is named" <| fun () ->
            use dir = new TempDir()
            let path = writeCase dir "bad.json" (fun c -> c.["name"] <- JsonValue.Create "kd/tampered"; c.["expected"].["value"] <- JsonValue.Create 1.2345)
            let code, out, _ = check [ path ] None
            Expect.equal code 1 "exit 1"
            Expect.stringContains out "MISMATCH" "lists it"
            Expect.stringContains out "kd/tampered" "names the case"
            Expect.stringContains out "reference: 1 cases, 0 match, 1 mismatch" "summary"

        testCase "a malformed file exits 1 naming the file and the case" <| fun () ->
            use dir = new TempDir()
            let path = writeCase dir "malformed.json" (fun c -> c.["name"] <- JsonValue.Create "kd/no-temperature"; c.["params"] <- JsonObject())
            let code, _, err = check [ path ] None
            Expect.equal code 1 "exit 1: the file is at fault"
            Expect.stringContains err "malformed.json" "names the file"
            Expect.stringContains err "kd/no-temperature" "names the case"
            Expect.stringContains err "params.temperature" "names the field"

        testCase "invalid JSON, a wrong format tag and a missing file exit 1" <| fun () ->
            use dir = new TempDir()
            let broken = dir.File "broken.json"
            File.WriteAllText(broken, "{\"format\": \"logitstd-reference/1\", \"cases\": [")
            let wrongTag = dir.File "tag.json"
            File.WriteAllText(wrongTag, "{\"format\": \"other/2\", \"cases\": []}")
            for path in [ broken; wrongTag; dir.File "missing.json" ] do
                let code, _, err = check [ path ] None
                Expect.equal code 1 (sprintf "%s: %s" path err)
                Expect.stringContains err (Path.GetFileName path) "names the file"

        testCase "a ragged matrix is malformed" <| fun () ->
            use dir = new TempDir()
            let path = writeCase dir "ragged.json" (fun c -> c.["student"].[0].AsArray().RemoveAt(0))
            let code, _, err = check [ path ] None
            Expect.equal code 1 err
            Expect.stringContains err "student" "names the field"

        testCase "--write-actual writes LogitStd's values, which then match themselves" <| fun () ->
            use dir = new TempDir()
            let path = writeCase dir "one.json" (fun c -> c.["expected"].["value"] <- JsonValue.Create 1.0)
            let out = dir.File "actual.json"
            let code, _, _ = check [ path ] (Some out)
            Expect.equal code 1 "the tampered case mismatches"
            let code2, text, _ = check [ out ] None
            Expect.equal code2 0 text
            let written = JsonNode.Parse(File.ReadAllText out)
            Expect.equal (written.["format"].GetValue<string>()) "logitstd-reference/1" "same format"
            Expect.notEqual (written.["cases"].[0].["expected"].["value"].GetValue<float>()) 1.0 "own value in place of expected"
    ]
