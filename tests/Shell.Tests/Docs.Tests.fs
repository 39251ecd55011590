/// The README is the front door and docs/ holds the rest (issue 21): every relative link and anchor in
/// README.md and docs/*.md leads somewhere, every docs page is reachable from the README, the README
/// stays short, and CI runs the test command the README gives.
module LogitStd.Shell.Tests.DocsTests

open System
open System.IO
open System.Text.RegularExpressions
open Expecto

/// GitHub's anchor for a heading: lower case, markup and punctuation dropped (letters of any script,
/// digits, '-' and '_' kept), spaces to '-'.
let slug (heading: string) =
    let text = heading.Trim().ToLowerInvariant()
    let kept = text |> String.filter (fun c -> Char.IsLetterOrDigit c || c = ' ' || c = '-' || c = '_')
    kept.Replace(' ', '-')

/// Every heading's anchor of a Markdown text (fenced code skipped, so a `# comment` in bash is no heading).
let anchors (markdown: string) =
    let mutable fenced = false
    [ for line in markdown.Split '\n' do
        if line.TrimStart().StartsWith "```" then fenced <- not fenced
        elif not fenced then
            let m = Regex.Match(line, "^#{1,6}\s+(.*?)\s*$")
            if m.Success then yield slug m.Groups.[1].Value ]
    |> Set.ofList

/// The link targets of a Markdown text outside fenced code: `[text](target)` and `![alt](target)`.
let linkTargets (markdown: string) =
    let mutable fenced = false
    [ for line in markdown.Split '\n' do
        if line.TrimStart().StartsWith "```" then fenced <- not fenced
        elif not fenced then
            let unquoted = Regex.Replace(line, "`[^`]*`", "")
            for m in Regex.Matches(unquoted, @"\]\(([^)\s]+)\)") do yield m.Groups.[1].Value ]

/// The broken links of the Markdown file `file` (a path under `root`): each as "file: target (why)".
/// Web addresses are not followed; a relative target must exist; its #anchor must be a heading of it.
let brokenLinks (read: string -> string option) (file: string) =
    match read file with
    | None -> [ sprintf "%s: no such file" file ]
    | Some text ->
        let folder = Path.GetDirectoryName file
        [ for target in linkTargets text do
            if not (Regex.IsMatch(target, "^[a-z]+:")) then
                let path, anchor =
                    match target.IndexOf '#' with
                    | -1 -> target, None
                    | i -> target.Substring(0, i), Some(target.Substring(i + 1))
                let resolved = if path = "" then file else Path.GetFullPath(Path.Combine(folder, path))
                match read resolved, anchor with
                | None, _ when Directory.Exists resolved && anchor.IsNone -> ()
                | None, _ -> yield sprintf "%s: %s (no such file)" file target
                | Some linked, Some a when resolved.EndsWith ".md" && not (Set.contains a (anchors linked)) ->
                    yield sprintf "%s: %s (no heading #%s there)" file target a
                | _ -> () ]

let readFile (path: string) = if File.Exists path then Some(File.ReadAllText path) else None

/// The Markdown files reachable from `start` through relative links.
let reachable (read: string -> string option) (start: string) =
    let rec walk seen todo =
        match todo with
        | [] -> seen
        | file :: rest when Set.contains file seen -> walk seen rest
        | file :: rest ->
            let next =
                match read file with
                | None -> []
                | Some text ->
                    [ for target in linkTargets text do
                        let path = target.Split('#').[0]
                        if path.EndsWith ".md" && not (Regex.IsMatch(path, "^[a-z]+:")) then
                            yield Path.GetFullPath(Path.Combine(Path.GetDirectoryName file, path)) ]
            walk (Set.add file seen) (next @ rest)
    walk Set.empty [ Path.GetFullPath start ]

let docsPages () = Directory.GetFiles(repoFile "docs", "*.md") |> Array.map Path.GetFullPath |> Array.sort

let tests =
    testList "docs" [
        testCase "every relative link and anchor in README.md and docs/*.md resolves" <| fun () ->
            let files = Array.append [| Path.GetFullPath(repoFile "README.md") |] (docsPages ())
            let broken = files |> Seq.collect (brokenLinks readFile) |> List.ofSeq
            Expect.isEmpty broken (sprintf "broken links:\n%s" (String.concat "\n" broken))

        testCase "every docs page is reachable from the README" <| fun () ->
            let seen = reachable readFile (repoFile "README.md")
            let unreached = docsPages () |> Array.filter (fun p -> not (Set.contains p seen)) |> Array.map Path.GetFileName
            Expect.isEmpty unreached (sprintf "docs pages no link leads to from README.md: %s" (String.concat ", " unreached))

        testCase "the README is a front door: at most 250 lines" <| fun () ->
            let lines = File.ReadAllLines(repoFile "README.md").Length
            Expect.isLessThanOrEqual lines 250 (sprintf "README.md has %d lines; move detail to docs/" lines)

        testCase "CI runs the test command the README's quick start gives" <| fun () ->
            let readme = File.ReadAllText(repoFile "README.md")
            let ci = File.ReadAllLines(repoFile ".ci/run") |> Array.map (fun l -> l.Trim())
            Expect.stringContains readme "dotnet tool restore && dotnet cake --target=Test     # build everything and run every test" "the README's test command"
            Expect.contains ci "dotnet tool restore" ".ci/run restores the tools"
            Expect.contains ci "dotnet cake --target=Test" ".ci/run runs the full Test target"

        testCase "the link checker sees a missing file, a missing anchor and an unreached page" <| fun () ->
            let pages =
                Map [ "/r/README.md", "# Top\n[ok](docs/a.md#part-one) [self](#top) [web](https://x.org/y)\n```bash\n# not a heading [x](nowhere.md)\n```\n"
                      "/r/docs/a.md", "## Part one\n[gone](b.md) [bad anchor](../README.md#elsewhere)\n"
                      "/r/docs/c.md", "# Alone\n" ]
            let read p = Map.tryFind p pages
            Expect.equal (brokenLinks read "/r/README.md") [] "the good links, a web address and code are fine"
            Expect.equal (brokenLinks read "/r/docs/a.md")
                [ "/r/docs/a.md: b.md (no such file)"; "/r/docs/a.md: ../README.md#elsewhere (no heading #elsewhere there)" ] "both faults named"
            Expect.equal (reachable read "/r/README.md") (set [ "/r/README.md"; "/r/docs/a.md"; "/r/docs/b.md" ]) "c.md is not reached"

        testCase "anchors follow GitHub's slugs" <| fun () ->
            Expect.equal (slug "The paper's CIFAR-100 table") "the-papers-cifar-100-table" "apostrophe dropped, hyphen kept"
            Expect.equal (slug "MLKD at ten classes, explained") "mlkd-at-ten-classes-explained" "comma dropped"
            Expect.equal (slug "The `logitstd` program") "the-logitstd-program" "code marks dropped"
    ]
