/// The step's diagnostics (the student's raw-logit std and, on request, each term's gradient norm at
/// the student's logits): measured against independent computations, and without any effect on the
/// update — a step that logs them leaves the weights bit-identical to one that does not.
module LogitStd.Shell.Tests.StepDiagnosticsTests

open System.Linq
open Expecto
open TorchSharp
open LogitStd.Core
open LogitStd.Shell.Models
open LogitStd.Shell.Training

type private Trial =
    { Student: Classifier
      Teacher: Classifier
      Step: DistillationStep }

/// The zoo's model with every parameter drawn from its own generator (uniform in ±1/√fan-in, the
/// scale of PyTorch's default Linear and Conv initialisation); its buffers are the zoo's constants. Two
/// calls with one seed give bit-identical weights whatever other tests draw from torch's global
/// generator meanwhile (Expecto runs them in parallel; `torch.manual_seed` here would race with them).
let private seededModel (name: string) (seed: uint64) =
    let m = ModelZoo.Create(name, 10)
    use g = new torch.Generator(seed)
    use _ = torch.no_grad ()
    for p in m.parameters () do
        let fanIn = if p.dim () >= 2L then p.numel () / p.shape.[0] else p.numel ()
        let bound = 1.0 / sqrt (float fanIn)
        use draw = torch.rand(p.shape, generator = g)
        p.copy_(draw * (2.0 * bound) - bound) |> ignore
    m

/// A seeded student and teacher and a step over `objective`.
let private trial (objective: Objective.Objective) (logGradients: bool) =
    let student = seededModel "fmnist_mlp" 11UL
    let teacher = seededModel "fmnist_small_cnn" 12UL
    teacher.eval ()
    let parameters = student.parameters().ToList()
    let sgd = torch.optim.SGD(parameters, 0.05, 0.9, 0.0, 5e-4, false)
    { Student = student; Teacher = teacher; Step = DistillationStep(student, teacher, objective, sgd, parameters, null, logGradients) }

/// A batch from its own generator.
let private batch () : torch.Tensor * torch.Tensor =
    use g = new torch.Generator(5UL)
    torch.randn([| 16L; 1L; 28L; 28L |], generator = g), torch.randint(10L, [| 16L |], dtype = torch.int64, generator = g)

let private logitsOf (m: Classifier) (x: torch.Tensor) : torch.Tensor =
    let struct (logits, _) = m.Forward x
    logits

let private weights (m: Classifier) =
    m.parameters() |> Seq.collect (fun p -> p.detach().reshape(-1L).to_type(torch.float64).data<float>().ToArray()) |> Array.ofSeq

let tests =
    testList "step diagnostics" [
        testCase "the raw-logit std is the mean per-image unbiased std of the student's logits, before the update" <| fun () ->
            use scope = torch.NewDisposeScope()
            let t = trial (Objectives.Kd true) false
            let images, labels = batch ()
            let expected =
                use _ = torch.no_grad ()
                let z = (logitsOf t.Student images).to_type(torch.float64)
                let rows = z.data<float>().ToArray() |> Array.chunkBySize 10
                rows |> Array.averageBy (fun r -> Stats.sampleStd (List.ofArray r))
            let r = t.Step.Run(images, labels, null, null, 1)
            Expect.floatClose Accuracy.medium r.LogitStd expected "logit std"
            Expect.isNull r.TermGradients "not asked for"

        testCase "each term's gradient norm at the logits: CE in closed form, KD+LS against autograd on a copy" <| fun () ->
            use scope = torch.NewDisposeScope()
            let t = trial (Objectives.Kd true) true
            let images, labels = batch ()
            let (z: torch.Tensor), (tz: torch.Tensor) =
                use _ = torch.no_grad ()
                (logitsOf t.Student images).clone (), (logitsOf t.Teacher images).clone ()
            let r = t.Step.Run(images, labels, null, null, 1)
            let grads = r.TermGradients |> Seq.map (fun kv -> kv.Key, kv.Value) |> dict
            // 0.1·CE: ∂/∂z = 0.1·(softmax(z) − onehot(y))/B
            let ce = ((z.softmax(1L) - torch.nn.functional.one_hot(labels, 10L).to_type(z.dtype)) * (0.1 / 16.0)).norm().item<float32>()
            Expect.floatClose Accuracy.medium grads.["ce"] (float ce) "CE gradient norm"
            let zc = z.detach().requires_grad_(true)
            let kd = Distillation.Kd(zc, tz, 2.0, standardize = true) * 9.0
            let g = torch.autograd.grad([| kd |], [| zc |]).[0]
            Expect.floatClose Accuracy.medium grads.["kd"] (float (g.norm().item<float32>())) "KD+LS gradient norm"

        testCase "logging the term gradients leaves the update bit-identical (MLKD+LS, both views)" <| fun () ->
            use scope = torch.NewDisposeScope()
            let images, labels = batch ()
            let strong = images.flip(3L)
            let run log =
                let t = trial (Objectives.Mlkd true) log
                let r1 = t.Step.Run(images, labels, strong, null, 1)
                let r2 = t.Step.Run(images, labels, strong, null, 2)
                weights t.Student, [ r1.Total; r2.Total ], r2.TermGradients
            let w0, l0, g0 = run false
            let w1, l1, g1 = run true
            Expect.equal l1 l0 "the losses"
            Expect.isTrue (Array.forall2 (=) w1 w0) "the weights after two steps"
            Expect.isNull g0 "off"
            Expect.sequenceEqual (g1 |> Seq.map (fun kv -> kv.Key)) [ "ce"; "kd"; "cc"; "bc" ] "one norm per term"
            for kv in g1 do Expect.isGreaterThan kv.Value 0.0 (kv.Key + ": a positive, finite norm")
    ]
