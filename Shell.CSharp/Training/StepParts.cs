using LogitStd.Core;
using LogitStd.Shell.Models;
using TorchSharp;
using static TorchSharp.torch;
using Exp = LogitStd.Core.Experiment;
using Obj = LogitStd.Core.Objective;
using Parameter = TorchSharp.Modules.Parameter;

namespace LogitStd.Shell.Training;

/// <summary>
/// The wiring of a training step, built in one place for the trainer's session and for <c>logitstd
/// bench</c>, so that what the benchmark times is what the trainer runs: the frozen teacher (eval mode,
/// its ConvBn BatchNorms folded into the convolutions), the trained parameters (the student's, and CTKD's
/// learnable temperature, which trains with them under the same SGD), the solver (mdistiller's SGD with
/// the experiment's learning rate, momentum, weight decay and Nesterov flag) and the step.
/// </summary>
public sealed class StepParts : IDisposable
{
    /// <param name="student">The student (the caller owns it).</param>
    /// <param name="teacher">The teacher, frozen here (the caller owns it), or null.</param>
    /// <param name="objective">The objective; it decides CTKD's temperature parameter.</param>
    /// <param name="solver">The experiment's solver.</param>
    /// <param name="device">Where the temperature parameter lives.</param>
    /// <param name="teacherRunsInStep">False when the teacher's logits come from elsewhere (a cache): the step gets no teacher.</param>
    /// <param name="logTermGradients">The experiment's <c>log_term_gradients</c>.</param>
    /// <param name="channelsLast">The experiment's <c>channels_last</c>.</param>
    public StepParts(Classifier student, Classifier? teacher, Obj.Objective objective, Exp.Solver solver, Device device,
        bool teacherRunsInStep = true, bool logTermGradients = false, bool channelsLast = false)
    {
        if (teacher is not null)
        {
            // The frozen teacher: eval mode and its ConvBn BatchNorms folded into the convolutions
            // (inference only; the logits equal the unfolded model's to float32 rounding). With the
            // channels-last inference forward (Classifier.Infer) this is the cache fill's computation.
            teacher.eval();
            BatchNormFolding.Fold(teacher);
        }
        TemperatureParam = Objectives.NeedsTemperatureParam(objective) ? new Parameter(torch.ones(1, dtype: float32, device: device)) : null;
        var parameters = student.parameters().ToList();
        if (TemperatureParam is not null) parameters.Add(TemperatureParam); // CTKD: the temperature trains with the student (same SGD)
        Parameters = parameters;
        Optimizer = optim.SGD(parameters, solver.Lr, solver.Momentum, 0.0, solver.WeightDecay, solver.Nesterov);
        Step = new DistillationStep(student, teacherRunsInStep ? teacher : null, objective, Optimizer, parameters, TemperatureParam, logTermGradients, channelsLast);
    }

    /// <summary>CTKD's learnable temperature, or null.</summary>
    public Parameter? TemperatureParam { get; }

    /// <summary>Everything the optimizer trains.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    public TorchSharp.Modules.SGD Optimizer { get; }

    public DistillationStep Step { get; }

    public void Dispose()
    {
        Optimizer.Dispose();
        TemperatureParam?.Dispose();
    }
}
