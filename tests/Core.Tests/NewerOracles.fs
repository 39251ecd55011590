/// Plain-array implementations of DIST, NKD, WTTM and RLD written from METHODS.md, loop by loop (no
/// tensors): the oracle the torch kernels are compared with in float64, beside autograd, finite
/// differences and the reference vectors of an independent PyTorch implementation.
module LogitStd.Core.Tests.NewerOracles

let private softmax (v: float[]) =
    let m = Array.max v
    let e = v |> Array.map (fun x -> exp (x - m))
    let z = Array.sum e
    e |> Array.map (fun x -> x / z)

let private logSoftmax (v: float[]) =
    let m = Array.max v
    let lse = m + log (v |> Array.sumBy (fun x -> exp (x - m)))
    v |> Array.map (fun x -> x - lse)

/// The Z-score of a row: (x − mean) / (1e-7 + std_unbiased).
let zRow (v: float[]) =
    let k = float v.Length
    let mean = Array.average v
    let std = sqrt ((v |> Array.sumBy (fun x -> (x - mean) ** 2.0)) / (k - 1.0))
    v |> Array.map (fun x -> (x - mean) / (1e-7 + std))

let private prepRows standardize (m: float[][]) = if standardize then m |> Array.map zRow else m

let private pearson (a: float[]) (b: float[]) =
    let ma, mb = Array.average a, Array.average b
    let ac, bc = a |> Array.map (fun x -> x - ma), b |> Array.map (fun x -> x - mb)
    let dot = Array.map2 (*) ac bc |> Array.sum
    let norm (v: float[]) = sqrt (v |> Array.sumBy (fun x -> x * x))
    dot / (norm ac * norm bc + 1e-8)

let private transpose (m: float[][]) = Array.init m.[0].Length (fun j -> m |> Array.map (fun r -> r.[j]))

/// DIST: β·τ²·(1 − mean_b pearson(p_s, p_t)) + γ·τ²·(the same over the transposes).
let dist standardize beta gamma tau (s: float[][]) (t: float[][]) =
    let p m = prepRows standardize m |> Array.map (fun r -> softmax (r |> Array.map (fun x -> x / tau)))
    let ps, pt = p s, p t
    let relation a b = 1.0 - (Array.map2 pearson a b |> Array.average)
    beta * tau * tau * relation ps pt + gamma * tau * tau * relation (transpose ps) (transpose pt)

/// NKD: −mean_b p_t[y]·log p_s[y] − γ·T²·mean_b Σ_{k≠y} softmax(t'/T)·log softmax(s'/T).
let nkd standardize temperature gamma (s: float[][]) (t: float[][]) (y: int64[]) =
    let s, t = prepRows standardize s, prepRows standardize t
    let b = float s.Length
    let target = Array.init s.Length (fun i -> -(softmax t.[i]).[int y.[i]] * (logSoftmax s.[i]).[int y.[i]]) |> Array.sum
    let drop (r: float[]) i = r |> Array.indexed |> Array.filter (fun (j, _) -> j <> int y.[i]) |> Array.map (fun (_, v) -> v / temperature)
    let nonTarget =
        Array.init s.Length (fun i -> Array.map2 (*) (softmax (drop t.[i] i)) (logSoftmax (drop s.[i] i)) |> Array.sum) |> Array.sum
    target / b - gamma * temperature * temperature * nonTarget / b

/// WTTM: mean_b (Σ_k p_t^γ) · KL(p_t^γ / Σ p_t^γ ‖ softmax(s)).
let wttm standardize gamma (s: float[][]) (t: float[][]) =
    let s, t = prepRows standardize s, prepRows standardize t
    Array.map2 (fun (sr: float[]) (tr: float[]) ->
        let powered = softmax tr |> Array.map (fun p -> p ** gamma)
        let w = Array.sum powered
        let q = powered |> Array.map (fun p -> p / w)
        let logPs = logSoftmax sr
        w * (Array.map2 (fun qi lp -> if qi = 0.0 then 0.0 else qi * (log qi - lp)) q logPs |> Array.sum)) s t
    |> Array.average

/// RLD: α·α_T²·SCD + β·T²·MCD, each summed over the batch and divided by B.
let rld standardize alpha beta temperature alphaT (s: float[][]) (t: float[][]) (y: int64[]) =
    let s, t = prepRows standardize s, prepRows standardize t
    let b = float s.Length
    let kl (p: float[]) (q: float[]) = Array.map2 (fun pi qi -> if pi = 0.0 then 0.0 else pi * (log pi - log qi)) p q |> Array.sum
    let scd =
        Array.init s.Length (fun i ->
            let ps = softmax (s.[i] |> Array.map (fun x -> x / alphaT))
            let pt = softmax (t.[i] |> Array.map (fun x -> x / alphaT))
            let yi = int y.[i]
            let top = t.[i] |> Array.indexed |> Array.maxBy snd |> fst // Array.maxBy keeps the first maximum
            let binS = [| ps.[yi]; ps |> Array.indexed |> Array.sumBy (fun (j, p) -> if j = yi then 0.0 else p) |]
            let binT = [| pt.[top]; pt |> Array.indexed |> Array.sumBy (fun (j, p) -> if j = top then 0.0 else p) |]
            kl binT binS) |> Array.sum
    let mcd =
        Array.init s.Length (fun i ->
            let yi = int y.[i]
            let masked (r: float[]) = Array.init r.Length (fun j -> if t.[i].[j] >= t.[i].[yi] then -1e9 else r.[j] / temperature)
            kl (softmax (masked t.[i])) (softmax (masked s.[i]))) |> Array.sum
    alpha * alphaT * alphaT * scd / b + beta * temperature * temperature * mcd / b
