using LogitStd.Shell.Data;
using LogitStd.Shell.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LogitStd.Shell.Training;

/// <summary>Test-set accuracy and loss of a model, in eval mode under no-grad.</summary>
public sealed record EvalResult(double Top1, double Top5, double Loss, int Count);

public static class Evaluation
{
    /// <summary>Top-1 and top-5 (top-K when K &lt; 5) in percent, and the mean cross-entropy;
    /// <paramref name="onLogits"/> sees each batch's logits and labels, <paramref name="onFeatures"/> its
    /// pooled penultimate features (both owned by the batch's dispose scope).</summary>
    public static EvalResult Run(Classifier model, DataLoader loader, Device device, Action<Tensor, Tensor>? onLogits = null, Action<Tensor>? onFeatures = null)
    {
        model.eval();
        long n = 0, top1 = 0, top5 = 0;
        double loss = 0;
        using (torch.no_grad())
        {
            foreach (var batch in loader.Epoch(0))
            {
                using var b = batch;
                Diagnostics.KillPoint.Reach("eval");
                using var scope = torch.NewDisposeScope();
                var labels = b.Labels.to(device);
                var (logits, features) = model.Infer(b.Images.to(device));
                onLogits?.Invoke(logits, labels);
                onFeatures?.Invoke(features);
                int k = (int)Math.Min(5, logits.shape[1]);
                var topk = logits.topk(k, 1).indexes;
                var hits = topk.eq(labels.unsqueeze(1));
                top1 += hits[.., 0].sum().item<long>();
                top5 += hits.any(1).sum().item<long>();
                loss += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
                n += b.Count;
            }
        }
        return new EvalResult(100.0 * top1 / n, 100.0 * top5 / n, loss / n, (int)n);
    }
}
