/// The samples as the documentation shows them: the library page's whole program is the C# sample that CI
/// builds from the package and runs (the Cake target Samples), and samples/ stays outside the
/// repository's build files, so that it proves what a stranger's project gets from the packages.
module LogitStd.Shell.Tests.SamplesTests

open System.IO
open System.Text.RegularExpressions
open Expecto
open LogitStd.Tests.TestPaths

/// The body of the first fenced block of `language` after `heading` in a Markdown text.
let fencedAfter (heading: string) (language: string) (markdown: string) =
    let at = markdown.IndexOf heading
    if at < 0 then None
    else
        let m = Regex.Match(markdown.Substring at, "```" + language + "\n(.*?)\n```", RegexOptions.Singleline)
        if m.Success then Some m.Groups.[1].Value else None

let tests =
    testList "samples" [
        testCase "docs/library.md's whole C# program is samples/Consumer/Program.cs, whole" <| fun () ->
            let page = File.ReadAllText(repoFile "docs/library.md")
            let program = File.ReadAllText(repoFile "samples/Consumer/Program.cs").TrimEnd('\n')
            match fencedAfter "## A whole program" "csharp" page with
            | Some code -> Expect.equal code program "docs/library.md shows the sample CI compiles and runs; copy Program.cs into it"
            | None -> failtest "docs/library.md: no ```csharp block after '## A whole program'"

        testCase "the block finder sees a difference (the check itself can fail)" <| fun () ->
            let md = "## Using the losses in your own TorchSharp loop\n\n```csharp\nvar x = 1;\n```\n"
            Expect.equal (fencedAfter "## Using the losses in your own TorchSharp loop" "csharp" md) (Some "var x = 1;") "found"
            Expect.notEqual (fencedAfter "## Using the losses in your own TorchSharp loop" "csharp" md) (Some "var x = 2;") "a different body"
            Expect.isNone (fencedAfter "## Elsewhere" "csharp" md) "no such heading"

        testCase "samples/ stops the repository's Directory.Build and central package files" <| fun () ->
            for stopper in [ "Directory.Build.props"; "Directory.Build.targets"; "Directory.Packages.props" ] do
                let file = repoFile ("samples/" + stopper)
                Expect.isTrue (File.Exists file) (sprintf "%s exists: MSBuild would otherwise import the repository's" file)
                Expect.isFalse (File.ReadAllText(file).Contains "Import") (sprintf "%s imports nothing" file)
            let project = File.ReadAllText(repoFile "samples/Consumer/Consumer.csproj")
            Expect.isFalse (project.Contains "ProjectReference") "the C# sample references packages only"
            Expect.stringContains project "Include=\"LogitStd\"" "the library package"
            Expect.stringContains (File.ReadAllText(repoFile "samples/distill.fsx")) "#r \"nuget: LogitStd" "the F# script takes the package"
    ]
