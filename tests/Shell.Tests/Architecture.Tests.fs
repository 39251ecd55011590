/// The rooms of the code and what each may use (docs/architecture.md), checked on the sources: a
/// forbidden reference — `using LogitStd.Shell.X`, a qualified `LogitStd.Shell.X.Y`, or a relative
/// `X.Y` inside the shell's namespace — fails the test with the file and line.
module LogitStd.Shell.Tests.ArchitectureTests

open System.IO
open System.Text.RegularExpressions
open Expecto

/// The shell's folders (one namespace each) and the folders each must not use.
let private forbidden =
    [ "Data", [ "Training"; "Plots"; "Cli"; "Runs"; "Bench"; "Export"; "Reference"; "Sweep" ]
      "Models", [ "Training"; "Plots"; "Cli"; "Runs"; "Bench"; "Data"; "Reference" ]
      "Persistence", [ "Training"; "Plots"; "Cli"; "Runs"; "Bench"; "Export"; "Reference" ]
      "Runs", [ "Training"; "Plots"; "Cli"; "Bench"; "Export"; "Reference" ]
      "Plots", [ "Training"; "Cli"; "Bench"; "Export"; "Reference" ]
      "Training", [ "Plots"; "Cli"; "Bench"; "Export"; "Reference" ]
      "Export", [ "Training"; "Plots"; "Cli"; "Runs"; "Bench"; "Reference" ]
      "Reference", [ "Training"; "Plots"; "Cli"; "Runs"; "Bench"; "Export"; "Data"; "Models" ]
      "Diagnostics", [ "Training"; "Plots"; "Cli"; "Runs"; "Bench"; "Export"; "Data"; "Models"; "Persistence"; "Reference" ]
      "Bench", [ "Plots"; "Cli"; "Export"; "Reference"; "Sweep" ]
      "Platform", [ "Training"; "Plots"; "Cli"; "Runs"; "Bench"; "Export"; "Data"; "Models"; "Persistence"; "Reference"; "Sweep" ]
      // A sweep runs training commands; it knows the run folder, not how training or figures work.
      "Sweep", [ "Training"; "Plots"; "Bench"; "Export"; "Reference"; "Data"; "Models"; "TeacherCache" ]
      // Safe file access (regular files, bounded reads, tree walks) serves every room and uses none.
      "SafeIO", [ "Training"; "Plots"; "Cli"; "Runs"; "Bench"; "Export"; "Data"; "Models"; "Persistence"; "Reference"; "Sweep"; "TeacherCache"; "Diagnostics"; "Platform" ]
      // The teacher cache serves the trainer; it knows data, models and files, not training.
      "TeacherCache", [ "Training"; "Plots"; "Cli"; "Runs"; "Bench"; "Export"; "Reference"; "Sweep" ] ]

let private folders = forbidden |> List.map fst |> set |> Set.add "Cli"

/// The rooms a C# source line refers to.
let private references (line: string) =
    let trimmed = line.TrimStart()
    if trimmed.StartsWith "//" then [] else
    let qualified = [ for m in Regex.Matches(line, @"LogitStd\.Shell\.([A-Z]\w*)") -> m.Groups.[1].Value ]
    // A relative reference from inside LogitStd.Shell: `Plots.RunFolder`, but not `Core.Cli.X`.
    let relative =
        [ for m in Regex.Matches(line, @"(?<![\w.])([A-Z]\w*)\.[A-Z]\w*") do
              if folders.Contains m.Groups.[1].Value then yield m.Groups.[1].Value ]
    qualified @ relative

let private violations (room: string) (banned: string list) =
    let dir = repoFile ("Shell.CSharp/" + room)
    [ for file in Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories) do
          let lines = File.ReadAllLines file
          for i in 0 .. lines.Length - 1 do
              for r in references lines.[i] do
                  if List.contains r banned then
                      sprintf "%s:%d uses %s: %s" (Path.GetRelativePath(repoRoot, file)) (i + 1) r (lines.[i].Trim()) ]

let tests =
    testList "architecture" [
        testCase "the core does no IO and knows nothing of the shell" <| fun () ->
            let core = repoFile "Core.FSharp"
            let offending =
                [ for file in Directory.EnumerateFiles(core, "*.fs*", SearchOption.AllDirectories) do
                      if not (file.Contains "/obj/" || file.Contains "/bin/") then
                          let lines = File.ReadAllLines file
                          for i in 0 .. lines.Length - 1 do
                              let l = lines.[i]
                              if l.Contains "LogitStd.Shell" || Regex.IsMatch(l, @"\b(System\.IO\.File|File\.(Read|Write|Open|Exists)|Directory\.|Console\.|DateTime\.Now|Stopwatch)\b") then
                                  sprintf "%s:%d: %s" (Path.GetRelativePath(repoRoot, file)) (i + 1) (l.Trim()) ]
            Expect.isEmpty offending "core → shell, or IO in the core"
            let projects = Directory.GetFiles(core, "*.fsproj", SearchOption.AllDirectories)
            Expect.equal projects.Length 2 "the core is two projects: the loss library and the experiments"
            for project in projects do
                Expect.isFalse (File.ReadAllText(project).Contains "Shell.CSharp") (sprintf "%s references no shell project" project)

        testCase "the loss library uses nothing of the experiments, the CLI grammar or YAML" <| fun () ->
            let project = File.ReadAllText(repoFile "Core.FSharp/LogitStd/LogitStd.fsproj")
            let references = Regex.Matches(project, @"<(PackageReference|ProjectReference) Include=""([^""]+)""") |> Seq.map (fun m -> m.Groups.[2].Value) |> List.ofSeq
            Expect.equal references [ "TorchSharp" ] "TorchSharp alone (FSharp.Core comes from Directory.Build.props)"
            Expect.isFalse (project.Contains "<RuntimeIdentifier>linux") "no RuntimeIdentifier: the package is portable"

        for room, banned in forbidden do
            testCase (sprintf "%s uses none of %s" room (String.concat ", " banned)) <| fun () ->
                Expect.isEmpty (violations room banned) (sprintf "forbidden references from %s" room)

        testCase "the rule finds a forbidden reference (the check itself can fail)" <| fun () ->
            Expect.equal (references "using LogitStd.Shell.Training;") [ "Training" ] "a using"
            Expect.equal (references "var x = new Plots.RunFolderException(p, null, m);") [ "Plots" ] "a relative reference"
            Expect.equal (references "using DatasetKind = LogitStd.Core.Domain.DatasetKind;") [] "the core's namespaces are not the shell's rooms"
            Expect.equal (references "// see Training.Trainer") [] "comments do not count"
    ]
