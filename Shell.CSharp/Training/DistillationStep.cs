using LogitStd.Core;
using LogitStd.Shell.Models;
using TorchSharp;
using static TorchSharp.torch;
using Obj = LogitStd.Core.Objective;
using Parameter = TorchSharp.Modules.Parameter;

namespace LogitStd.Shell.Training;

/// <summary>What one training step measured: the total loss, each named weighted term, how many of
/// the batch's images the student classified correctly (before the update), the mean per-image
/// (unbiased) std of the student's raw logits, and — when the step logs them — the L2 norm of each
/// weighted term's gradient at the student's logits (both views for the terms that read both).</summary>
public sealed record StepResult(double Total, IReadOnlyList<KeyValuePair<string, double>> Terms, long Correct, int Count,
    double LogitStd, IReadOnlyList<KeyValuePair<string, double>>? TermGradients = null);

/// <summary>A step whose loss, logits or gradients are not finite; the weights were not updated.
/// <see cref="What"/> says what went wrong, <see cref="Detail"/> the values.</summary>
public sealed class StepDivergedException(string what, string detail) : Exception($"{what} ({detail})")
{
    public string What { get; } = what;
    public string Detail { get; } = detail;
}

/// <summary>
/// One training step, with one owner: the trainer takes it for every batch, <c>logitstd bench</c>
/// times it, and a user's own loop can call it. In a dispose scope: the student's forward; the
/// teacher's logits — given (a cache) or computed in eval mode under no-grad in a scope of their
/// own, so its activations are freed before the student's backward; the strong view for MLKD; the
/// objective's named terms (validated once, at the objective's boundary); their sum; backward; then a
/// single host read of the total, every term, the correct count and the squared gradient norm, which
/// decides whether the optimizer may step: non-finite values never reach the weights.
/// </summary>
public sealed class DistillationStep
{
    readonly Classifier student;
    readonly Classifier? teacher;
    readonly Obj.Objective objective;
    readonly optim.Optimizer optimizer;
    readonly IReadOnlyList<Parameter> parameters;
    readonly Parameter? temperatureParam;
    readonly bool[] termUsesStrong;

    /// <param name="student">The model being trained (the caller sets train mode).</param>
    /// <param name="teacher">The frozen teacher, in eval mode; null for cross-entropy alone or when every batch brings cached logits.</param>
    /// <param name="objective">The objective, e.g. <see cref="Objectives.Kd"/>.</param>
    /// <param name="optimizer">Steps <paramref name="parameters"/>.</param>
    /// <param name="parameters">What the optimizer trains (the student's parameters, and CTKD's temperature).</param>
    /// <param name="temperatureParam">CTKD's learnable temperature parameter, or null.</param>
    /// <param name="logTermGradients">Also measure each term's gradient norm at the student's logits
    /// (one backward through the loss, not the network, per term; the update is unchanged).</param>
    /// <param name="channelsLast">Give the student its images channels-last (<see cref="MemoryFormat"/>;
    /// <c>experiment.channels_last</c>), so its activations and gradients stay channels-last.</param>
    public DistillationStep(Classifier student, Classifier? teacher, Obj.Objective objective, optim.Optimizer optimizer,
        IReadOnlyList<Parameter> parameters, Parameter? temperatureParam, bool logTermGradients = false, bool channelsLast = false)
    {
        ChannelsLast = channelsLast;
        this.student = student;
        this.teacher = teacher;
        this.objective = objective;
        this.optimizer = optimizer;
        this.parameters = parameters;
        this.temperatureParam = temperatureParam;
        TermNames = [.. objective.Terms.Select(t => t.Name)];
        NeedsStrongView = Objectives.NeedsStrongView(objective);
        termUsesStrong = Objectives.TermsUseStrongView(objective);
        LogsTermGradients = logTermGradients;
    }

    /// <summary>Whether the student trains on channels-last images and activations.</summary>
    public bool ChannelsLast { get; }

    /// <summary>Whether <see cref="StepResult.TermGradients"/> is measured.</summary>
    public bool LogsTermGradients { get; }

    /// <summary>The objective's term names, in order.</summary>
    public IReadOnlyList<string> TermNames { get; }

    /// <summary>Whether a batch must bring the strong view (MLKD).</summary>
    public bool NeedsStrongView { get; }

