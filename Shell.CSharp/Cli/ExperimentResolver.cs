using LogitStd.Shell.Persistence;
using LogitStd.Shell.Runs;
using Exp = LogitStd.Core.Experiment;

namespace LogitStd.Shell.Cli;

/// <summary>An experiment resolved from a command line, and the options that describe it (the teacher's
/// architecture filled in from its checkpoint when the command line did not name it).</summary>
public sealed record ResolvedExperiment(Exp.Experiment Experiment, Core.TrainCli.TrainOptions Options);

/// <summary>
/// The experiment a <c>train</c> or <c>distill</c> command line describes, resolved once: the
/// <c>--config</c> file (its own problems are the file's: exit 1, naming it; <see cref="ExperimentFile"/>),
/// the teacher's architecture read from a LogitStd checkpoint when <c>--teacher-model</c> is not given,
/// the flags merged over the file, then one validation of the whole (exit 2 for what the flags make of
/// the file). A sweep chooses each run's command from the same merge (<see cref="ExperimentFile.CommandOf"/>).
/// </summary>
public static class ExperimentResolver
{
    /// <exception cref="ExperimentFileException">The config file is missing, unreadable or malformed.</exception>
    /// <exception cref="MissingFileException">The teacher checkpoint whose architecture is to be read is missing.</exception>
    /// <exception cref="UsageException">The merged experiment is not a valid experiment of its command.</exception>
    public static ResolvedExperiment Resolve(Core.TrainCli.TrainOptions o)
    {
        var command = o.Distill ? "distill" : "train";
        var config = o.Config.ToNullable();
        var fromFile = config is null ? Core.Experiments.Default : ExperimentFile.ReadForFlags(config);
        if (o.Teacher.ToNullable() is { } teacherFile && o.TeacherModel.ToNullable() is null)
        {
            if (!File.Exists(teacherFile)) throw new MissingFileException("teacher checkpoint", teacherFile);
            // A LogitStd checkpoint names its architecture; a PyTorch file does not.
            var name = Checkpoints.Inspect(teacherFile).ModelName
                ?? throw new UsageException($"{command}: {teacherFile} is a PyTorch checkpoint, which does not record its architecture: add --teacher-model NAME");
            o = Core.Experiments.WithTeacherModel(o, name);
        }
        if (!Core.Experiments.TryResolve(o, fromFile, out var experiment, out var problems))
            throw new UsageException(problems.Select(p => $"{command}: {(config is null ? "" : config + ": ")}{p}").ToList());
        return new ResolvedExperiment(experiment, o);
    }
}
