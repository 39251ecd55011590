/// Where tensors live, as the command line names it (`--device cpu|cuda|cuda:N`).
module LogitStd.Core.DeviceChoice

open System.Globalization

/// The CPU, or CUDA device N (`cuda` alone is device 0, as in PyTorch).
type Device =
    | Cpu
    | Cuda of index: int

/// `cpu`, `cuda` (device 0) or `cuda:N`; anything else is an error naming the flag.
let parse (text: string) : Result<Device, string> =
    let t = text.Trim().ToLowerInvariant()
    if t = "cpu" then
        Ok Cpu
    elif t = "cuda" then
        Ok(Cuda 0)
    elif t.StartsWith "cuda:" then
        match System.Int32.TryParse(t.Substring 5, NumberStyles.None, CultureInfo.InvariantCulture) with
        | true, n -> Ok(Cuda n)
        | _ -> Error(sprintf "--device %s: expected cpu, cuda or cuda:N with N a device number" text)
    else
        Error(sprintf "--device %s: expected cpu, cuda or cuda:N" text)

/// The device as PyTorch writes it: `cpu`, `cuda:0`.
let name (d: Device) =
    match d with
    | Cpu -> "cpu"
    | Cuda n -> sprintf "cuda:%d" n
