/// The command line: help exits 0, bad flags exit 2 with the usage.
module LogitStd.Shell.Tests.CliTests

open Expecto
open LogitStd.Core

let tests =
    testList "command line" [
        testCase "--help on the program and on every command" <| fun () ->
            for args in [ [| "--help" |]; [| "check-reference"; "--help" |]; [| "dataset"; "check"; "--help" |]; [| "models"; "--help" |]; [| "eval"; "--help" |] ] do
                match Cli.parse args with
                | Cli.Help text -> Expect.stringContains text "USAGE: logitstd" (String.concat " " args)
                | other -> failtestf "%A gave %A" args other

        testCase "an unknown command or flag is an error naming it" <| fun () ->
            match Cli.parse [| "bogus" |] with
            | Cli.Error text -> Expect.stringContains text "bogus" "names it"
            | other -> failtestf "got %A" other
            match Cli.parse [| "models"; "--classes"; "0" |] with
            | Cli.Error text -> Expect.stringContains text "--classes must be positive" "names the flag"
            | other -> failtestf "got %A" other
            match Cli.parse [| "dataset"; "check"; "--dataset"; "mnist" |] with
            | Cli.Error text -> Expect.stringContains text "--dataset" "names the flag"
            | other -> failtestf "got %A" other

        testCase "check-reference needs at least one file" <| fun () ->
            match Cli.parse [| "check-reference" |] with
            | Cli.Error _ -> ()
            | other -> failtestf "got %A" other
            match Cli.parse [| "check-reference"; "a.json"; "b.json"; "--write-actual"; "o.json" |] with
            | Cli.Run(Cli.CheckReference(files, out)) ->
                Expect.equal files [ "a.json"; "b.json" ] "files"
                Expect.equal out (Some "o.json") "output"
            | other -> failtestf "got %A" other

        testCase "teacher-cache build: defaults, and the flag combinations it refuses" <| fun () ->
            match Cli.parse [| "teacher-cache"; "build"; "--teacher"; "t.ckpt"; "--dataset"; "cifar100" |] with
            | Cli.Run(Cli.CacheTeacher o) ->
                Expect.equal o.CacheDir (System.IO.Path.Combine("cache", "teacher")) "the default folder"
                Expect.equal o.Dataset TeacherCacheCli.Cifar100 "dataset"
                Expect.equal (o.Augment, o.TrainSubset, o.Seed) (false, None, 0) "no augmentation flag, no subset, seed 0"
            | other -> failtestf "got %A" other
            for args, text in [ [| "--dataset"; "cifar100"; "--augment" |], "--augment is for fashion-mnist"
                                [| "--dataset"; "fashion-mnist"; "--seed"; "3" |], "--seed chooses the --train-subset"
                                [| "--dataset"; "fashion-mnist"; "--train-subset"; "0" |], "--train-subset must be positive"
                                [| "--dataset"; "imagefolder" |], "--dataset" ] do
                match Cli.parse (Array.append [| "teacher-cache"; "build"; "--teacher"; "t.ckpt" |] args) with
                | Cli.Error e -> Expect.stringContains e text (String.concat " " args)
                | other -> failtestf "%A gave %A" args other

        testCase "--teacher-cache belongs to distill" <| fun () ->
            match Cli.parse [| "distill"; "--teacher"; "t.ckpt"; "--method"; "kd"; "--teacher-cache"; "c"; "--out"; "o" |] with
            | Cli.Run(Cli.Fit o) -> Expect.equal o.TeacherCache (Some "c") "the folder"
            | other -> failtestf "got %A" other
            match Cli.parse [| "train"; "--teacher-cache"; "c"; "--out"; "o" |] with
            | Cli.Error e -> Expect.stringContains e "--teacher-cache belongs to `logitstd distill`" "names the flag"
            | other -> failtestf "got %A" other
    ]
