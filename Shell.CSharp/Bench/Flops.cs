using System.Diagnostics;
using LogitStd.Shell.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LogitStd.Shell.Bench;

/// <summary>
/// The arithmetic a step does and the machine's FP32 peak, so that a benchmark can say which share of
/// the peak a training step reaches. Counting: the multiply-accumulates (MACs) of every convolution
/// and linear layer for one image, found by running one forward with hooks; a forward costs 2 FLOPs
/// per MAC and a training step 6 (forward, gradient of the input, gradient of the weights — the usual
/// convention; BatchNorm, activations and the loss are not counted). The peak: a float32 matrix
/// product, as large as the caches make fast, on the benchmark's threads.
/// </summary>
public static class Flops
{
    /// <summary>Multiply-accumulates of one image's forward through the convolutions and linear layers.</summary>
    public static long ForwardMacs(Classifier model)
    {
        long macs = 0;
        var hooks = new List<Action>();
        foreach (var (_, m) in model.named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    // weight [C_out, C_in / groups, kH, kW]: each output element costs C_in / groups · kH · kW MACs.
                    var perConv = conv.weight!.numel() / conv.weight.shape[0];
                    var rc = conv.register_forward_hook((_, _, output) => { macs += output.numel() * perConv; return output; });
                    hooks.Add(() => rc.remove());
                    break;
                case Linear linear:
                    var perLinear = linear.weight!.shape[1];
                    var rl = linear.register_forward_hook((_, _, output) => { macs += output.numel() * perLinear; return output; });
                    hooks.Add(() => rl.remove());
                    break;
            }
        }
        bool training = model.training;
        model.eval();
        try
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var shape = new long[] { 1 }.Concat(model.Info.InputShape.Select(d => (long)d)).ToArray();
            model.Forward(torch.zeros(shape));
        }
        finally
        {
            foreach (var remove in hooks) remove();
            model.train(training);
        }
        return macs;
    }

    /// <summary>GFLOP/s of an n × n float32 matrix product on torch's current threads, timed over at
    /// least <paramref name="seconds"/> after two untimed products.</summary>
    public static double MatmulGflops(int n = 2048, double seconds = 1.0)
    {
        using var scope = torch.NewDisposeScope();
        var gen = new Generator(1);
        var a = torch.randn([n, n], generator: gen);
        var b = torch.randn([n, n], generator: gen);
        for (int i = 0; i < 2; i++) a.mm(b).Dispose();
        var watch = Stopwatch.StartNew();
        int reps = 0;
        while (watch.Elapsed.TotalSeconds < seconds) { a.mm(b).Dispose(); reps++; }
        return 2.0 * n * n * (double)n * reps / watch.Elapsed.TotalSeconds / 1e9;
    }
}
