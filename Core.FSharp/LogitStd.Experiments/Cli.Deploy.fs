/// The command-line grammar of deployment: `logitstd export` and `logitstd predict` (Argu), their
/// typed options and the checks on flag combinations. Pure, like `Cli`, which dispatches to it.
module LogitStd.Core.DeployCli

open Argu

/// The file formats of `logitstd export`.
type ExportFormat =
    /// An ONNX model (graph and weights).
    | Onnx
    /// A bare PyTorch state dict (torch.save), mdistiller's key names.
    | Pytorch

type ExportArgs =
    | [<Mandatory>] Model of name: string
    | [<Mandatory>] Weights of file: string
    | [<Mandatory>] Format of ExportFormat
    | [<Mandatory>] Out of file: string
    | Opset of n: int
    | Features
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Model _ -> "model architecture (see `logitstd models`)."
            | Weights _ -> "a LogitStd or PyTorch checkpoint (any checkpoint `eval` accepts)."
            | Format _ -> "onnx (graph + weights, for ONNX Runtime) or pytorch (a bare state dict for torch.load + load_state_dict)."
            | Out _ -> "the file to write."
            | Opset _ -> "onnx: the ONNX opset, 13..21 (default 17)."
            | Features -> "onnx: also output the pooled penultimate feature as `features`."

type PredictArgs =
    | Onnx of file: string
    | Model of name: string
    | Weights of file: string
    | [<Mandatory>] Images of path: string
    | Top of k: int
    | Index of i: int
    | Threads of n: int
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Onnx _ -> "an ONNX file written by `logitstd export` (run with ONNX Runtime)."
            | Model _ -> "model architecture, with --weights (run with TorchSharp)."
            | Weights _ -> "a LogitStd or PyTorch checkpoint, with --model."
            | Images _ -> "a PNG/JPEG file, a folder of them, or an IDX / CIFAR-100 .bin file with --index."
            | Top _ -> "how many classes to list per image (default 5)."
            | Index _ -> "the image to classify in an IDX or CIFAR-100 file (0-based)."
            | Threads _ -> "threads (default 1)."

/// Options of `logitstd export`.
type ExportOptions =
    { Model: string
      Weights: string
      Format: ExportFormat
      Out: string
      Opset: int option
      Features: bool }

/// Options of `logitstd predict`: either Onnx, or Model and Weights (the parser checks which).
type PredictOptions =
    { Onnx: string option
      Model: string option
      Weights: string option
      Images: string
      Top: int
      Index: int option
      Threads: int option }

exception private Invalid of string

let private positive (what: string) (v: int) =
    if v <= 0 then raise (Invalid(sprintf "%s must be positive, got %d" what v)) else v

let private validated (build: unit -> 'T) : Result<'T, string> =
    try Ok(build ()) with Invalid msg -> Error msg

/// The options of `logitstd export`, or the reason they make no sense.
let exportOptions (x: ParseResults<ExportArgs>) : Result<ExportOptions, string> =
    validated <| fun () ->
        let format = x.GetResult ExportArgs.Format
        if format = ExportFormat.Pytorch && (x.Contains Opset || x.Contains Features) then
            raise (Invalid "--opset and --features apply to --format onnx only")
        { Model = x.GetResult ExportArgs.Model
          Weights = x.GetResult ExportArgs.Weights
          Format = format
          Out = x.GetResult ExportArgs.Out
          Opset =
            x.TryGetResult Opset
            |> Option.map (fun n -> if n < 13 || n > 21 then raise (Invalid(sprintf "--opset must be in 13..21, got %d" n)) else n)
          Features = x.Contains Features }

/// The options of `logitstd predict`: --onnx, or --model with --weights.
let predictOptions (p: ParseResults<PredictArgs>) : Result<PredictOptions, string> =
    validated <| fun () ->
        let onnx = p.TryGetResult PredictArgs.Onnx
        let model = p.TryGetResult PredictArgs.Model
        let weights = p.TryGetResult PredictArgs.Weights
        match onnx, model, weights with
        | Some _, None, None
        | None, Some _, Some _ -> ()
        | Some _, _, _ -> raise (Invalid "give either --onnx FILE or --model M --weights CKPT, not both")
        | None, _, _ -> raise (Invalid "give --onnx FILE, or --model M with --weights CKPT")
        { Onnx = onnx
          Model = model
          Weights = weights
          Images = p.GetResult Images
          Top = p.TryGetResult Top |> Option.map (positive "--top") |> Option.defaultValue 5
          Index = p.TryGetResult Index |> Option.map (fun i -> if i < 0 then raise (Invalid(sprintf "--index must be >= 0, got %d" i)) else i)
          Threads = p.TryGetResult PredictArgs.Threads |> Option.map (fun n -> match CliThreads.problem "--threads" n with Some m -> raise (Invalid m) | None -> n) }
