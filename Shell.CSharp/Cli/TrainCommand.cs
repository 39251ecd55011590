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
/// <c>logitstd train</c> and <c>logitstd distill</c>: resolve the experiment, check every input before
/// any training (models, teacher file and class counts, dataset, output folder), then train.
/// Exit codes: 0 done; 1 a file or the machine at fault (a damaged checkpoint, dataset or experiment
/// file, a full disk: the message names the file), a diverged run or an unavailable --device; 2 bad
/// arguments; 130 interrupted.
/// </summary>
public static class TrainCommand
{
    /// <param name="o">The parsed command line.</param>
    /// <param name="stdout">Where the resolved experiment and the progress go.</param>
    /// <param name="stderr">Where errors go.</param>
    /// <param name="interrupt">Polled once per training step besides Ctrl+C (tests use it to stop a run mid-epoch).</param>
    public static int Run(Core.TrainCli.TrainOptions o, TextWriter stdout, TextWriter stderr, Func<bool>? interrupt = null)
    {
        var command = o.Distill ? "distill" : "train";
        int Fail(int code, string message)
        {
            stderr.WriteLine($"error: {command}: {message}");
            return code;
        }
        var resume = o.Resume.ToNullable();
        var outDir = o.Out.ToNullable();
        if (resume is not null && outDir is not null) return Fail(2, "give either --out (a new run) or --resume (an existing run), not both");
        if (resume is null && outDir is null) return Fail(2, "--out DIR is required (the run folder to create)");

        int threads = o.Threads.ToNullable() ?? Math.Min(Environment.ProcessorCount, Core.CliThreads.MaxThreads);
        var (chosen, deviceError) = Platform.Devices.Resolve(o.Device);
        if (chosen is null) return Fail(1, deviceError!);
        Device device = chosen;

        Exp.Experiment experiment;
        RunOutput run;
        string? teacherCache = null;
        try
        {
            if (resume is not null)
            {
                var changing = Core.TrainCli.resumeConflicts(o).ToList();
                if (changing.Count > 0)
                    return Fail(2, $"--resume continues the run exactly as its experiment.yaml says; {string.Join(", ", changing)} would change it");
                run = RunOutput.Open(resume);
                // The thread count is part of the run's numerical state (run.json, TrainingProgress.Threads).
                var recorded = run.ReadThreads() ?? (run.HasCheckpoint ? TrainingState.ReadProgress(run.LatestCheckpoint).Threads : 0);
                if (recorded != 0 && Core.CliThreads.problem("the recorded thread count", recorded).ToNullable() is { } bad)
                    return Fail(1, $"{run.Path}: {bad}");
                if (recorded > 0)
                {
                    if (o.Threads.ToNullable() is null) threads = recorded;
                    else if (threads != recorded)
                        stdout.WriteLine($"warning: the run trained with {recorded} thread(s); with --threads {threads} the resumed epochs are not bit-identical to an uninterrupted run");
                }
                experiment = ExperimentFile.Read(run.ExperimentFile); // a damaged file: exit 1, naming it
                teacherCache = run.ReadTeacherCache();
                if (teacherCache is not null && CacheNotGranted(run, teacherCache, o.TeacherCache.ToNullable()) is { } refused)
                    return Fail(1, refused);
            }
            else
            {
                var config = o.Config.ToNullable();
                if (config is not null && !File.Exists(config)) return Fail(1, $"experiment file {config} not found");
                // The file's own problems are the file's (exit 1, naming it); what the flags make of it, the flags' (exit 2).
                var fromFile = config is null ? Experiments.Default : ExperimentFile.ReadForFlags(config);
                var options = o;
                var teacherFile = o.Teacher.ToNullable();
                if (teacherFile is not null && o.TeacherModel.ToNullable() is null)
                {
                    if (!File.Exists(teacherFile)) return Fail(1, $"teacher checkpoint {teacherFile} not found");
                    // A LogitStd checkpoint names its architecture; a PyTorch file does not.
                    var name = Checkpoints.Inspect(teacherFile).ModelName;
                    if (name is null) return Fail(2, $"{teacherFile} is a PyTorch checkpoint, which does not record its architecture: add --teacher-model NAME");
                    options = new Core.TrainCli.TrainOptions(o.Distill, o.Config, o.Dataset, o.DataDir, o.Model, o.Teacher,
                        Microsoft.FSharp.Core.FSharpOption<string>.Some(name), o.Method, o.LogitStand, o.BaseTemp, o.KdWeight, o.Epochs,
                        o.BatchSize, o.Lr, o.Seed, o.TrainSubset, o.Name, o.Threads, o.Device, o.Out, o.Resume, o.TeacherCache, o.ChannelsLast);
                }
                if (!Experiments.TryResolve(options, fromFile, out experiment, out var problems))
                {
                    foreach (var p in problems) stderr.WriteLine($"error: {command}: {(config is null ? "" : config + ": ")}{p}");
                    return 2;
                }
                run = null!;
                RunOutput.CheckCreatable(outDir!); // before the slow work: a folder that is not the program's is refused at once
                if (o.TeacherCache.ToNullable() is { } dir)
                {
                    if (experiment.Models.Teacher.ToNullable() is null) return Fail(2, "--teacher-cache caches a teacher's logits: the experiment has no teacher");
                    if (experiment.Dataset.Name.IsImagefolder) return Fail(2, "--teacher-cache: an image folder's random resized crop has no finite set of views to cache (fashion-mnist and cifar100 have)");
                    teacherCache = Path.GetFullPath(dir);
                }
            }

            torch.set_num_threads(threads);
            // Inputs, before any training: dataset, models, teacher.
            var data = experiment.Dataset;
            var (train, test) = DatasetCatalog.Open(data.Name, data.DataDir.ToNullable());
            var dataIdentity = DatasetIdentity.Of(train, test);
            if (resume is not null && RunMarker.ReadFrom(run.Path)?.DatasetSha256 is { } created && created != dataIdentity)
                return Fail(1, $"{run.ExperimentFile}: its dataset ({data.DataDir.ToNullable() ?? "the default data folder"}) is not the data the run was created with " +
                    "(its images and labels hash differently); --resume continues a run only on its own data");
            if (data.TrainSubset.ToNullable() is int subset)
            {
                if (subset > train.Count) return Fail(2, $"--train-subset {subset} exceeds the {train.Count} training images of {train.Name}");
                train = ImageDatasetSubset.Random(train, subset, experiment.Seed);
            }
            torch.manual_seed(experiment.Seed); // model initialisation
            var student = ModelZoo.Create(experiment.Models.Student, train.Classes);
            CheckInputShape(student, train, "student");
            Classifier? teacher = null;
            if (experiment.Models.Teacher.ToNullable() is string teacherName)
            {
                var weights = experiment.Models.TeacherWeights.ToNullable()!;
                if (!File.Exists(weights)) return Fail(1, $"teacher checkpoint {weights} not found");
                teacher = ModelZoo.Create(teacherName, train.Classes);
                CheckInputShape(teacher, train, "teacher");
                Checkpoints.EnsureFits(teacher, weights, train.Classes);
                Checkpoints.LoadInto(teacher, weights);
                teacher.to(device);
                teacher.eval();
            }
            student.to(device);

            if (resume is null)
            {
                run = RunOutput.Create(outDir!, teacherCache, dataIdentity);
                run.WriteSettings(threads, teacherCache); // first: a folder holding experiment.yaml always knows its thread count
                run.WriteExperiment(experiment);
            }
            stdout.WriteLine($"# {command}: {run.Path}  (threads {threads}, device {device.type})");
            stdout.Write(Experiments.ToYaml(experiment));
            stdout.WriteLine($"# train {train.Count} images, test {test.Count}, {train.Classes} classes; student {experiment.Models.Student} ({student.ParameterCount:N0} parameters)" +
                (teacher is null ? "" : $"; teacher {teacher.Info.Name} ({teacher.ParameterCount:N0} parameters)"));

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
                stderr.WriteLine($"{command}: {e.Message}. The checkpoint of the last finished epoch is in {run.LatestCheckpoint}; continue with: logitstd {command} --resume {run.Path}");
                return 130;
            }
            finally { Console.CancelKeyPress -= onCancel; }
        }
        catch (TrainingDivergedException e) { return Fail(1, e.Message); }
        catch (RunOutputException e) { return Fail(2, e.Message); }
        catch (UnknownModelException e) { return Fail(2, e.Message); }
        catch (InputException e) { return Fail(1, e.Message); }
        catch (InputShapeException e) { return Fail(2, e.Message); }
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

    sealed class InputShapeException(string message) : Exception(message);

    static void CheckInputShape(Classifier model, ImageDataset data, string role)
    {
        var shape = model.Info.InputShape;
        if (shape.Count >= 1 && shape[0] != data.Channels)
            throw new InputShapeException($"the {role} {model.Info.Name} takes {shape[0]}-channel images ({string.Join("×", shape)}), but {data.Name} has {data.Channels}-channel images ({data.Channels}×{data.Height}×{data.Width})");
    }
}
