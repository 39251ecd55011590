/// The distillation methods as one type: the paper's four (KD, DKD, MLKD, CTKD) and the four newer
/// ones (DIST, NKD, WTTM, RLD). Each has its name (the command line's `--method`, the experiment
/// files, `summary.json`), the method a term belongs to, and its objective by the one LS rule.
module LogitStd.Core.Methods

open LogitStd.Core.Objective

[<RequireQualifiedAccess>]
type Method =
    | Kd
    | Dkd
    | Mlkd
    | Ctkd
    | Dist
    | Nkd
    | Wttm
    | Rld

/// Every method, in the order tables and figures list them.
let all = [ Method.Kd; Method.Dkd; Method.Mlkd; Method.Ctkd; Method.Dist; Method.Nkd; Method.Wttm; Method.Rld ]

/// The method's name: `kd`, `dkd`, `mlkd`, `ctkd`, `dist`, `nkd`, `wttm`, `rld`.
let name (m: Method) =
    match m with
    | Method.Kd -> "kd"
    | Method.Dkd -> "dkd"
    | Method.Mlkd -> "mlkd"
    | Method.Ctkd -> "ctkd"
    | Method.Dist -> "dist"
    | Method.Nkd -> "nkd"
    | Method.Wttm -> "wttm"
    | Method.Rld -> "rld"

/// The method of a name (case-insensitive), if it is one.
let tryParse (text: string) = all |> List.tryFind (fun m -> name m = text.Trim().ToLowerInvariant())

/// The method a term belongs to; None for the cross-entropy terms.
let ofTerm (t: Term) : Method option =
    match t with
    | CrossEntropy | CrossEntropyTwoViews -> None
    | Kd _ -> Some Method.Kd
    | Dkd _ -> Some Method.Dkd
    | MlkdInstance _ | MlkdClass _ | MlkdBatch _ -> Some Method.Mlkd
    | Ctkd _ -> Some Method.Ctkd
    | Dist _ -> Some Method.Dist
    | Nkd _ -> Some Method.Nkd
    | Wttm _ -> Some Method.Wttm
    | Rld _ -> Some Method.Rld

/// What an objective distils with: nothing (cross-entropy alone), one method, or a custom mix.
type Kind =
    | NoDistillation
    | One of Method
    | Custom

/// The kind of an objective, from its terms' methods.
let kindOf (o: Objective) : Kind =
    match o.Terms |> List.choose (fun w -> ofTerm w.Term) |> List.distinct with
    | [] -> NoDistillation
    | [ m ] -> One m
    | _ -> Custom

/// The name `summary.json` writes for a kind: `none`, a method's name, or `custom`.
let kindName (k: Kind) =
    match k with
    | NoDistillation -> "none"
    | One m -> name m
    | Custom -> "custom"

/// Every name `kindName` can write, in the order tables list them.
let kindNames = [ "none" ] @ (all |> List.map name) @ [ "custom" ]

/// The objective of a method: as published (None) or with LS at the given settings, by METHODS.md's
/// one rule (Z-score both logit matrices, every temperature → τ, distillation weights → w or × w).
let objective (m: Method) (ls: LsSettings option) : Objective =
    let on = ls.IsSome
    match m with
    | Method.Kd -> let t, c, k = Presets.kdSettingsFor ls in Presets.kdWith on t c k
    | Method.Dkd -> let a, b, t, c, w = Presets.dkdSettingsFor ls in Presets.dkdWith on a b t c w
    | Method.Mlkd -> let t, c, k = Presets.mlkdSettingsFor ls in Presets.mlkdWith on t c k
    | Method.Ctkd -> let a, b, c, k = Presets.ctkdSettingsFor ls in Presets.ctkdWith on a b c k
    | Method.Dist -> let b, g, t, c, w = Presets.distSettingsFor ls in Presets.distWith on b g t c w
    | Method.Nkd -> let t, g, c, w = Presets.nkdSettingsFor ls in Presets.nkdWith on t g c w
    | Method.Wttm -> let g, c, w = Presets.wttmSettingsFor ls in Presets.wttmWith on g c w
    | Method.Rld -> let a, b, t, at, c, w = Presets.rldSettingsFor ls in Presets.rldWith on a b t at c w
