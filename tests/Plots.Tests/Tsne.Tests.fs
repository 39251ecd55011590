/// t-SNE (Shell.CSharp/Embedding) as a specification: the affinities have the asked perplexity and
/// form a joint distribution; the gradient is the derivative of the KL (finite differences, float64)
/// and Barnes-Hut with θ = 0 is the exact gradient; separated clusters stay separated, the KL goes
/// down, and the result does not depend on the thread count.
module LogitStd.Plots.Tests.TsneTests

open System
open Expecto
open TorchSharp
open LogitStd.Shell.Embedding

/// n points in d dimensions around `centres` (cluster i % centres.Length), N(0, spread²) noise, seeded.
let blobs (seed: int) (n: int) (d: int) (centres: float[][]) (spread: float) =
    let rng = Random(seed)
    let gauss () = sqrt (-2.0 * log (1.0 - rng.NextDouble())) * cos (2.0 * Math.PI * rng.NextDouble())
    let labels = Array.init n (fun i -> i % centres.Length)
    let data = Array.init (n * d) (fun e -> centres[labels[e / d]][e % d] + spread * gauss ())
    (torch.tensor(data: float[])).reshape(int64 n, int64 d), labels

let randomEmbedding (seed: int) (n: int) (scale: float) =
    let rng = Random(seed)
    Array.init (2 * n) (fun _ -> scale * (rng.NextDouble() - 0.5))

let entropy (p: float seq) = p |> Seq.filter (fun v -> v > 0.0) |> Seq.sumBy (fun v -> -v * log v)

/// The relative L2 distance |a − b| / |b|.
let relative (a: float[]) (b: float[]) =
    sqrt (Array.map2 (fun x y -> (x - y) * (x - y)) a b |> Array.sum) / sqrt (b |> Array.sumBy (fun y -> y * y))