    /// <summary>Takes one step on a batch already on the model's device.</summary>
    /// <param name="images">[B, C, H, W] images.</param>
    /// <param name="labels">[B] int64 labels.</param>
    /// <param name="strongImages">The strong view (MLKD), or null.</param>
    /// <param name="teacherLogits">Cached teacher logits for these images, or null to run the teacher.</param>
    /// <param name="epoch">The 1-based epoch (DKD's warm-up, CTKD's λ).</param>
    /// <exception cref="StepDivergedException">Non-finite logits, loss or gradients; no update was made.</exception>
    public StepResult Run(Tensor images, Tensor labels, Tensor? strongImages, Tensor? teacherLogits, int epoch)
    {
        using var scope = torch.NewDisposeScope();
        if (ChannelsLast)
        {
            // Copies in the step's scope (none when a batch comes channels-last); the teacher's Infer takes them as they are.
            images = MemoryFormat.ToChannelsLast(images);
            if (strongImages is not null) strongImages = MemoryFormat.ToChannelsLast(strongImages);
        }
        var logits = student.Forward(images).Logits;
        Tensor? tLogits = teacherLogits, tStrong = null, sStrong = null;
        if (teacher is not null && (tLogits is null || strongImages is not null))
            using (torch.no_grad())
            {
                tLogits ??= TeacherLogits(teacher, images);
                if (strongImages is not null) tStrong = TeacherLogits(teacher, strongImages);
            }
        if (strongImages is not null) sStrong = student.Forward(strongImages).Logits;
        LossResult loss;
        try
        {
            loss = Distillation.Evaluate(objective, logits, labels, tLogits, epoch, sStrong, tStrong, temperatureParam);
        }
        catch (Validate.NonFiniteLogitsException e)
        {
            throw new StepDivergedException($"the {e.ParamName} logits are not finite", e.Message.Split(" (Parameter")[0]);
        }
        var (total, terms) = (loss.Total, loss.Terms);
        // Diagnostics before the update's backward: the graph is kept for it (retain_graph), and
        // autograd.grad returns the gradients without accumulating into the parameters' .grad.
        var termGradSquares = LogsTermGradients ? TermGradientSquares(terms, logits, sStrong) : [];
        optimizer.zero_grad();
        total.backward();
        var gradSquares = parameters.Where(p => p.grad is not null).Select(p => (p.grad! * p.grad!).sum());
        var readBack = new List<Tensor> { total.detach() };
        readBack.AddRange(terms.Select(kv => kv.Value.detach()));
        readBack.Add(logits.argmax(1).eq(labels).sum().to_type(total.dtype));
        readBack.Add(logits.detach().std(1).mean().to_type(total.dtype));
        readBack.AddRange(termGradSquares);
        readBack.Add(torch.stack(gradSquares).sum().to_type(total.dtype));
        var host = torch.stack(readBack.Select(t => t.reshape([])).ToArray()).to_type(float64).cpu().data<double>().ToArray();
        double value = host[0], gradNorm = host[^1];
        int k = TermNames.Count, at = 1 + k + 2; // total, terms, correct, logit std, then the term gradients
        var named = TermNames.Select((n, i) => new KeyValuePair<string, double>(n, host[1 + i])).ToList();
        if (!double.IsFinite(value))
            throw new StepDivergedException($"the loss became {value}", string.Join(", ", named.Select(kv => $"{kv.Key} = {kv.Value}")));
        if (!double.IsFinite(gradNorm))
            throw new StepDivergedException("the gradients are not finite", $"loss {value}");
        optimizer.step();
        var termGradients = LogsTermGradients
            ? TermNames.Select((n, i) => new KeyValuePair<string, double>(n, Math.Sqrt(host[at + i]))).ToList()
            : null;
        return new StepResult(value, named, (long)host[1 + k], (int)images.shape[0], host[2 + k], termGradients);
    }

    /// <summary>For each term, ‖∂term/∂(student logits)‖², over both views' logits for the terms that read both.</summary>
    List<Tensor> TermGradientSquares(IReadOnlyList<KeyValuePair<string, Tensor>> terms, Tensor logits, Tensor? strong)
    {
        var squares = new List<Tensor>(terms.Count);
        for (int i = 0; i < terms.Count; i++)
        {
            Tensor[] wrt = termUsesStrong[i] && strong is not null ? [logits, strong] : [logits];
            var grads = torch.autograd.grad([terms[i].Value], wrt, retain_graph: true);
            squares.Add(grads.Select(g => (g * g).sum()).Aggregate((a, c) => a + c));
        }
        return squares;
    }

    static Tensor TeacherLogits(Classifier teacher, Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        return teacher.Infer(images).Logits.MoveToOuterDisposeScope();
    }
}
