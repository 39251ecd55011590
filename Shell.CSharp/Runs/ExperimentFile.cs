using Exp = LogitStd.Core.Experiment;

namespace LogitStd.Shell.Runs;

/// <summary>An experiment file that cannot be read, does not parse or does not validate. The message
/// starts with the file; the file is at fault, so the command exits 1 (flag errors exit 2).</summary>
public sealed class ExperimentFileException(string path, IEnumerable<string> problems)
    : InputException($"{path}: {string.Join("; ", problems)}")
{
    /// <summary>The experiment file.</summary>
    public string Path { get; } = path;
}

/// <summary>Experiment files, read and written in one place: <c>train --config</c> files and a run
/// folder's <c>experiment.yaml</c>, through the core's pure parser and printer; the shell's part is the
/// IO and naming the file in every error.</summary>
public static class ExperimentFile
{
    /// <summary>An experiment is a few dozen lines; a file larger than this is not one.</summary>
    public const long MaxBytes = 1 << 20;

    /// <summary>A complete experiment (a run folder's experiment.yaml), validated.</summary>
    /// <exception cref="ExperimentFileException">Missing, unreadable, too large, malformed YAML, or an invalid experiment.</exception>
    public static Exp.Experiment Read(string path) => Load(path, strict: true);

    /// <summary>An experiment file that command-line flags complete (<c>--config</c>): its syntax, keys
    /// and value types are checked here; the experiment as a whole once the flags are applied.</summary>
    /// <exception cref="ExperimentFileException">Missing, unreadable, too large, or malformed YAML.</exception>
    public static Exp.Experiment ReadForFlags(string path) => Load(path, strict: false);

    static Exp.Experiment Load(string path, bool strict)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new ExperimentFileException(path, ["file not found"]);
        if (info.Length > MaxBytes) throw new ExperimentFileException(path, [$"{info.Length:N0} bytes, more than the {MaxBytes:N0} an experiment file may have"]);
        string text;
        try { text = SafeIO.BoundedRead.Text(path, MaxBytes, "experiment file"); }
        catch (SafeIO.UnsafeFileException e) { throw new ExperimentFileException(path, [e.Problem]); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ExperimentFileException(path, [$"cannot read: {e.Message}"]);
        }
        var ok = strict ? Core.Experiments.TryParse(text, out var experiment, out var problems) : Core.Experiments.TryRead(text, out experiment, out problems);
        return ok ? experiment : throw new ExperimentFileException(path, problems);
    }

    /// <summary>Writes <paramref name="experiment"/> to <paramref name="path"/> (atomically): what a run folder's experiment.yaml holds.</summary>
    /// <exception cref="OutputWriteException">The machine refused the write.</exception>
    public static void Write(string path, Exp.Experiment experiment) => Persistence.Atomic.WriteText(path, Core.Experiments.ToYaml(experiment));

    /// <summary>
    /// The experiment a <c>train</c>, <c>distill</c> or <c>sweep</c> command line describes, resolved once,
    /// before anything is chosen by it: the <c>--config</c> file (its own problems are the file's: exit 1,
    /// naming it), the teacher's architecture read from a LogitStd checkpoint when <c>--teacher-model</c> is
    /// not given, the flags merged over the file; then the command — given by the user, or, with
    /// <paramref name="chooseCommand"/> (a sweep), <c>distill</c> exactly when the merged experiment distils
    /// from a teacher — and one validation of the whole (exit 2 for what the flags make of the file).
    /// </summary>
    /// <param name="o">The flags (for a sweep: the training flags after <c>--</c> with the run's <c>--config</c>).</param>
    /// <param name="chooseCommand">Decide train or distill from the merged experiment, not from <c>o.Distill</c>.</param>
    /// <param name="who">The command the messages name (<c>train</c>, <c>distill</c>, <c>sweep</c>).</param>
    /// <exception cref="ExperimentFileException">The config file is missing, unreadable or malformed.</exception>
    /// <exception cref="MissingFileException">The teacher checkpoint whose architecture is to be read is missing.</exception>
    /// <exception cref="UsageException">The merged experiment is not a valid experiment of its command.</exception>
    public static ResolvedExperiment Resolve(Core.TrainCli.TrainOptions o, bool chooseCommand, string who)
    {
        var config = o.Config.ToNullable();
        var fromFile = config is null ? Core.Experiments.Default : ReadForFlags(config);
        if (o.Teacher.ToNullable() is { } teacherFile && o.TeacherModel.ToNullable() is null)
        {
            if (!File.Exists(teacherFile)) throw new MissingFileException("teacher checkpoint", teacherFile);
            // A LogitStd checkpoint names its architecture; a PyTorch file does not.
            var name = Persistence.Checkpoints.Inspect(teacherFile).ModelName
                ?? throw new UsageException($"{who}: {teacherFile} is a PyTorch checkpoint, which does not record its architecture: add --teacher-model NAME");
            o = Core.Experiments.WithTeacherModel(o, name);
        }
        var distill = chooseCommand ? Core.Experiments.IsDistillation(Core.Experiments.Merge(o, fromFile)) : o.Distill;
        o = Core.Experiments.WithCommand(o, distill);
        if (!Core.Experiments.TryResolve(o, fromFile, out var experiment, out var problems))
            throw new UsageException(problems.Select(p => $"{who}: {(config is null ? "" : config + ": ")}{p}").ToList());
        return new ResolvedExperiment(experiment, o);
    }
}

/// <summary>An experiment resolved from a command line, and the options that describe it (the command
/// chosen, the teacher's architecture filled in).</summary>
public sealed record ResolvedExperiment(Exp.Experiment Experiment, Core.TrainCli.TrainOptions Options)
{
    /// <summary><c>distill</c> or <c>train</c>.</summary>
    public string Command => Options.Distill ? "distill" : "train";
}
