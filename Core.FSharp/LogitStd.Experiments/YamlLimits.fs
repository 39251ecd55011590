/// Bounds an experiment's YAML must keep before its document model is built. YamlDotNet's
/// representation model (and anything walking it) recurses once per nesting level, so a file nested
/// thousands deep would exhaust the stack; the nesting is measured first from the parser's event
/// stream, which does not recurse.
module LogitStd.Core.YamlLimits

open System.IO
open YamlDotNet.Core
open YamlDotNet.Core.Events

/// The deepest nesting of mappings and sequences accepted; an experiment needs four levels.
let maxDepth = 64

/// The line and column (1-based) where nesting first exceeds `maxDepth`, or None. Syntax errors
/// surface as YamlDotNet's `YamlException`, as they would from loading the document.
let tooDeep (text: string) : (int * int) option =
    let parser = Parser(new StringReader(text))
    let mutable depth = 0
    let mutable found = None
    while found.IsNone && parser.MoveNext() do
        match parser.Current with
        | :? MappingStart
        | :? SequenceStart ->
            depth <- depth + 1
            if depth > maxDepth then found <- Some(int parser.Current.Start.Line, int parser.Current.Start.Column)
        | :? MappingEnd
        | :? SequenceEnd -> depth <- depth - 1
        | _ -> ()
    found
