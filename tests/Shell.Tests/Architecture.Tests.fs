/// The rooms of the code and what each may use (docs/architecture.md), checked on the sources: a
/// forbidden reference — `using LogitStd.Shell.X`, a qualified `LogitStd.Shell.X.Y`, or a relative
/// `X.Y` inside the shell's namespace — fails the test with the file and line; so does a forbidden room
/// reached through other rooms (Sweep → Cli → Training), with the chain; and IO in the core.
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

/// The shell's rooms: its folders, one namespace each.
let private rooms =
    Directory.GetDirectories(repoFile "Shell.CSharp")
    |> Array.map Path.GetFileName
    |> Array.filter (fun d -> d <> "bin" && d <> "obj" && d <> "Properties")
    |> Set.ofArray

let private folders = forbidden |> List.map fst |> set |> Set.add "Cli"

/// The rooms among `names` a C# source line refers to.
let private referencesTo (names: Set<string>) (line: string) =
    let trimmed = line.TrimStart()
    if trimmed.StartsWith "//" then [] else
    let qualified = [ for m in Regex.Matches(line, @"LogitStd\.Shell\.([A-Z]\w*)") -> m.Groups.[1].Value ]
    // A relative reference from inside LogitStd.Shell: `Plots.RunFolder`, but not `Core.Cli.X`.
    let relative =
        [ for m in Regex.Matches(line, @"(?<![\w.])([A-Z]\w*)\.[A-Z]\w*") do
              if names.Contains m.Groups.[1].Value then yield m.Groups.[1].Value ]
    qualified @ relative

/// The rooms a C# source line refers to.
let private references (line: string) = referencesTo folders line

/// The C# files of a room.
let private filesOf (room: string) =
    Directory.EnumerateFiles(repoFile ("Shell.CSharp/" + room), "*.cs", SearchOption.AllDirectories) |> List.ofSeq

/// The other rooms that `files` of `room` refer to.
let private usesOf (room: string) (files: string list) =
    set [ for file in files do
              for line in File.ReadAllLines file do
                  for r in referencesTo rooms line do
                      if r <> room && rooms.Contains r then yield r ]

/// The types a C# file declares (classes, records, structs, interfaces, enums), comments skipped.
let private declaredTypes (file: string) =
    set [ for line in File.ReadAllLines file do
              if not (line.TrimStart().StartsWith "//") then
                  for m in Regex.Matches(line, @"\b(?:class|record(?:\s+(?:struct|class))?|struct|interface|enum)\s+([A-Z]\w*)") do
                      yield m.Groups.[1].Value ]

/// Edges that the transitive rule follows only into the part of the room they use: `from` may use
/// nothing of `into` but the types `files` declare, and reaches only the rooms those files use. Each
/// is a leaf service that happens to live in a larger room; a test checks both claims.
let private narrowEdges =
    [ // A model describes its forward pass for the ONNX exporter in Export's graph vocabulary (and its
      // protobuf encoding), which uses no other room; the exporter, the sessions and the image
      // classifiers of Export use Data and Models, which a model must not reach.
      "Models", "Export", [ "IOnnxExportable.cs"; "OnnxGraphBuilder.cs"; "OnnxGraphBuilder.Ops.cs"; "OnnxModel.cs"; "ProtoWriter.cs" ]
      // Reference vectors, a sweep's folder marker and every file of a run folder are written through
      // the one atomic writer; Persistence's checkpoint readers use Models, which Reference and Sweep
      // (also through Runs) must not reach.
      "Reference", "Persistence", [ "Atomic.cs" ]
      "Sweep", "Persistence", [ "Atomic.cs" ]
      "Runs", "Persistence", [ "Atomic.cs" ] ]

/// Known indirect violations, not followed by the transitive rule until they are removed (each is
/// checked to be still there, so that a removed one leaves this list).
let private knownIndirect : (string * string) list =
    // None left: `sweep-task` was Sweep → Cli (it ran `Cli.TrainCommand.Run` itself); Program.cs now hands
    // SweepTask the command runner, so Sweep knows how to start a run, not what a run is.
    []

