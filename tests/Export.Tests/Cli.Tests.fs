/// The `export` and `predict` command lines: typed options, and the combinations that make no sense
/// refused as usage errors (exit 2).
module LogitStd.Export.Tests.CliTests

open Expecto
open LogitStd.Core

let private error args =
    match Cli.parse args with
    | Cli.Error text -> text
    | other -> failtestf "%A should be a usage error, got %A" args other

let tests =
    testList "command line" [
        testCase "export parses model, weights, format, out, opset and features" <| fun () ->
            match Cli.parse [| "export"; "--model"; "resnet8x4"; "--weights"; "w.pth"; "--format"; "onnx"; "--out"; "r.onnx"; "--opset"; "13"; "--features" |] with
            | Cli.Run(Cli.Deploy o) ->
                Expect.equal (o.Model, o.Weights, o.Format, o.Out, o.Opset, o.Features) ("resnet8x4", "w.pth", DeployCli.Onnx, "r.onnx", Some 13, true) "options"
            | other -> failtestf "got %A" other

        testCase "export refuses an opset outside 13..21 and onnx-only flags with --format pytorch" <| fun () ->
            let common = [| "export"; "--model"; "m"; "--weights"; "w"; "--out"; "o" |]
            Expect.stringContains (error (Array.append common [| "--format"; "onnx"; "--opset"; "9" |])) "--opset must be in 13..21, got 9" "opset"
            Expect.stringContains (error (Array.append common [| "--format"; "pytorch"; "--features" |])) "--format onnx only" "features"
            Expect.stringContains (error (Array.append common [| "--format"; "tflite" |])) "--format" "unknown format"

        testCase "predict takes --onnx, or --model with --weights, never both" <| fun () ->
            match Cli.parse [| "predict"; "--onnx"; "s.onnx"; "--images"; "a.png" |] with
            | Cli.Run(Cli.Classify o) ->
                Expect.equal (o.Onnx, o.Model, o.Images, o.Top, o.Index) (Some "s.onnx", None, "a.png", 5, None) "defaults"
            | other -> failtestf "got %A" other
            Expect.stringContains (error [| "predict"; "--images"; "a.png" |]) "give --onnx FILE, or --model M with --weights CKPT" "neither"
            Expect.stringContains (error [| "predict"; "--onnx"; "s.onnx"; "--model"; "m"; "--weights"; "w"; "--images"; "a.png" |]) "not both" "both"
            Expect.stringContains (error [| "predict"; "--model"; "m"; "--images"; "a.png" |]) "--weights" "model without weights"
            Expect.stringContains (error [| "predict"; "--onnx"; "s.onnx"; "--images"; "a.png"; "--top"; "0" |]) "--top must be positive" "top"
            Expect.stringContains (error [| "predict"; "--onnx"; "s.onnx"; "--images"; "a.idx"; "--index"; "-1" |]) "--index must be >= 0" "index"
    ]
