/// Seeded mutations of a file's bytes: the damage a disk, a copy or a hand edit does, and the extreme
/// header values a hostile file claims. Every mutation is a pure function of the random generator.
module LogitStd.Fuzz.Mutate

open System
open System.IO
open System.IO.Compression
open System.Text

/// One damaged file. `Detectable` is false when the mutation also rewrites the checksums (a spliced
/// or rewritten zip member), so that a reader may read changed content without being at fault.
type Mutant = { Kind: string; Bytes: byte[]; Detectable: bool }

let private mutant kind bytes = { Kind = kind; Bytes = bytes; Detectable = true }

/// 0, -1, 2^31-1 and 2^31 as four bytes; 0, -1, 2^63-1 and 2^63 as eight.
let extremes4 = [| 0u; UInt32.MaxValue; 0x7FFFFFFFu; 0x80000000u |]
let extremes8 = [| 0UL; UInt64.MaxValue; 0x7FFFFFFFFFFFFFFFUL; 0x8000000000000000UL |]

let truncate (rng: Random) (b: byte[]) = mutant "truncate" (Array.sub b 0 (rng.Next b.Length))

let bitflip (rng: Random) (b: byte[]) =
    let c = Array.copy b
    let i = rng.Next c.Length
    c.[i] <- c.[i] ^^^ (1uy <<< rng.Next 8)
    mutant "bitflip" c

let overwrite (rng: Random) (b: byte[]) =
    let c = Array.copy b
    let n = min c.Length (1 + rng.Next 16)
    let at = rng.Next(c.Length - n + 1)
    rng.NextBytes(c.AsSpan(at, n))
    mutant "overwrite" c

let insertOrDelete (rng: Random) (b: byte[]) =
    let at = rng.Next b.Length
    if rng.Next 2 = 0 then
        let extra = Array.zeroCreate (1 + rng.Next 8)
        rng.NextBytes extra
        mutant "insert" (Array.concat [ b.[.. at - 1]; extra; b.[at..] ])
    else mutant "delete" (Array.append b.[.. at - 1] b.[min b.Length (at + 1 + rng.Next 8) ..])

let randomBytes (rng: Random) (b: byte[]) =
    let c = Array.zeroCreate (rng.Next(1, max 2 (2 * b.Length)))
    rng.NextBytes c
    // Keep the first bytes sometimes, so that format detection passes and the reader proper is reached.
    if rng.Next 2 = 0 then Array.blit b 0 c 0 (min 4 (min b.Length c.Length))
    mutant "random" c

/// An extreme value written over the field at `offset` (four or eight bytes, either byte order).
let extremeAt (rng: Random) (b: byte[]) (offset: int) (bigEndian: bool) =
    let c = Array.copy b
    if rng.Next 2 = 0 || offset + 8 > c.Length then
        let v = extremes4.[rng.Next extremes4.Length]
        if offset + 4 <= c.Length then
            if bigEndian then Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan offset, v)
            else Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan offset, v)
    else
        let v = extremes8.[rng.Next extremes8.Length]
        if bigEndian then Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(c.AsSpan offset, v)
        else Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(c.AsSpan offset, v)
    mutant "extreme" c

/// The byte-level mutations every format gets; `headerFields` are the offsets worth setting to extremes.
let bytewise (rng: Random) (b: byte[]) (headerFields: int[]) (bigEndian: bool) =
    match rng.Next 7 with
    | 0 -> truncate rng b
    | 1 | 2 -> bitflip rng b
    | 3 -> overwrite rng b
    | 4 -> insertOrDelete rng b
    | 5 -> randomBytes rng b
    | _ ->
        let offset = if headerFields.Length > 0 && rng.Next 4 > 0 then headerFields.[rng.Next headerFields.Length] else rng.Next(max 1 (b.Length - 8))
        extremeAt rng b offset bigEndian

// ------------------------------------------------------------------ zip archives

let members (zip: byte[]) : (string * byte[]) list =
    use a = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read)
    [ for e in a.Entries ->
          use s = e.Open()
          use ms = new MemoryStream()
          s.CopyTo ms
          e.FullName, ms.ToArray() ]

