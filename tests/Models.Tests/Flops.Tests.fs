/// The benchmark's arithmetic count (Shell.CSharp/Bench/Flops.cs): the multiply-accumulates of one
/// image's forward through the convolutions and linear layers, counted by hooks on a real forward.
module LogitStd.Models.Tests.FlopsTests

open Expecto
open LogitStd.Shell.Models
open LogitStd.Shell.Bench

let tests =
    testList "flops" [
        testCase "fmnist_mlp: 784·64 + 64·10 MACs, the hooks removed and the mode restored" <| fun () ->
            use m = ModelZoo.Create("fmnist_mlp", 10)
            m.train ()
            Expect.equal (Flops.ForwardMacs m) (784L * 64L + 64L * 10L) "MACs of the two linear layers"
            Expect.equal (Flops.ForwardMacs m) (784L * 64L + 64L * 10L) "a second count is the same (no hook left behind)"
            Expect.isTrue m.training "train mode restored"

        testCase "resnet8x4: the convolutions at each stage's resolution and the classifier, by hand" <| fun () ->
            use m = ModelZoo.Create("resnet8x4", 100)
            // conv1 3→32 at 32², then one basic block per stage: 32→64 at 32² (+1×1 shortcut), 64→128 at 16², 128→256 at 8²; fc 256→100.
            let conv cin cout k hw = int64 cin * int64 cout * int64 (k * k) * int64 (hw * hw)
            let expected =
                conv 3 32 3 32
                + conv 32 64 3 32 + conv 64 64 3 32 + conv 32 64 1 32
                + conv 64 128 3 16 + conv 128 128 3 16 + conv 64 128 1 16
                + conv 128 256 3 8 + conv 256 256 3 8 + conv 128 256 1 8
                + 256L * 100L
            Expect.equal (Flops.ForwardMacs m) expected "MACs"

        testCase "every bench configuration has its PyTorch peer, under the same name and step counts" <| fun () ->
            let text = System.IO.File.ReadAllText(System.IO.Path.Combine(LogitStd.Tests.TestPaths.repoRoot, "tools", "bench", "pytorch_peer.py"))
            let peer = text.Substring(text.IndexOf "CONFIGS = {")
            for c in BenchConfig.All do
                let entry = System.Text.RegularExpressions.Regex.Match(peer, "\"" + c.Name + "\": \\([^)]*\\)")
                Expect.isTrue entry.Success $"{c.Name} is in pytorch_peer.py's CONFIGS"
                let counts = $", {c.Warmup}, {c.Steps}, {c.QuickWarmup}, {c.QuickSteps}, "
                Expect.stringContains entry.Value counts $"{c.Name}: warm-up and timed steps (full, quick)"
    ]
