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
    /// The command of one run of a sweep — <c>train</c> or <c>distill</c> — chosen after its config and the
    /// sweep's flags are merged (<c>distill</c> exactly when the merged experiment distils from a teacher),
    /// and the run checked as its command will check it, so that a run that could not start is refused
    /// before any starts. A teacher whose architecture the run reads from its checkpoint (<c>--teacher</c>
    /// without <c>--teacher-model</c>) is checked by the run itself: reading checkpoints is not the sweep's.
    /// </summary>
    /// <param name="flags">The sweep's training flags after <c>--</c>.</param>
    /// <param name="config">The run's experiment file.</param>
    /// <exception cref="ExperimentFileException">The config file is missing, unreadable or malformed.</exception>
    /// <exception cref="UsageException">The merged experiment is not a valid experiment of its command.</exception>
    public static string CommandOf(Core.TrainCli.TrainOptions flags, string config)
    {
        var fromFile = ReadForFlags(config);
        var options = Core.Experiments.WithConfig(flags, config);
        var distill = Core.Experiments.IsDistillation(Core.Experiments.Merge(options, fromFile));
        options = Core.Experiments.WithCommand(options, distill);
        bool architectureFromCheckpoint = options.Teacher.ToNullable() is not null && options.TeacherModel.ToNullable() is null;
        if (!architectureFromCheckpoint && !Core.Experiments.TryResolve(options, fromFile, out _, out var problems))
            throw new UsageException(problems.Select(p => $"sweep: {config}: {p}").ToList());
        return distill ? "distill" : "train";
    }
}