/// A zip of `entries`, stored uncompressed, with correct CRCs (a crafted file, not a damaged one).
let rebuild (entries: (string * byte[]) list) : byte[] =
    use ms = new MemoryStream()
    do
        use a = new ZipArchive(ms, ZipArchiveMode.Create, true)
        for name, data in entries do
            use s = a.CreateEntry(name, CompressionLevel.NoCompression).Open()
            s.Write(data, 0, data.Length)
    ms.ToArray()

/// Member-level mutations with the checksums rewritten: a member dropped, two members' contents
/// swapped, one member's content damaged, or `rewrite` applied to one member (e.g. a manifest edit).
let zipwise (rng: Random) (zip: byte[]) (rewrite: Random -> string -> byte[] -> byte[] option) =
    let ms = members zip |> Array.ofList
    let i = rng.Next ms.Length
    let crafted kind entries = { Kind = kind; Bytes = rebuild (List.ofArray entries); Detectable = false }
    match rng.Next 4 with
    | 0 -> crafted "zip-drop" (Array.removeAt i ms)
    | 1 ->
        let j = rng.Next ms.Length
        let c = Array.copy ms
        c.[i] <- (fst ms.[i], snd ms.[j])
        c.[j] <- (fst ms.[j], snd ms.[i])
        crafted "zip-splice" c
    | 2 ->
        let name, data = ms.[i]
        let damaged = if data.Length = 0 then [| 0uy |] else (bytewise rng data [||] false).Bytes
        crafted "zip-member" (Array.updateAt i (name, damaged) ms)
    | _ ->
        let found = ms |> Array.tryFindIndex (fun (n, d) -> (rewrite rng n d).IsSome)
        match found with
        | Some k ->
            let name, data = ms.[k]
            crafted "zip-rewrite" (Array.updateAt k (name, (rewrite rng name data).Value) ms)
        | None -> crafted "zip-drop" (Array.removeAt i ms)

// ------------------------------------------------------------------ text

/// Replacements for a number in a text file: the extremes, and values that are not numbers.
let extremeTokens = [| "0"; "-1"; "2147483647"; "2147483648"; "9223372036854775808"; "-9223372036854775809"; "1e309"; "NaN"; "null"; "\"x\""; "[]"; "{}" |]

let private numberAt (rng: Random) (text: string) =
    let ms = RegularExpressions.Regex.Matches(text, @"-?\d+(\.\d+)?([eE][-+]?\d+)?")
    if ms.Count = 0 then None else Some ms.[rng.Next ms.Count]

/// Text-level mutations: a number set to an extreme, lines dropped or repeated, deep nesting, an
/// unclosed bracket, and the byte-level ones.
let textwise (rng: Random) (text: string) (openers: string[]) =
    let bytes = Encoding.UTF8.GetBytes text
    let tm kind (s: string) = mutant kind (Encoding.UTF8.GetBytes s)
    match rng.Next 10 with
    | 0 | 1 ->
        match numberAt rng text with
        | Some m -> tm "number" (text.Substring(0, m.Index) + extremeTokens.[rng.Next extremeTokens.Length] + text.Substring(m.Index + m.Length))
        | None -> bitflip rng bytes
    | 2 ->
        let lines = text.Split '\n'
        let i = rng.Next lines.Length
        if rng.Next 2 = 0 then tm "line-drop" (String.Join("\n", Array.removeAt i lines))
        else tm "line-repeat" (String.Join("\n", Array.insertAt i lines.[i] lines))
    | 3 ->
        let opener = openers.[rng.Next openers.Length]
        let depth = if rng.Next 2 = 0 then 5000 else 65 + rng.Next 200
        let at = rng.Next(text.Length + 1)
        tm "deep" (text.Substring(0, at) + String.replicate depth opener + text.Substring at)
    | 4 ->
        let at = rng.Next(text.Length + 1)
        tm "unclosed" (text.Substring(0, at) + openers.[rng.Next openers.Length] + text.Substring at)
    | _ -> bytewise rng bytes [||] false