let private narrowInto (from: string) (into: string) =
    narrowEdges |> List.tryPick (fun (f, i, files) -> if f = from && i = into then Some files else None)

/// Each room's direct uses of other rooms, from the sources.
let private graph = lazy (rooms |> Seq.map (fun r -> r, usesOf r (filesOf r)) |> Map.ofSeq)

/// The rooms the transitive rule steps to from `room`: a direct use, or, through a narrow edge, the
/// rooms its files use; a known indirect violation is not followed.
let private steps (room: string) =
    set [ for into in graph.Value.[room] do
              if not (List.contains (room, into) knownIndirect) then
                  match narrowInto room into with
                  | Some files -> yield! usesOf into [ for f in files -> repoFile ("Shell.CSharp/" + into + "/" + f) ] |> Set.remove room
                  | None -> yield into ]

/// Every room reachable from `start` through `next`, each with one chain that reaches it (`start` first).
let chains (next: string -> Set<string>) (start: string) : Map<string, string list> =
    let rec walk (found: Map<string, string list>) (todo: string list) =
        match todo with
        | [] -> found
        | room :: rest ->
            let fresh = next room |> Set.filter (fun r -> not (found.ContainsKey r)) |> Set.toList
            let found' = fresh |> List.fold (fun (m: Map<string, string list>) r -> m.Add(r, found.[room] @ [ r ])) found
            walk found' (rest @ fresh)
    walk (Map [ start, [ start ] ]) [ start ]

