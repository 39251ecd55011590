/// Independent gradient oracles and tensor helpers for the loss tests (float64).
module LogitStd.Core.Tests.Oracles

open TorchSharp

let f64 (rows: float[][]) : torch.Tensor =
    let flat : float[] = Array.concat rows
    torch.tensor(flat, System.ReadOnlySpan<int64>([| int64 rows.Length; int64 rows.[0].Length |]), System.Nullable torch.float64)

let f32 (rows: float[][]) : torch.Tensor = (f64 rows).to_type(torch.float32)

let labels (ys: int64[]) = torch.tensor(ys, dtype = torch.int64)

let toRows (t: torch.Tensor) : float[][] =
    let t = t.detach().to_type(torch.float64).contiguous()
    let flat = t.data<float>().ToArray()
    let b, k = int t.shape.[0], int t.shape.[1]
    Array.init b (fun i -> Array.sub flat (i * k) k)

let scalar (t: torch.Tensor) = t.to_type(torch.float64).item<float>()

/// A deterministic random [B, K] matrix with N(0, scale²) entries plus per-row offsets.
let randomRows (seed: int) (b: int) (k: int) (scale: float) : float[][] =
    let rng = System.Random(seed)
    let gauss () =
        let u1 = 1.0 - rng.NextDouble()
        let u2 = rng.NextDouble()
        sqrt (-2.0 * log u1) * cos (2.0 * System.Math.PI * u2)
    Array.init b (fun _ ->
        let offset = gauss () * scale
        Array.init k (fun _ -> gauss () * scale + offset))

let randomLabels (seed: int) (b: int) (k: int) =
    let rng = System.Random(seed + 7919)
    Array.init b (fun _ -> int64 (rng.Next k))

/// The autograd gradient of f at x.
let autogradGrad (f: torch.Tensor -> torch.Tensor) (x: float[][]) : float[][] =
    use scope = torch.NewDisposeScope()
    let t = (f64 x).requires_grad_()
    let y = f t
    y.backward()
    toRows t.grad

/// The central finite-difference gradient of f at x, step h per entry (float64).
let finiteDiffGrad (f: torch.Tensor -> torch.Tensor) (h: float) (x: float[][]) : float[][] =
    use _ng = torch.no_grad()
    let eval (m: float[][]) =
        use scope = torch.NewDisposeScope()
        scalar (f (f64 m))
    x |> Array.mapi (fun i row ->
        row |> Array.mapi (fun j _ ->
            let plus = x |> Array.map Array.copy
            let minus = x |> Array.map Array.copy
            plus.[i].[j] <- plus.[i].[j] + h
            minus.[i].[j] <- minus.[i].[j] - h
            (eval plus - eval minus) / (2.0 * h)))

/// Closed-form gradient of kd(Z(s), Z(t); τ) with respect to the raw student logits s, written
/// independently of torch: with z = c/(σ+ε), c = s − mean(s), σ the unbiased std, q = softmax(z/τ),
/// p = softmax(Z(t)/τ), g = dL/dz = (τ/B)(q − p), and
/// dL/ds_j = (g_j − mean(g))/(σ+ε) − (Σ_i g_i c_i)/(σ+ε)² · c_j/((K−1)σ).
let zscoreKdClosedFormGrad (tau: float) (s: float[][]) (t: float[][]) : float[][] =
    let eps = 1e-7
    let b = float s.Length
    let stats (row: float[]) =
        let k = float row.Length
        let mean = Array.average row
        let c = row |> Array.map (fun v -> v - mean)
        let sigma = sqrt ((c |> Array.sumBy (fun v -> v * v)) / (k - 1.0))
        c, sigma
    let softmax (v: float[]) =
        let m = Array.max v
        let e = v |> Array.map (fun x -> exp (x - m))
        let z = Array.sum e
        e |> Array.map (fun x -> x / z)
    Array.map2 (fun (srow: float[]) (trow: float[]) ->
        let k = float srow.Length
        let cs, ss = stats srow
        let ct, st = stats trow
        let zs = cs |> Array.map (fun v -> v / (ss + eps))
        let zt = ct |> Array.map (fun v -> v / (st + eps))
        let q = softmax (zs |> Array.map (fun v -> v / tau))
        let p = softmax (zt |> Array.map (fun v -> v / tau))
        let g = Array.map2 (fun qi pi -> tau / b * (qi - pi)) q p
        let gMean = Array.average g
        let gc = Array.map2 (*) g cs |> Array.sum
        Array.init srow.Length (fun j ->
            (g.[j] - gMean) / (ss + eps) - gc / ((ss + eps) * (ss + eps)) * cs.[j] / ((k - 1.0) * ss))) s t

/// Element-wise closeness: |a − e| ≤ abs + rel·|e| everywhere.
let allClose (rel: float) (abs: float) (expected: float[][]) (actual: float[][]) =
    Array.forall2 (Array.forall2 (fun (e: float) (a: float) -> System.Math.Abs(a - e) <= abs + rel * System.Math.Abs e)) expected actual

let maxAbsDiff (expected: float[][]) (actual: float[][]) =
    Array.map2 (Array.map2 (fun (e: float) (a: float) -> System.Math.Abs(a - e))) expected actual |> Array.concat |> Array.max