let tests =
    testList "t-SNE" [
        testCase "each point's conditional distribution has entropy ln(perplexity)" <| fun () ->
            let x, _ = blobs 1 60 5 [| Array.zeroCreate 5 |] 1.0
            use x = x
            let k = Affinities.NeighbourCount(60, 10.0)
            Expect.equal k 31 "k = ⌊3 · perplexity⌋ + 1"
            let struct (_, squared) = Affinities.NearestNeighbours(x, k)
            for i in 0 .. 59 do
                let p = Array.zeroCreate k
                Affinities.Conditional(ReadOnlySpan(squared, i * k, k), 10.0, Span p) |> ignore
                Expect.floatClose Accuracy.medium (Array.sum p) 1.0 "sums to 1"
                Expect.isLessThanOrEqual (abs (entropy p - log 10.0)) 1e-5 (sprintf "point %d: entropy within 1e-5 nats of ln 10" i)

        testCase "a neighbour twice as far gets exp(−3β) of the weight of the nearest" <| fun () ->
            // Squared distances 1 and 4: p2 / p1 = exp(−3β), whatever the perplexity asked for.
            let p = Array.zeroCreate 2
            let beta = Affinities.Conditional(ReadOnlySpan [| 1.0; 4.0 |], 1.5, Span p)
            Expect.floatClose Accuracy.high (p[1] / p[0]) (exp (-3.0 * beta)) "the Gaussian kernel"
            Expect.isLessThanOrEqual (abs (entropy p - log 1.5)) 1e-5 "perplexity 1.5"

        testCase "the neighbours are the nearest, self excluded, nearest first" <| fun () ->
            use x = (torch.tensor([| 0.0; 0.0; 1.0; 0.0; 3.0; 0.0; 7.0; 0.0 |]: float[])).reshape(4L, 2L)
            let struct (indices, squared) = Affinities.NearestNeighbours(x, 2)
            Expect.sequenceEqual indices [| 1; 2; 0; 2; 1; 0; 2; 1 |] "neighbours of 0, 1, 2, 3"
            Expect.sequenceEqual squared [| 1.0; 9.0; 1.0; 4.0; 4.0; 9.0; 16.0; 36.0 |] "their squared distances"

        testCase "the joint affinities are symmetric, non-negative and sum to 1" <| fun () ->
            let x, _ = blobs 2 80 6 [| Array.zeroCreate 6; Array.create 6 5.0 |] 1.0
            use x = x
            let p = Affinities.Compute(x, 8.0).ToDense()
            let mutable total = 0.0
            for i in 0 .. 79 do
                Expect.equal p[i, i] 0.0 "no diagonal"
                for j in 0 .. 79 do
                    Expect.isGreaterThanOrEqual p[i, j] 0.0 "non-negative"
                    Expect.floatClose Accuracy.veryHigh p[i, j] p[j, i] "symmetric"
                    total <- total + p[i, j]
            Expect.floatClose Accuracy.veryHigh total 1.0 "sums to 1"

        testCase "the exact gradient is the derivative of the KL divergence (finite differences, float64)" <| fun () ->
            let x, _ = blobs 3 8 3 [| Array.zeroCreate 3 |] 1.0
            use x = x
            let p = Affinities.Compute(x, 2.0)
            let y = randomEmbedding 4 8 2.0
            let grad = Array.zeroCreate 16
            TsneGradient.Exact(p, y, grad) |> ignore
            let h = 1e-6
            let numeric =
                Array.init 16 (fun c ->
                    let at (delta: float) =
                        let z = Array.copy y
                        z[c] <- z[c] + delta
                        TsneGradient.Exact(p, z, Array.zeroCreate 16)
                    (at h - at -h) / (2.0 * h))
            Expect.isLessThan (relative grad numeric) 1e-7 "analytic = numeric to 1e-7 (relative)"

        testCase "Barnes-Hut with θ = 0 is the exact gradient and KL; with θ = 0.5 within 2%" <| fun () ->
            let x, _ = blobs 5 150 4 [| Array.zeroCreate 4 |] 1.0
            use x = x
            let p = Affinities.Compute(x, 10.0)
            let y = randomEmbedding 6 150 10.0
            let exact = Array.zeroCreate 300
            let klExact = TsneGradient.Exact(p, y, exact)
            let bh = Array.zeroCreate 300
            let klBh = TsneGradient.BarnesHut(p, y, 0.0, bh, true, 2)
            Expect.isLessThan (relative bh exact) 1e-12 "θ = 0: the same gradient"
            Expect.floatClose Accuracy.veryHigh klBh klExact "θ = 0: the same KL"
            let approx = Array.zeroCreate 300
            let klApprox = TsneGradient.BarnesHut(p, y, 0.5, approx, true, 2)
            Expect.isLessThan (relative approx exact) 0.02 "θ = 0.5: within 2% of the exact gradient"
            Expect.isLessThan (abs (klApprox - klExact) / klExact) 0.01 "θ = 0.5: KL within 1%"

        testCase "the quad tree holds every point, coincident ones included" <| fun () ->
            let y = Array.append (Array.create 10 1.5) (randomEmbedding 7 5 4.0)
            let tree = QuadTree(ReadOnlySpan y)
            Expect.equal tree.Count 10 "10 points (5 of them at one place)"
            let stack = Array.zeroCreate tree.StackSize
            let struct (_, _, z) = tree.Repulsion(1.5, 1.5, 0.0, Span stack)
            let others = [ for i in 5 .. 9 -> 1.0 / (1.0 + (y[2 * i] - 1.5) ** 2.0 + (y[2 * i + 1] - 1.5) ** 2.0) ] |> List.sum
            Expect.floatClose Accuracy.veryHigh z (4.0 + others) "Z: the 4 other coincident points at q = 1 plus the rest"

        testCase "well-separated clusters stay separated; the KL goes down; the thread count does not matter" <| fun () ->
            let centres = [| Array.zeroCreate 10; Array.init 10 (fun j -> if j = 0 then 30.0 else 0.0); Array.init 10 (fun j -> if j = 1 then 30.0 else 0.0) |]
            let x, labels = blobs 8 150 10 centres 1.0
            use x = x
            let settings = TsneSettings(Perplexity = 10.0, Threads = 1)
            let result = Tsne.Run(x, settings)
            let y = result.Embedding
            let centroid c =
                let members = [ for i in 0 .. 149 do if labels[i] = c then yield i ]
                let cx = members |> List.averageBy (fun i -> y[2 * i])
                let cy = members |> List.averageBy (fun i -> y[2 * i + 1])
                (cx, cy), members |> List.map (fun i -> sqrt ((y[2 * i] - cx) ** 2.0 + (y[2 * i + 1] - cy) ** 2.0)) |> List.max
            let clusters = Array.init 3 centroid
            for a in 0 .. 2 do
                for b in a + 1 .. 2 do
                    let ((ax, ay), ra), ((bx, by), rb) = clusters[a], clusters[b]
                    let gap = sqrt ((ax - bx) ** 2.0 + (ay - by) ** 2.0)
                    Expect.isGreaterThan gap (ra + rb) (sprintf "clusters %d and %d: discs around them do not overlap" a b)
            let afterExaggeration = result.History |> Seq.filter (fun struct (i, _) -> i > 250) |> Seq.map (fun struct (_, kl) -> kl) |> Array.ofSeq
            Expect.isLessThan result.Kl afterExaggeration[0] "the KL at the end is below the first check after exaggeration"
            let start = TsneGradient.Exact(Affinities.Compute(x, 10.0), Tsne.Initial(x, settings), Array.zeroCreate 300)
            Expect.isLessThan result.Kl (start / 2.0) "the KL at the end is less than half the initial one"
            let again = Tsne.Run(x, TsneSettings(Perplexity = 10.0, Threads = 2))
            Expect.sequenceEqual again.Embedding y "1 thread and 2 threads: the same embedding, bit for bit"

        testCase "PCA: the leading eigenvectors of a known covariance, signed by their largest loading" <| fun () ->
            // Eigenvalues 3, 1, 0.5 with eigenvectors (1, 1, 0)/√2, (1, −1, 0)/√2, (0, 0, 1).
            let c = array2D [ [ 2.0; 1.0; 0.0 ]; [ 1.0; 2.0; 0.0 ]; [ 0.0; 0.0; 0.5 ] ]
            let struct (first, second) = Pca.LeadingPair(c, 3)
            let r = 1.0 / sqrt 2.0
            Array.iter2 (fun a e -> Expect.floatClose Accuracy.veryHigh a e "first") first [| r; r; 0.0 |]
            Array.iter2 (fun a e -> Expect.floatClose Accuracy.veryHigh a e "second (tie of magnitudes: the first loading positive)") second [| r; -r; 0.0 |]

        testCase "PCA initialisation: first coordinate std 1e-4, along the data's main axis" <| fun () ->
            // Spread 10 along feature 2, 1 along the others: the first coordinate follows feature 2.
            let x, _ = blobs 9 200 4 [| Array.zeroCreate 4 |] 1.0
            use x = x
            use scaled = x * torch.tensor([| 1.0; 1.0; 10.0; 1.0 |]: float[])
            let y = Tsne.Initial(scaled, TsneSettings.Default)
            let first = Array.init 200 (fun i -> y[2 * i])
            let mean = Array.average first
            let std = sqrt (first |> Array.averageBy (fun v -> (v - mean) ** 2.0))
            Expect.floatClose Accuracy.high std 1e-4 "population std 1e-4"
            let feature2 = scaled.select(1, 2L).data<float>().ToArray()
            let corr = Array.map2 (fun a b -> a * b) first feature2 |> Array.sum
            Expect.isGreaterThan (abs corr / (sqrt (Array.sumBy (fun v -> v * v) first) * sqrt (Array.sumBy (fun v -> v * v) feature2))) 0.99 "aligned with feature 2"
    ]
