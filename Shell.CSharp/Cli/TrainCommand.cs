using LogitStd.Core;
using LogitStd.Shell.Data;
using LogitStd.Shell.Models;
using LogitStd.Shell.Persistence;
using LogitStd.Shell.Runs;
using LogitStd.Shell.Training;
using TorchSharp;
using static TorchSharp.torch;
using Exp = LogitStd.Core.Experiment;

namespace LogitStd.Shell.Cli;

/// <summary>
/// <c>logitstd train</c> and <c>logitstd distill</c>: resolve the experiment once (file and flags), record
/// the run (marker, run.json, experiment.yaml) before anything slow, check every input before any training
/// (dataset, models, teacher file and class counts), then train. Returns 0 or throws; <see cref="ExitCodes"/>
/// maps what it throws: 2 bad arguments, 1 a file or the machine at fault (a damaged checkpoint, dataset
/// or experiment file, a full disk: the message names the file), a diverged run or an unavailable
/// --device; 130 interrupted.
/// </summary>
public static class TrainCommand
{
    /// <param name="o">The parsed command line.</param>
    /// <param name="stdout">Where the resolved experiment and the progress go.</param>
    /// <param name="stderr">Where warnings go (errors are thrown).</param>
    /// <param name="interrupt">Polled once per training step besides Ctrl+C (tests use it to stop a run mid-epoch).</param>
    public static int Run(Core.TrainCli.TrainOptions o, TextWriter stdout, TextWriter stderr, Func<bool>? interrupt = null)
    {
        var command = o.Distill ? "distill" : "train";
        UsageException Usage(string message) => new($"{command}: {message}");
        var resume = o.Resume.ToNullable();
        var outDir = o.Out.ToNullable();
        if (resume is not null && outDir is not null) throw Usage("give either --out (a new run) or --resume (an existing run), not both");
        if (resume is null && outDir is null) throw Usage("--out DIR is required (the run folder to create)");

        int threads = o.Threads.ToNullable() ?? Math.Min(Environment.ProcessorCount, Core.CliThreads.MaxThreads);
        var (chosen, deviceError) = Platform.Devices.Resolve(o.Device);
        Device device = chosen ?? throw new MachineException($"{command}: {deviceError}");

        Exp.Experiment experiment;
        RunOutput run;
        string? teacherCache = null;
        if (resume is not null)
        {
            var changing = Core.TrainCli.resumeConflicts(o).ToList();
            if (changing.Count > 0)
                throw Usage($"--resume continues the run exactly as its experiment.yaml says; {string.Join(", ", changing)} would change it");
            try { run = RunOutput.Open(resume); }
            catch (RunNotRecordedException e) when (e.Command is not null)
            {
                // Stopped before it recorded its experiment: nothing ran, and the marker holds the command that
                // created it. Continuing it is starting that command again, into the same folder.
                var original = Core.Cli.parse([.. e.Command]) is Core.Cli.ParseOutcome.Run { Item: Core.Cli.Parsed.Fit fit }
                    && fit.Item.Resume.ToNullable() is null && fit.Item.Out.ToNullable() is { } recordedOut && Path.GetFullPath(recordedOut) == e.Folder
                    ? fit.Item : throw new RunFolderException(RunMarker.PathIn(e.Folder), null,
                        $"its recorded command ({string.Join(" ", e.Command)}) is not a train or distill command creating {e.Folder}; start the run again yourself with --out {e.Folder}");
                stdout.WriteLine($"{command}: {resume}: the run was stopped before it recorded its experiment; starting it as it was started: logitstd {string.Join(" ", e.Command)}");
                return Run(original, stdout, stderr, interrupt);
            }
            // The thread count is part of the run's numerical state (run.json, TrainingProgress.Threads).
            var recorded = run.ReadThreads() ?? (run.HasCheckpoint ? TrainingState.ReadProgress(run.LatestCheckpoint).Threads : 0);
            if (recorded != 0 && Core.CliThreads.problem("the recorded thread count", recorded).ToNullable() is { } bad)
                throw new RunFolderException(run.RunSettingsFile, null, bad);
            if (recorded > 0)
            {
                if (o.Threads.ToNullable() is null) threads = recorded;
                else if (threads != recorded)
                    stdout.WriteLine($"warning: the run trained with {recorded} thread(s); with --threads {threads} the resumed epochs are not bit-identical to an uninterrupted run");
            }
            experiment = run.ReadExperiment(); // a damaged file: exit 1, naming it
            teacherCache = run.ReadTeacherCache();
            if (teacherCache is not null && CacheNotGranted(run, teacherCache, o.TeacherCache.ToNullable()) is { } refused)
                throw new RunFolderException(run.RunSettingsFile, null, refused);
        }
        else
        {
            // The file's own problems are the file's (exit 1, naming it); what the flags make of it, the flags' (exit 2).
            var resolved = ExperimentResolver.Resolve(o);
            experiment = resolved.Experiment;
            RunOutput.CheckCreatable(outDir!); // before the slow work: a folder that is not the program's is refused at once
            if (o.TeacherCache.ToNullable() is { } dir)
            {
                if (experiment.Models.Teacher.ToNullable() is null) throw Usage("--teacher-cache caches a teacher's logits: the experiment has no teacher");
                if (DatasetCatalog.TrainTransform(experiment.Dataset) is not IViewTransform)
                    throw Usage($"--teacher-cache: the {Experiments.DatasetName(experiment.Dataset.Name)} training transform has no finite set of views to cache (fashion-mnist and cifar100 have)");
                teacherCache = Path.GetFullPath(dir);
            }
            // What is saved is what runs: the augmentation the dataset's training transform applies.
            var augments = DatasetCatalog.Augments(DatasetCatalog.TrainTransform(experiment.Dataset));
            if (augments != experiment.Dataset.Augment)
            {
                stdout.WriteLine($"note: {Experiments.DatasetName(experiment.Dataset.Name)} trains with its standard augmentation (random crop and flip) always; experiment.yaml records augment: {(augments ? "true" : "false")}");
                experiment = Experiments.WithAugment(experiment, augments);
            }
            // The run's record, before anything slow: a run killed from here on resumes with --resume.
            // The CPU kernels are chosen first (once per process; the models would choose them), so that run.json records them.
            run = RunOutput.Create(outDir!, experiment, new RunSettings(threads, Platform.CpuKernels.Configure(), teacherCache),
                Experiments.CommandLine(o).ToList()); // the user's own command, as given
        }

        bool started = false;
        try
        {
            torch.set_num_threads(threads);
            // Inputs, before any training: dataset, models, teacher.
            var data = experiment.Dataset;
            var (train, test) = DatasetCatalog.Open(data.Name, data.DataDir.ToNullable());
            run.CheckOrRecordDataset(DatasetIdentity.Of(train, test), data.DataDir.ToNullable() ?? "the default data folder");
            if (data.TrainSubset.ToNullable() is int subset)
            {
                if (subset > train.Count) throw Usage($"--train-subset {subset} exceeds the {train.Count} training images of {train.Name}");
                train = ImageDatasetSubset.Random(train, subset, experiment.Seed);
            }
            torch.manual_seed(experiment.Seed); // model initialisation
            var student = ModelZoo.Create(experiment.Models.Student, train.Classes);
            CheckInputShape(student, train, "student", command);
            Classifier? teacher = null;
            if (experiment.Models.Teacher.ToNullable() is string teacherName)
            {
                var weights = experiment.Models.TeacherWeights.ToNullable()!;
                if (!File.Exists(weights)) throw new MissingFileException("teacher checkpoint", weights);
                teacher = ModelZoo.Create(teacherName, train.Classes);
                CheckInputShape(teacher, train, "teacher", command);
                Checkpoints.EnsureFits(teacher, weights, train.Classes);
                Checkpoints.LoadInto(teacher, weights);
                teacher.to(device);
                teacher.eval();
            }
            student.to(device);

            stdout.WriteLine($"# {command}: {run.Path}  (threads {threads}, device {device.type})");
            stdout.Write(Experiments.ToYaml(experiment));
            stdout.WriteLine($"# train {train.Count} images, test {test.Count}, {train.Classes} classes; student {experiment.Models.Student} ({student.ParameterCount:N0} parameters)" +
                (teacher is null ? "" : $"; teacher {teacher.Info.Name} ({teacher.ParameterCount:N0} parameters)"));

            started = true;
            bool cancel = false;
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel = true; };
            Console.CancelKeyPress += onCancel;
            try
            {
                var setup = new TrainSetup(experiment, run, train, test, student, teacher, device, Workers: 1, Resume: resume is not null, Threads: threads, TeacherCache: teacherCache);
                return new Trainer(setup, stdout, () => cancel || (interrupt?.Invoke() ?? false)).Run();
            }
            catch (OperationCanceledException e)
            {
                throw new RunInterruptedException($"{command}: {e.Message}. The checkpoint of the last finished epoch is in {run.LatestCheckpoint}; continue with: logitstd {command} --resume {run.Path}");
            }
            finally { Console.CancelKeyPress -= onCancel; }
        }
        // A new run refused for its inputs before it trained leaves nothing behind: the corrected command may use the same --out.
        catch (Exception) when (resume is null && !started)
        {
            try { run.Abandon(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { stderr.WriteLine($"warning: could not remove the refused run's files from {run.Path}: {e.Message}"); }
            throw;
        }
    }

    /// <summary>
    /// Why the teacher-cache folder named in run.json may not be written on resume, or null. A run
    /// writes cache files only into the folder it was created with: the one its marker recorded, or —
    /// for a run folder written before markers — the one given again with <c>--teacher-cache</c>. An
    /// edited run.json cannot send its writes elsewhere.
    /// </summary>
    static string? CacheNotGranted(RunOutput run, string recorded, string? given)
    {
        var marker = RunMarker.ReadFrom(run.Path);
        var granted = marker is not null ? marker.TeacherCache : given is null ? null : Path.GetFullPath(given);
        if (granted is not null && Path.GetFullPath(recorded) == Path.GetFullPath(granted)) return null;
        return $"{run.RunSettingsFile}: names the teacher cache {recorded}, but the run was created with " +
            (granted is null ? "none" : granted) + (marker is null ? $" (give it with --teacher-cache {recorded} if it is yours)" : "") +
            "; a run writes cache files only where it was created to";
    }

    static void CheckInputShape(Classifier model, ImageDataset data, string role, string command)
    {
        var shape = model.Info.InputShape;
        if (shape.Count >= 1 && shape[0] != data.Channels)
            throw new UsageException($"{command}: the {role} {model.Info.Name} takes {shape[0]}-channel images ({string.Join("×", shape)}), but {data.Name} has {data.Channels}-channel images ({data.Channels}×{data.Height}×{data.Width})");
    }
}
