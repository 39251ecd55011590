/// Bounds an experiment's YAML must keep before its document model is built. YamlDotNet's
/// representation model (and anything walking it) recurses once per nesting level, so a file nested
/// thousands deep would exhaust the stack; and it resolves an alias to the anchored node itself, so a
/// few hundred bytes of aliases of aliases (`a2: [*a1, *a1, …]`, ten levels) describe a document of
/// billions of nodes that a walk — or hashing one such node as a mapping key — visits one by one. Both
/// are measured first from the parser's event stream, which does not recurse and does not expand.
module LogitStd.Core.YamlLimits

open System.Collections.Generic
open System.IO
open YamlDotNet.Core
open YamlDotNet.Core.Events

/// The deepest nesting of mappings and sequences accepted; an experiment needs four levels.
let maxDepth = 64

/// The most nodes the document may hold with every alias expanded; an experiment has about a hundred.
let maxExpandedNodes = 100_000L

/// What is wrong with the text's shape, with its line and column (1-based), or None. Syntax errors
/// surface as YamlDotNet's `YamlException`, as they would from loading the document.
let problem (text: string) : (int * int * string) option =
    let parser = Parser(new StringReader(text))
    let mutable depth = 0
    let mutable found = None
    // Nodes of the expanded document so far; the size of each anchored node once it has ended.
    let mutable nodes = 0L
    let sizes = Dictionary<string, int64>()
    let open' = Stack<string * int64>() // per open collection: its anchor ("" for none) and `nodes` at its start
    let at (e: ParsingEvent) what = found <- Some(int e.Start.Line, int e.Start.Column, what)
    let count (e: ParsingEvent) (n: int64) =
        nodes <- nodes + n
        if nodes > maxExpandedNodes then
            at e (sprintf "aliases expand the document to more than %d nodes (an alias bomb?)" maxExpandedNodes)
    while found.IsNone && parser.MoveNext() do
        let e = parser.Current
        match e with
        | :? MappingStart
        | :? SequenceStart ->
            depth <- depth + 1
            if depth > maxDepth then at e (sprintf "nested more than %d levels deep" maxDepth)
            let anchor = (e :?> NodeEvent).Anchor
            open'.Push((if anchor.IsEmpty then "" else anchor.Value), nodes)
            count e 1L
        | :? MappingEnd
        | :? SequenceEnd ->
            depth <- depth - 1
            if open'.Count > 0 then
                let anchor, start = open'.Pop()
                if anchor <> "" then sizes.[anchor] <- nodes - start
        | :? Scalar as s ->
            if not s.Anchor.IsEmpty then sizes.[s.Anchor.Value] <- 1L
            count e 1L
        | :? AnchorAlias as a ->
            // An alias of an anchor not yet ended (a cycle) or unknown is YamlDotNet's error to report.
            match sizes.TryGetValue a.Value.Value with
            | true, n -> count e n
            | _ -> count e 1L
        | _ -> ()
    found
