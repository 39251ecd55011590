/// The rules of a `logitstd plot` line (`PlotCli.check`): errors stop it (exit 2), notes only inform.
module LogitStd.Core.Tests.CliPlotTests

open Expecto
open LogitStd.Core
open LogitStd.Core.PlotCli

let private line kind runs out : PlotOptions =
    { Kind = kind; Runs = runs; Out = out; Sample = None; Standardized = false; Student = None; Teacher = None }

let private errors o = fst (check o) |> String.concat " | "
let private notes o = snd (check o) |> String.concat " | "

let tests =
    testList "plot line rules" [
        test "a valid line has neither errors nor notes" {
            Expect.equal (check (line Curves [ "r" ] "c.png")) ([], []) "curves"
            Expect.equal (check { line Forest [ "runs/study" ] "f.svg" with Student = Some "fmnist_mlp" }) ([], []) "forest of one student"
        }

        test "the format, and --runs for every figure but the toy" {
            Expect.stringContains (errors (line Curves [ "r" ] "c.pdf")) ".png or .svg" "the format"
            Expect.stringContains (errors (line Stats [] "s.png")) "plot stats needs --runs" "runs needed"
            Expect.stringContains (errors (line Forest [] "f.png")) "plot forest needs --runs" "forest too"
            Expect.stringContains (errors (line Levels [] "l.png")) "plot levels needs --runs" "levels too"
            let o = { line Toy [ "r" ] "t.png" with Standardized = true }
            Expect.isEmpty (fst (check o)) "the toy figure needs no runs"
            Expect.equal (snd (check o)).Length 2 "--runs and --standardized are noted as unused"
        }

        test "--student: a name is needed, and only forest uses it" {
            Expect.stringContains (errors { line Forest [ "r" ] "f.png" with Student = Some " " }) "--student needs a model name" "blank"
            Expect.stringContains (notes { line Curves [ "r" ] "c.png" with Student = Some "fmnist_mlp" }) "--student fmnist_mlp applies to plot forest only" "noted"
            Expect.stringContains (notes { line Forest [ "r" ] "f.png" with Standardized = true }) "--standardized does not apply to plot forest" "noted"
            Expect.stringContains (notes { line Levels [ "r" ] "l.png" with Student = Some "fmnist_mlp" }) "applies to plot forest only" "levels has no --student"
        }

        test "tsne: --runs needed, --sample at least 2; --teacher and --sample noted where unused" {
            Expect.equal (check { line Tsne [ "r" ] "t.png" with Teacher = Some "teacher"; Sample = Some 2000 }) ([], []) "a valid line"
            Expect.stringContains (errors (line Tsne [] "t.png")) "plot tsne needs --runs" "runs needed"
            Expect.stringContains (errors { line Tsne [ "r" ] "t.png" with Sample = Some 1 }) "--sample 1: t-SNE needs at least 2" "too few images"
            Expect.stringContains (notes { line Heatmap [ "r" ] "h.png" with Teacher = Some "t" }) "--teacher t applies to plot tsne only" "noted"
            Expect.stringContains (notes { line Curves [ "r" ] "c.png" with Sample = Some 3 }) "--sample applies to plot logit-bars and tsne only" "noted"
            Expect.isEmpty (snd (check { line Logit_Bars [ "r" ] "b.png" with Sample = Some 3 })) "logit-bars uses --sample"
        }

        test "every kind has a command-line name Argu accepts" {
            let parser = Argu.ArgumentParser.Create<PlotArgs>(programName = "plot")
            for kind in [ Toy; Logit_Bars; Heatmap; Stats; Ranges; Curves; Results; Forest; Levels; Tsne ] do
                let parsed = parser.Parse([| kindName kind; "--out"; "x.png" |])
                Expect.equal (parsed.GetResult PlotArgs.Kind) kind (kindName kind)
        }
    ]