/// IO in a line of the core: files, folders, the console, the environment, the clock, processes, and
/// the members of `Path` that read the process's state (GetFullPath: the current folder; the temp
/// folder). Path's pure string functions (file name, extension, folder name, joining) are not IO.
/// Comments and string literals do not count.
let coreIo (line: string) =
    let code =
        let noStrings = Regex.Replace(line, "\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
        match noStrings.IndexOf "//" with
        | -1 -> noStrings
        | i -> noStrings.Substring(0, i)
    [ @"\bLogitStd\.Shell\b"
      @"\bFile(Info|Stream)?\."
      @"\bnew\s+(FileInfo|FileStream|StreamReader|StreamWriter|DirectoryInfo)\b"
      @"\bDirectory(Info)?\."
      @"\bConsole\."
      @"\bEnvironment\."
      @"\bPath\.(?!(GetFileName|GetFileNameWithoutExtension|GetExtension|GetDirectoryName|Combine|Join|ChangeExtension|HasExtension)\b)\w+"
      @"\bDateTime(Offset)?\.(Now|UtcNow|Today)\b"
      @"\bStopwatch\b"
      @"\bProcess\."
      @"\b(printf|printfn|eprintf|eprintfn)\b"
      @"\b(stdout|stderr|stdin)\b" ]
    |> List.filter (fun pattern -> Regex.IsMatch(code, pattern))

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
                              if not (List.isEmpty (coreIo lines.[i])) then
                                  sprintf "%s:%d: %s" (Path.GetRelativePath(repoRoot, file)) (i + 1) (lines.[i].Trim()) ]
            Expect.isEmpty offending (sprintf "core → shell, or IO in the core: %s" (String.concat "; " offending))
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
                let found = violations room banned
                Expect.isEmpty found (sprintf "forbidden references from %s: %s" room (String.concat "; " found))

        for room, banned in forbidden do
            testCase (sprintf "%s reaches none of them through other rooms either" room) <| fun () ->
                let reached = chains steps room
                let indirect = [ for b in banned do
                                     match reached.TryFind b with
                                     | Some chain -> yield String.concat " → " chain
                                     | None -> () ]
                Expect.isEmpty indirect (sprintf "forbidden rooms %s reaches indirectly: %s" room (String.concat "; " indirect))

        testCase "each narrow edge uses only its files, and they use only what they say" <| fun () ->
            for from, into, files in narrowEdges do
                let paths = [ for f in files -> repoFile ("Shell.CSharp/" + into + "/" + f) ]
                for p in paths do Expect.isTrue (File.Exists p) (sprintf "%s exists" p)
                let allowed = paths |> List.map declaredTypes |> Set.unionMany
                let others = filesOf into |> List.filter (fun f -> not (List.contains f paths)) |> List.map declaredTypes |> Set.unionMany
                let beyond = Set.difference others allowed
                let uses =
                    [ for file in filesOf from do
                          let lines = File.ReadAllLines file
                          for i in 0 .. lines.Length - 1 do
                              if not (lines.[i].TrimStart().StartsWith "//") then
                                  for t in beyond do
                                      // A use of the type, not a member of `from` that shares its name (`const string Checkpoints = …`).
                                      if Regex.IsMatch(lines.[i], sprintf @"(?<![\w.])%s\b" t) && not (Regex.IsMatch(lines.[i], sprintf @"\w\s+%s\s*[=;{]" t)) then
                                          yield sprintf "%s:%d uses %s.%s" (Path.GetRelativePath(repoRoot, file)) (i + 1) into t ]
                Expect.isEmpty uses (sprintf "%s uses %s beyond %s: %s" from into (String.concat ", " files) (String.concat "; " uses))

        testCase "each known indirect violation is still there (remove it from the list once fixed)" <| fun () ->
            for from, into in knownIndirect do
                Expect.isTrue (graph.Value.[from].Contains into) (sprintf "%s no longer uses %s: remove it from knownIndirect" from into)

        testCase "the transitive rule finds an indirect reference (the check itself can fail)" <| fun () ->
            let edges = Map [ "Sweep", set [ "Cli" ]; "Cli", set [ "Training"; "Runs" ]; "Training", set [ "Data" ]; "Runs", Set.empty; "Data", Set.empty ]
            let reached = chains (fun r -> edges.[r]) "Sweep"
            Expect.equal reached.["Training"] [ "Sweep"; "Cli"; "Training" ] "the chain to Training"
            Expect.equal reached.["Data"] [ "Sweep"; "Cli"; "Training"; "Data" ] "two steps away"
            Expect.isFalse (reached.ContainsKey "Plots") "an unused room is not reached"

        testCase "the core's IO rule: IO is found; pure path functions, comments and strings are not" <| fun () ->
            for line in [ "let folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath c))"
                          "let home = Environment.GetEnvironmentVariable \"HOME\""
                          "let text = File.ReadAllText path"
                          "printfn \"%d\" n"
                          "let now = DateTime.UtcNow"
                          "use r = new StreamReader(path)"
                          "stdout.WriteLine x"
                          "System.Console.Error.WriteLine x" ] do
                Expect.isNonEmpty (coreIo line) line
            for line in [ "let ext = System.IO.Path.GetExtension(o.Out).ToLowerInvariant()"
                          "let stem (c: string) = Path.GetFileNameWithoutExtension c"
                          "let d = Path.Combine(\"cache\", \"teacher\")"
                          "/// reads nothing: File.ReadAllText is the shell's"
                          "let s = sprintf \"%s\" x // Console.WriteLine is the shell's"
                          "failwith \"Environment.Exit is not called here\"" ] do
                Expect.isEmpty (coreIo line) line

        testCase "the rule finds a forbidden reference (the check itself can fail)" <| fun () ->
            Expect.equal (references "using LogitStd.Shell.Training;") [ "Training" ] "a using"
            Expect.equal (references "var x = new Plots.RunFolderException(p, null, m);") [ "Plots" ] "a relative reference"
            Expect.equal (references "using DatasetKind = LogitStd.Core.Domain.DatasetKind;") [] "the core's namespaces are not the shell's rooms"
            Expect.equal (references "// see Training.Trainer") [] "comments do not count"
    ]
