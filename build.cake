#load "build/scale.cake"
#load "build/package.cake"
// LogitStd build script.  dotnet tool restore && dotnet cake --target=<Target>
// Targets: Build, Data, ParityFixtures, Parity, Test (default), Test.Fast, Demo, ImageNetPairs, Study, Plots, Table,
//          Bench [--quick] [--threads=N] [--rounds=N] [--only=A,B] [--wait-policy=default|passive|active],
//          BenchEpoch [--images=N] [--cached], and in build/scale.cake SystemCheck, Publish, DeviceCheckCpu,
//          SlurmTest, Scale (Study and Table take --scheduler=slurm), and in build/package.cake Pack, Samples.

// ---------------------------------------------------------------- arguments
var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");
var root = MakeAbsolute(Directory("."));
var dataDir = root.Combine("data");
var fashionDir = dataDir.Combine("fashion-mnist");
string[] fashionFiles = { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" };
string[] testProjects = { "tests/Core.Tests/Core.Tests.fsproj", "tests/Shell.Tests/Shell.Tests.fsproj", "tests/Models.Tests/Models.Tests.fsproj", "tests/Plots.Tests/Plots.Tests.fsproj", "tests/Data.Tests/Data.Tests.fsproj", "tests/Export.Tests/Export.Tests.fsproj", "tests/Integrity.Tests/Integrity.Tests.fsproj", "tests/Fuzz.Tests/Fuzz.Tests.fsproj", "tests/Hardening.Tests/Hardening.Tests.fsproj" };
// Test.Fast's projects (build/Fast.slnf builds them); each runs only what its Main.fs declares fast
// (TestMain.runSplit). The other projects are all slow.
string[] fastTestProjects = { "tests/Core.Tests/Core.Tests.fsproj", "tests/Shell.Tests/Shell.Tests.fsproj", "tests/Data.Tests/Data.Tests.fsproj", "tests/Plots.Tests/Plots.Tests.fsproj" };
var python = Argument("python", "/usr/bin/python3");
var generatedFixtures = root.Combine("tests/fixtures/generated");

int Run(string file, string args, DirectoryPath workdir = null, IDictionary<string, string> env = null)
{
    return StartProcess(file, new ProcessSettings { Arguments = args, WorkingDirectory = workdir ?? root, EnvironmentVariables = env });
}

// The Test target's tally, printed as the very last line: `N passed, M failed, K skipped`.
int testsPassed = 0, testsFailed = 0, testsSkipped = 0;
bool testsRan = false;

// ---------------------------------------------------------------- tasks
Task("Build")
    .Description("Builds the solution (the native-library fix runs as a build step).")
    .Does(() =>
{
    DotNetBuild("LogitStd.sln", new DotNetBuildSettings { Configuration = configuration });
});

Task("Data")
    .Description("Fetches Fashion-MNIST into ./data/fashion-mnist without root: the installed copy, else apt-get download (the system package lists, or a private apt-get update into ./data/.apt when a fresh machine has none) + dpkg -x.")
    .Does(() =>
{
    if (fashionFiles.All(f => FileExists(fashionDir.CombineWithFilePath(f))))
    {
        Information($"Fashion-MNIST already in {fashionDir}");
        return;
    }
    var system = new DirectoryPath("/usr/share/datasets/fashion-mnist");
    EnsureDirectoryExists(fashionDir);
    if (fashionFiles.All(f => FileExists(system.CombineWithFilePath(f))))
    {
        foreach (var f in fashionFiles) CopyFile(system.CombineWithFilePath(f), fashionDir.CombineWithFilePath(f));
        Information($"Copied the installed Fashion-MNIST from {system}");
        return;
    }
    var work = dataDir.Combine(".download");
    EnsureDirectoryExists(work);
    CleanDirectory(work);
    var deb = DownloadFashionDeb(work);
    if (Run("dpkg", $"-x \"{deb.FullPath}\" \"{work.Combine("x").FullPath}\"") != 0)
        throw new Exception($"dpkg -x {deb} failed");
    var extracted = work.Combine("x/usr/share/datasets/fashion-mnist");
    foreach (var f in fashionFiles) CopyFile(extracted.CombineWithFilePath(f), fashionDir.CombineWithFilePath(f));
    DeleteDirectory(work, new DeleteDirectorySettings { Recursive = true, Force = true });
    Information($"Fashion-MNIST ready in {fashionDir}");
});

// apt-get download of dataset-fashion-mnist into `work`. With the system's package lists when they name
// the package; otherwise (a fresh machine: no lists, no root needed) after an `apt-get update` into a
// private state and cache folder under ./data/.apt, which later runs reuse. apt checks the .deb's
// hash against the signed lists either way.
FilePath DownloadFashionDeb(DirectoryPath work)
{
    FilePath Found() => GetFiles(work.FullPath + "/dataset-fashion-mnist_*.deb").FirstOrDefault();
    int Quiet(string args) => StartProcess("apt-get", new ProcessSettings { Arguments = args, WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true });
    if (Quiet("download dataset-fashion-mnist") == 0 && Found() is FilePath viaSystem)
    {
        Information("Downloaded dataset-fashion-mnist with the system's package lists");
        return viaSystem;
    }
    var apt = dataDir.Combine(".apt");
    var lists = apt.Combine("lists");
    var cache = apt.Combine("cache");
    EnsureDirectoryExists(lists.Combine("partial"));
    EnsureDirectoryExists(cache.Combine("archives/partial"));
    var user = System.Environment.UserName;
    var options = $"-o Dir::State::Lists=\"{lists.FullPath}\" -o Dir::Cache=\"{cache.FullPath}\" -o Debug::NoLocking=1 -o APT::Sandbox::User={user}";
    Information($"No usable system package lists: apt-get update into {apt} (private, no root)");
    if (Run("apt-get", $"{options} update", work) != 0)
        throw new Exception($"apt-get update into {apt} failed (no network to the Debian mirror?). Put the four files {string.Join(", ", fashionFiles)} into {fashionDir} by hand.");
    if (Run("apt-get", $"{options} download dataset-fashion-mnist", work) != 0 || Found() is not FilePath deb)
        throw new Exception($"apt-get download dataset-fashion-mnist failed with the lists in {apt}. Put the four files {string.Join(", ", fashionFiles)} into {fashionDir} by hand.");
    return deb;
}

// The parity fixtures (PyTorch weights, input, logits, a training step) of all 29 zoo models, the ImageNet ResNets from
// torchvision itself (~640 MB, git-ignored; resnet8/resnet8x4 eval fixtures are also committed). The list is
// tests/Models.Tests/Parity.Tests.fs's generatedModels.
const string ParityModels = "resnet8x4,resnet8,resnet14,resnet20,resnet32,resnet44,resnet56,resnet110,resnet32x4,wrn_16_1,wrn_16_2,wrn_40_1,wrn_40_2,vgg8,vgg11,vgg13,vgg16,vgg19,MobileNetV2,ShuffleV1,ShuffleV2,ResNet50,ResNet18_imagenet,ResNet34_imagenet,ResNet50_imagenet,MobileNetV1,fmnist_wide_cnn,fmnist_small_cnn,fmnist_mlp";

int MakeParityFixtures()
{
    var script = root.CombineWithFilePath("tools/parity/make_parity.py");
    var code = Run(python, $"\"{script}\" --out \"{generatedFixtures}\" --models {ParityModels}");
    if (code != 0) return code;
    // ImageNet preprocessing: images and torchvision's tensors (tests/Data.Tests/Preprocessing.Tests.fs).
    var preprocessing = root.CombineWithFilePath("tools/imagenet/make_preprocessing.py");
    return Run(python, $"\"{preprocessing}\" --out \"{generatedFixtures.Combine("preprocessing")}\"");
}

Task("ParityFixtures")
    .Description("Regenerates the parity fixtures of all 29 zoo models into tests/fixtures/generated with Debian's python3-torch and python3-torchvision.")
    .Does(() =>
{
    if (MakeParityFixtures() != 0)
        throw new Exception($"{python} tools/parity/make_parity.py failed: install Debian's python3-torch and python3-torchvision (or pass --python=PATH to an interpreter with both)");
});

Task("Parity")
    .Description("The zoo against PyTorch and float64 on this machine: makes the fixtures, then runs the Models parity and CPU-kernel tests (a missing fixture fails).")
    .IsDependentOn("Build")
    .IsDependentOn("ParityFixtures")
    .Does(() =>
{
    var env = new Dictionary<string, string> { ["LOGITSTD_REQUIRE_PARITY"] = "1" };
    foreach (var list in new[] { "Models.Parity with PyTorch (eval mode, Forward and Infer, ≤ 1e-5 of each row)", "Models.CPU kernels on this machine" })
        if (Run("dotnet", $"run --no-build --project tests/Models.Tests/Models.Tests.fsproj -c {configuration} -- --colours 0 --filter \"{list}\"", env: env) != 0)
            throw new Exception($"{list}: failed");
});

/// Runs each test project as an executable (Expecto) with `args` and adds its `N passed, M failed, K skipped`
/// line to the tally (a project that crashed before printing its summary counts as one failure). `direct`:
/// start the built assembly itself (tests/X/bin/…/LogitStd.X.dll) rather than `dotnet run --no-build`,
/// which spends a second or two per project evaluating it.
void RunTestProjects(IEnumerable<string> projects, string args, bool direct = false)
{
    testsRan = true;
    var tally = root.CombineWithFilePath("artifacts/test-tally.txt");
    EnsureDirectoryExists(tally.GetDirectory());
    if (FileExists(tally)) DeleteFile(tally);
    var env = new Dictionary<string, string> { ["LOGITSTD_TEST_TALLY"] = tally.FullPath };
    int TallyLines() => FileExists(tally) ? System.IO.File.ReadAllLines(tally.FullPath).Count(l => l.Trim().Length > 0) : 0;
    int crashed = 0;
    foreach (var p in projects)
    {
        Information($"==> {p}");
        var linesBefore = TallyLines();
        var dir = System.IO.Path.GetDirectoryName(p);
        var start = direct ? $"{dir}/bin/{configuration}/net10.0/linux-x64/LogitStd.{System.IO.Path.GetFileName(dir)}.dll" : $"run --no-build --project {p} -c {configuration} --";
        var code = Run("dotnet", $"{start} --fail-on-focused-tests --colours 0{args}", env: env);
        if (code != 0) Error($"{p} exited with {code}");
        if (code != 0 && TallyLines() == linesBefore) crashed++;
    }
    if (FileExists(tally))
        foreach (var line in System.IO.File.ReadAllLines(tally.FullPath).Where(l => l.Trim().Length > 0))
        {
            var parts = line.Split(' ');
            testsPassed += int.Parse(parts[0]);
            testsFailed += int.Parse(parts[1]);
            if (parts.Length > 2) testsSkipped += int.Parse(parts[2]);
        }
    testsFailed += crashed;
}

Task("Test")
    .Description("Builds everything and runs every test project as an executable (Expecto); what CI runs.")
    .IsDependentOn("Build")
    .IsDependentOn("Data")
    .Does(() =>
{
    // The model parity tests skip (visibly) without the generated fixtures; make them when PyTorch is here.
    if (!(FileExists(generatedFixtures.CombineWithFilePath("fmnist_mlp.io.pt")) && FileExists(generatedFixtures.CombineWithFilePath("preprocessing/preprocessing.pt"))) && FileExists(python) && MakeParityFixtures() != 0)
        Warning("Parity fixtures could not be generated (no torch for {0}?); those parity tests will be skipped.", python);
    RunTestProjects(testProjects, "");
    Information("==> logitstd check-reference (the official sample and the committed vectors)");
    var refs = new List<string> { "tests/reference/logitstd-reference.json", "tests/reference/logitstd-reference-newer.json" };
    if (FileExists("../shared/reference-sample.json")) refs.Insert(0, "../shared/reference-sample.json");
    var refCode = Run("dotnet", $"Shell.CSharp/bin/{configuration}/net10.0/linux-x64/logitstd.dll check-reference {string.Join(" ", refs)}");
    if (refCode == 0) testsPassed++; else testsFailed++;
});

Task("Test.Fast")
    .Description("The inner loop, under a minute after a build: builds what it runs (build/Fast.slnf), then the tests each project's Main.fs declares fast (`--fast`: the core and its losses, the command-line grammar, the commands in-process, the file formats) of Core, Shell, Data and Plots. No kill tests, fuzzing, trainings, sweeps or model parity: Test runs those.")
    .Does(() =>
{
    // Only the projects it runs (and what they reference): a no-op build of the whole solution takes longer.
    DotNetBuild("build/Fast.slnf", new DotNetBuildSettings { Configuration = configuration });
    RunTestProjects(fastTestProjects, " --fast", direct: true);
});

// ---------------------------------------------------------------- experiments
var logitstdDll = root.CombineWithFilePath($"Shell.CSharp/bin/{configuration}/net10.0/linux-x64/logitstd.dll");
var seeds = Argument("seeds", 5);
var firstSeed = Argument("first-seed", 0);   // with --seeds: run seeds first-seed .. first-seed + seeds − 1 (to split a study over processes)
var threads = Argument("threads", System.Environment.ProcessorCount);
var device = Argument("device", "cpu");
// Study and Table: --scheduler=local (default: one run after another here) or slurm (one `logitstd sweep` job array, --wait).
var scheduler = Argument("scheduler", "local");
if (scheduler != "local" && scheduler != "slurm") throw new Exception($"--scheduler={scheduler}: expected local or slurm");
var maxParallel = Argument("max-parallel", 0); // slurm: the job array's %P limit (0: no limit)

int Logitstd(string args) => Run("dotnet", $"\"{logitstdDll.FullPath}\" {args}");

void LogitstdOrFail(string args)
{
    var code = Logitstd(args);
    if (code != 0) throw new Exception($"logitstd {args} exited with {code}");
}

/// Whether a run folder holds a finished run: summary.json's "finished" (docs/run-folder.md, written by
/// Shell.CSharp/Runs/RunSummary.cs) and the analysis the figures read.
bool RunFinished(string dir)
{
    var summary = System.IO.Path.Combine(dir, "summary.json");
    if (!System.IO.File.Exists(summary) || !System.IO.File.Exists(System.IO.Path.Combine(dir, "analysis", "student_test_logits.csv"))) return false;
    try
    {
        using var doc = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllText(summary));
        return doc.RootElement.TryGetProperty("finished", out var f) && f.ValueKind == System.Text.Json.JsonValueKind.True;
    }
    catch (System.Text.Json.JsonException) { return false; }
}

/// Runs one experiment into `outDir`, resumably: a finished run is skipped, a started run is resumed
/// (from its last checkpoint, or from its beginning when no epoch had finished; with the thread count
/// it recorded, so that it stays bit-identical), a folder killed before experiment.yaml was written is
/// started again (by `--out`, which accepts a folder of its own whose creation was cut short).
void Experiment(string command, string args, string outDir)
{
    if (RunFinished(outDir))
    {
        Information($"finished already: {outDir}");
        return;
    }
    if (System.IO.File.Exists(System.IO.Path.Combine(outDir, "experiment.yaml")))
    {
        Information($"resuming: {outDir}");
        LogitstdOrFail($"{command} --resume {outDir} --device {device}");
        return;
    }
    // A folder killed before experiment.yaml was written is the program's own (its .logitstd-run marker):
    // `--out` continues its creation, so nothing is deleted here.
    LogitstdOrFail($"{command} {args} --out {outDir} --threads {threads} --device {device}");
}

string FashionConfig(string tag, string student = "fmnist_mlp") =>
    tag == "vanilla" ? $"configs/fashion-mnist/vanilla/{student}.yaml" : $"configs/fashion-mnist/{tag}/fmnist_wide_cnn_{student}.yaml";

// The study (docs/study.md): both students, the same teacher. "vanilla" is the student alone.
var studyStudents = new[] { "fmnist_mlp", "fmnist_small_cnn" };
var studyArms = new[] { "kd", "kd_ls", "ctkd", "ctkd_ls", "dkd", "dkd_ls", "mlkd", "mlkd_ls", "kd_raw_tau2_w9", "kd_ls_tau0.5", "kd_ls_tau1", "kd_ls_tau4",
    // MLKD+LS with its suspects separated; not the paper's objective (configs/fashion-mnist/mlkd_ls_*).
    "mlkd_ls_no_class", "mlkd_ls_no_batch", "mlkd_ls_instance_only", "mlkd_ls_all_std" };
// The newer methods (METHODS.md), each ± LS, and the LS weight where the one rule's × 9 is in doubt at K = 10
// (configs/fashion-mnist/wttm_ls_w*, nkd_ls_w1); a sweep of their own (runs/study/newer), so the first sweep's
// plan stays as it was.
var studyNewerArms = new[] { "dist", "dist_ls", "nkd", "nkd_ls", "wttm", "wttm_ls", "rld", "rld_ls", "wttm_ls_w5", "wttm_ls_w45", "nkd_ls_w1" };
var studyTeacher = "runs/fashion-mnist/teacher";
var studyCache = "cache/teacher";
// Where a study run lives: the sweeps' folders (`logitstd sweep` names a run <label>-s<seed>; the newer
// methods' arms are in runs/study/newer); the extra seeds of a wide comparison's arm are in
// runs/study/more/<tag>-<student> (StudySeedsOf).
string StudyRun(string tag, string student, int seed)
{
    var sweep = studyNewerArms.Contains(tag) ? "newer" : "distill";
    var main = tag == "vanilla" ? $"runs/study/alone/{student}-s{seed}" : $"runs/study/{sweep}/{tag}.fmnist_wide_cnn_{student}-s{seed}";
    var more = tag == "vanilla" ? $"runs/study/more/vanilla-{student}/{student}-s{seed}" : $"runs/study/more/{tag}-{student}/fmnist_wide_cnn_{student}-s{seed}";
    return System.IO.Directory.Exists(main) || !System.IO.Directory.Exists(more) ? main : more;
}

void Figures(string outDir, string kdRun, string lsRun, string[] curveRuns, IEnumerable<string> resultsRuns, bool toy = true)
{
    EnsureDirectoryExists(outDir);
    if (toy) LogitstdOrFail($"plot toy --out {outDir}/figure2_toy.png");
    LogitstdOrFail($"plot logit-bars --runs {kdRun} {lsRun} --sample 0 --out {outDir}/figure3_logit_bars.png");
    LogitstdOrFail($"plot logit-bars --runs {kdRun} {lsRun} --sample 0 --standardized --out {outDir}/figure3_logit_bars_standardized.png");
    LogitstdOrFail($"plot heatmap --runs {kdRun} {lsRun} --out {outDir}/figure3_heatmap.png");
    LogitstdOrFail($"plot heatmap --runs {lsRun} --standardized --out {outDir}/figure3_heatmap_standardized.png");
    LogitstdOrFail($"plot stats --runs {kdRun} {lsRun} --out {outDir}/figure5_mean_std.png");
    LogitstdOrFail($"plot stats --runs {kdRun} {lsRun} --standardized --out {outDir}/figure5_mean_std_standardized.png");
    LogitstdOrFail($"plot ranges --runs {kdRun} {lsRun} --out {outDir}/logit_ranges.png");
    LogitstdOrFail($"plot curves --runs {string.Join(" ", curveRuns)} --out {outDir}/training_curves.png");
    LogitstdOrFail($"plot results --runs {string.Join(" ", resultsRuns)} --out {outDir}/results.png");
}

/// Figure 4 (t-SNE of the pooled penultimate features): the teacher's run first, then each run in the
/// paper's order (a method without, then with LS); the embedding of each panel also as CSV beside it.
void TsneFigure(string outDir, string teacherRun, string[] runs, int? sample = null)
{
    EnsureDirectoryExists(outDir);
    LogitstdOrFail($"plot tsne --teacher {teacherRun} --runs {string.Join(" ", runs)}{(sample is int n ? $" --sample {n}" : "")} --out {outDir}/figure4_tsne.png");
}

Task("Demo")
    .Description("Fashion-MNIST end to end: a teacher, students without distillation, KD, KD+LS, DKD, DKD+LS; results table and figures.")
    .IsDependentOn("Build")
    .IsDependentOn("Data")
    .Does(() =>
{
    var watch = System.Diagnostics.Stopwatch.StartNew();
    var demo = "runs/demo";
    // Short schedules so that the whole demo fits in about ten minutes on two cores (README).
    Experiment("train", $"--config {FashionConfig("vanilla", "fmnist_wide_cnn")} --epochs 2", $"{demo}/teacher");
    var teacher = $"{demo}/teacher/checkpoints/best.ckpt";
    foreach (var tag in new[] { "vanilla", "kd", "kd_ls", "dkd", "dkd_ls" })
    {
        var command = tag == "vanilla" ? "train" : "distill";
        var teacherFlag = tag == "vanilla" ? "" : $"--teacher {teacher}";
        Experiment(command, $"--config {FashionConfig(tag)} {teacherFlag} --epochs 4", $"{demo}/{tag}");
    }
    LogitstdOrFail($"results {demo} --markdown {demo}/results.md");
    var demoRuns = new[] { $"{demo}/vanilla", $"{demo}/kd", $"{demo}/kd_ls", $"{demo}/dkd", $"{demo}/dkd_ls" };
    Figures("plots/demo", $"{demo}/kd", $"{demo}/kd_ls", demoRuns, demoRuns);
    // Figure 4 on a 2,000-image subset: a 10,000-image panel takes minutes on two cores (docs/benchmarks.md).
    TsneFigure("plots/demo", $"{demo}/teacher", new[] { $"{demo}/kd", $"{demo}/kd_ls", $"{demo}/dkd", $"{demo}/dkd_ls" }, sample: 2000);
    Information($"Demo finished in {watch.Elapsed.TotalMinutes:F1} min: runs in {demo}, table in {demo}/results.md, figures in plots/demo/");
});

Task("ImageNetPairs")
    .Description("The paper's ImageNet pairs end to end on a tiny generated ImageNet-layout folder (tools/imagenet/make_tiny_imagenet.py): ResNet34->ResNet18 and ResNet50->MobileNetV1, KD, KD+LS, DKD, DKD+LS, from torchvision-format teachers, one epoch each; a resume; the teacher cache's answer; a 1000-class teacher's eval against torchvision's; results. Needs python3-torch and python3-torchvision.")
    .IsDependentOn("Build")
    .Does(() =>
{
    var watch = System.Diagnostics.Stopwatch.StartNew();
    var dir = "runs/imagenet-pairs";
    var fixture = $"{dir}/fixture";
    if (!FileExists($"{fixture}/teachers/resnet34_1000.pth")
        && Run(python, $"tools/imagenet/make_tiny_imagenet.py --out {fixture} --classes 4 --train 8 --val 2") != 0)
        throw new Exception($"{python} tools/imagenet/make_tiny_imagenet.py failed: install Debian's python3-torch and python3-torchvision");
    // The paper's settings (configs/imagenet/) but one epoch and batch 8, with the learning rate scaled
    // linearly from batch 512 (0.2 · 8 / 512).
    var pairs = new[] { ("resnet34_resnet18", "ResNet34_imagenet", "resnet34.pth"), ("resnet50_mobilenetv1", "ResNet50_imagenet", "resnet50.pth") };
    var runs = new List<string>();
    foreach (var (pair, teacherModel, teacherFile) in pairs)
        foreach (var method in new[] { "kd", "kd_ls", "dkd", "dkd_ls" })
        {
            var run = $"{dir}/{method}_{pair}";
            Experiment("distill", $"--config configs/imagenet/{method}/{pair}.yaml --data-dir {fixture}/data --teacher {fixture}/teachers/{teacherFile} --teacher-model {teacherModel} --epochs 1 --batch-size 8 --lr 0.003125 --threads {threads}", run);
            runs.Add(run);
        }
    LogitstdOrFail($"distill --resume {runs[1]}");
    // The teacher cache holds a finite set of views per image; RandomResizedCrop has none (docs/imagenet.md).
    var cacheCode = Logitstd($"distill --config configs/imagenet/kd_ls/resnet34_resnet18.yaml --data-dir {fixture}/data --teacher {fixture}/teachers/resnet34.pth --teacher-model ResNet34_imagenet --epochs 1 --batch-size 8 --teacher-cache {dir}/cache --out {dir}/cached");
    if (cacheCode != 2) throw new Exception($"distill --teacher-cache on an image folder exited {cacheCode}, expected 2 (refused)");
    // A 1000-class torchvision teacher evaluated on a val/-only folder, against torchvision's own evaluation.
    LogitstdOrFail($"eval --model ResNet34_imagenet --weights {fixture}/teachers/resnet34_1000.pth --dataset imagefolder --data-dir {fixture}/data1000 --save-logits {dir}/teacher1000_logits.csv --threads {threads}");
    if (Run(python, $"tools/imagenet/eval_peer.py --model resnet34 --weights {fixture}/teachers/resnet34_1000.pth --folder {fixture}/data1000/val --out {dir}/teacher1000_torchvision.csv") != 0)
        throw new Exception("tools/imagenet/eval_peer.py failed");
    var worst = MaxRowRelativeDifference($"{dir}/teacher1000_logits.csv", $"{dir}/teacher1000_torchvision.csv");
    Information($"1000-class teacher, eval against torchvision on 1000 images: max difference {worst:0.00e0} of a row's scale");
    if (!(worst <= 1e-5)) throw new Exception($"eval differs from torchvision by {worst:0.00e0} of a row's scale (> 1e-5)");
    LogitstdOrFail($"results {string.Join(" ", runs)} --markdown {dir}/results.md");
    Information($"ImageNetPairs finished in {watch.Elapsed.TotalMinutes:F1} min: {dir}/results.md");
});

/// The largest over rows of max |a − b| / max |b| between two logit CSV files (a header line is skipped
/// where the first field is not a number).
double MaxRowRelativeDifference(string ours, string theirs)
{
    double[][] Read(string path) => System.IO.File.ReadLines(path)
        .Where(l => l.Length > 0 && !char.IsLetter(l[0]))
        .Select(l => l.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToArray();
    var a = Read(ours);
    var b = Read(theirs);
    if (a.Length != b.Length) throw new Exception($"{ours}: {a.Length} rows, {theirs}: {b.Length}");
    double worst = 0;
    for (int i = 0; i < a.Length; i++)
    {
        if (a[i].Length != b[i].Length) throw new Exception($"row {i}: {a[i].Length} against {b[i].Length} values");
        double scale = b[i].Max(Math.Abs), diff = a[i].Zip(b[i], (x, y) => Math.Abs(x - y)).Max();
        worst = Math.Max(worst, diff / scale);
    }
    return worst;
}

/// One `logitstd sweep` of the study: here (--max-parallel processes of one thread each; on the
/// 2-core machine two processes finish a study faster than one with two threads) or as a Slurm array.
void StudySweep(IEnumerable<string> configs, string outDir, int first, int count, string flags)
{
    var parallel = maxParallel > 0 ? maxParallel : System.Environment.ProcessorCount;
    var where = scheduler == "slurm"
        ? "--scheduler slurm --wait" + (maxParallel > 0 ? $" --max-parallel {maxParallel}" : "")
        : $"--max-parallel {parallel}";
    LogitstdOrFail($"sweep --configs {string.Join(" ", configs)} --seeds {count} --first-seed {first} --out {outDir} {where} -- --threads {(scheduler == "slurm" ? threads : 1)} --device {device} {flags}");
}

Task("Study")
    .Description("Fashion-MNIST, both students (fmnist_mlp, fmnist_small_cnn), every arm over --seeds seeds (default 5, from --first-seed), then 10 for the comparisons still wider than ±0.5 points; with the teacher cache; resumable. Tables and figures: plots/study/.")
    .IsDependentOn("Build")
    .IsDependentOn("Data")
    .Does(() =>
{
    var watch = System.Diagnostics.Stopwatch.StartNew();
    Experiment("train", $"--config {FashionConfig("vanilla", "fmnist_wide_cnn")}", studyTeacher);
    StudySeeds(firstSeed, seeds);
    // The issue's rule: a comparison whose 95% half-width is above 0.5 points at 5 seeds gets 10.
    if (firstSeed == 0 && seeds == 5)
    {
        var wide = WideArms(0.5);
        Information(wide.Count == 0 ? "every comparison is within ±0.5 points at 5 seeds" : $"10 seeds for the arms of the wider comparisons: {string.Join(", ", wide.Select(w => $"{w.Tag}/{w.Student}"))}");
        foreach (var (tag, student) in wide) StudySeedsOf(tag, student, 5, 5);
    }
    StudyTables();
    Information($"Study finished in {watch.Elapsed.TotalMinutes:F1} min");
});

/// Every arm of both students for seeds first .. first + count − 1 (the teacher cache of each seed's subset built first).
void StudySeeds(int first, int count)
{
    for (int seed = first; seed < first + count; seed++) BuildStudyCache(seed);
    StudySweep(studyStudents.Select(st => FashionConfig("vanilla", st)), "runs/study/alone", first, count, "");
    StudySweep(studyArms.SelectMany(tag => studyStudents.Select(st => FashionConfig(tag, st))), "runs/study/distill", first, count, $"--teacher-cache {studyCache}");
    StudySweep(studyNewerArms.SelectMany(tag => studyStudents.Select(st => FashionConfig(tag, st))), "runs/study/newer", first, count, $"--teacher-cache {studyCache}");
}

/// One arm of one student for more seeds, in a folder of its own (runs/study/more/<tag>-<student>): a sweep's
/// run names depend on its config list, so the main sweeps' lists stay as they are.
void StudySeedsOf(string tag, string student, int first, int count)
{
    for (int seed = first; seed < first + count; seed++) BuildStudyCache(seed);
    var config = FashionConfig(tag, student);
    // One folder per arm and student: a sweep's folder holds one plan, and an arm can be wide for both students.
    StudySweep(new[] { config }, $"runs/study/more/{tag}-{student}", first, count, tag == "vanilla" ? "" : $"--teacher-cache {studyCache}");
}

/// The teacher's logits for the seed's 10,000-image subset (each seed draws its own), once.
void BuildStudyCache(int seed) =>
    LogitstdOrFail($"teacher-cache build --teacher {studyTeacher}/checkpoints/best.ckpt --dataset fashion-mnist --train-subset 10000 --seed {seed} --cache-dir {studyCache} --threads {threads}");

/// The (arm, student) pairs of every comparison wider than ±halfWidth points with fewer than 10 pairs,
/// from `logitstd results --json` (the arm is the tag of the config its run folders were made from).
List<(string Tag, string Student)> WideArms(double halfWidth)
{
    EnsureDirectoryExists("plots/study");
    LogitstdOrFail("results runs/study --json plots/study/results.json");
    using var doc = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllText("plots/study/results.json"));
    var arms = new List<(string, string)>();
    foreach (var c in doc.RootElement.GetProperty("comparisons").EnumerateArray())
    {
        var hw = c.GetProperty("half_width");
        if (hw.ValueKind != System.Text.Json.JsonValueKind.Number || hw.GetDouble() <= halfWidth || c.GetProperty("pairs").GetInt32() >= 10) continue;
        var student = c.GetProperty("student").GetString()!;
        foreach (var side in new[] { "runs", "baseline_runs" })
            foreach (var run in c.GetProperty(side).EnumerateArray())
            {
                var yaml = System.IO.File.ReadAllText(System.IO.Path.Combine(run.GetString()!, "experiment.yaml"));
                var name = System.Text.RegularExpressions.Regex.Match(yaml, @"name: ""?([A-Za-z0-9_.]+)""?").Groups[1].Value;
                // Config names are <tag>_fmnist_wide_cnn_<student> or vanilla_<student> (tools/configs/make_configs.py).
                var tag = name.StartsWith("vanilla_") ? "vanilla" : name.Substring(0, name.Length - $"_fmnist_wide_cnn_{student}".Length);
                if (!arms.Contains((tag, student))) arms.Add((tag, student));
            }
    }
    // The BatchNorm CNN first (the study's open question), then the arms in the study's order.
    var order = new[] { "vanilla" }.Concat(studyArms).Concat(studyNewerArms).ToList();
    return arms.OrderBy(a => Array.IndexOf(studyStudents, a.Item2) == 1 ? 0 : 1).ThenBy(a => order.IndexOf(a.Item1)).ToList();
}

/// The tables of every finished study run (plots/study/results.md, .json).
void StudyTables()
{
    EnsureDirectoryExists("plots/study");
    LogitstdOrFail("results runs/study --markdown plots/study/results.md --json plots/study/results.json");
}

Task("Plots")
    .Description("Draws every figure of the Study from its run folders into plots/study/<student>/ (never retrains).")
    .IsDependentOn("Build")
    .Does(() =>
{
    foreach (var student in studyStudents)
        if (!RunFinished(StudyRun("kd", student, 0)) || !RunFinished(StudyRun("kd_ls", student, 0)))
            throw new Exception($"No finished study runs of {student} in runs/study: run `dotnet cake --target=Study` first (or `--target=Demo`, whose figures go to plots/demo).");
    LogitstdOrFail("plot toy --out plots/figure2_toy.png");
    // The results chart groups by (method, LS): the paper's main arms only (the τ, weight and MLKD ablation arms are in the tables and forest plots).
    var mainArms = new[] { "vanilla", "kd", "kd_ls", "ctkd", "ctkd_ls", "dkd", "dkd_ls", "mlkd", "mlkd_ls" };
    foreach (var student in studyStudents)
    {
        var dir = $"plots/study/{student}";
        var finished = mainArms.SelectMany(a => Enumerable.Range(0, 10).Select(seed => StudyRun(a, student, seed))).Where(RunFinished).ToList();
        Figures(dir, StudyRun("kd", student, 0), StudyRun("kd_ls", student, 0), mainArms.Select(a => StudyRun(a, student, 0)).ToArray(), finished, toy: false);
        LogitstdOrFail($"plot forest --runs runs/study --student {student} --out {dir}/forest.png");
        var mlkdRuns = new[] { "mlkd", "mlkd_ls", "mlkd_ls_no_class", "mlkd_ls_no_batch", "mlkd_ls_instance_only", "mlkd_ls_all_std" }.Select(a => StudyRun(a, student, 0));
        LogitstdOrFail($"plot levels --runs {string.Join(" ", mlkdRuns)} --out {dir}/mlkd_levels.png");
        // Figure 4 from seed 0 of KD, KD+LS, DKD, DKD+LS (the full 10,000-image test set: minutes per panel).
        var tsneRuns = new[] { "kd", "kd_ls", "dkd", "dkd_ls" }.Select(a => StudyRun(a, student, 0)).ToArray();
        // Run folders written before the analysis kept features have none: left out with a warning, not a failure.
        var featureFiles = tsneRuns.Append(studyTeacher).Select(r => System.IO.Path.Combine(r, "analysis/student_test_features.npy")).ToArray();
        if (tsneRuns.All(RunFinished) && featureFiles.All(System.IO.File.Exists)) TsneFigure(dir, studyTeacher, tsneRuns);
        else Warning($"Figure 4 of {student} left out: it needs the finished runs {string.Join(", ", tsneRuns)} and the teacher {studyTeacher}, each with analysis/student_test_features.npy (written by runs made since issue 25)");
    }
    MlkdLevelsTable("plots/study/mlkd_levels.md");
});

/// The numbers behind the MLKD levels figures: for each student and MLKD arm, seed 0, the first and
/// the last epoch's weighted level losses, their gradient norms at the student's logits, the
/// student's raw-logit std and test top-1 (columns of metrics.csv, docs/run-folder.md).
void MlkdLevelsTable(string path)
{
    var arms = new[] { "mlkd", "mlkd_ls", "mlkd_ls_no_class", "mlkd_ls_no_batch", "mlkd_ls_instance_only", "mlkd_ls_all_std" };
    var columns = new[] { "loss_ce", "loss_kd", "loss_cc", "loss_bc", "grad_ce", "grad_kd", "grad_cc", "grad_bc", "logit_std", "test_top1" };
    var sb = new System.Text.StringBuilder();
    sb.AppendLine("Seed 0 of each MLKD arm, the first and the last epoch: the weighted losses (two-view CE `ce`, instance `kd`, class `cc`, batch `bc`), each one's gradient norm at the student's logits, the student's raw-logit std and test top-1 (`dotnet cake --target=Plots`, from metrics.csv). A missing level is —.");
    sb.AppendLine();
    sb.AppendLine("| student | arm | epoch | " + string.Join(" | ", columns) + " |");
    sb.AppendLine("|---|---|---|" + string.Concat(columns.Select(_ => "---|")));
    foreach (var student in studyStudents)
        foreach (var arm in arms)
        {
            var file = System.IO.Path.Combine(StudyRun(arm, student, 0), "metrics.csv");
            if (!System.IO.File.Exists(file)) throw new Exception($"{file}: not found (run the Study first)");
            var lines = System.IO.File.ReadAllLines(file).Where(l => l.Length > 0).ToArray();
            var header = lines[0].Split(',');
            foreach (var row in new[] { lines[1], lines[^1] }.Distinct())
            {
                var cells = row.Split(',');
                string Cell(string c)
                {
                    var i = Array.IndexOf(header, c);
                    if (i < 0) return "—";
                    var v = double.Parse(cells[i], System.Globalization.CultureInfo.InvariantCulture);
                    return v.ToString(Math.Abs(v) >= 100 ? "F0" : Math.Abs(v) >= 1 ? "F2" : "G3", System.Globalization.CultureInfo.InvariantCulture);
                }
                sb.AppendLine($"| {student} | {arm} | {cells[0]} | " + string.Join(" | ", columns.Select(Cell)) + " |");
            }
        }
    System.IO.File.WriteAllText(path, sb.ToString());
    Information($"wrote {path}");
}

// The CIFAR-100 table of PAPER.md §6: pairs and published top-1 (teacher, student, KD, KD+LS, CTKD, CTKD+LS, DKD, DKD+LS, MLKD, MLKD+LS).
var paperPairs = new (string Teacher, string Student, double[] Published)[]
{
    ("resnet32x4", "resnet8x4",   new[] { 79.42, 72.50, 73.33, 76.62, 73.39, 76.67, 76.32, 77.01, 77.08, 78.28 }),
    ("vgg13",      "vgg8",        new[] { 74.64, 70.36, 72.98, 74.36, 73.52, 74.47, 74.68, 74.81, 75.18, 75.22 }),
    ("wrn_40_2",   "wrn_40_1",    new[] { 75.61, 71.98, 73.54, 74.37, 73.93, 74.58, 74.81, 74.89, 75.35, 75.56 }),
    ("wrn_40_2",   "wrn_16_2",    new[] { 75.61, 73.26, 74.92, 76.11, 75.45, 76.08, 76.24, 76.39, 76.63, 76.95 }),
    ("resnet56",   "resnet20",    new[] { 72.34, 69.06, 70.66, 71.43, 71.19, 71.34, 71.97, 72.32, 72.19, 72.33 }),
    ("resnet110",  "resnet32",    new[] { 74.31, 71.14, 73.08, 74.17, 73.52, 74.01, 74.11, 74.29, 74.11, 74.32 }),
    ("resnet32x4", "ShuffleV2",   new[] { 79.42, 71.82, 74.45, 75.56, 75.37, 76.18, 77.07, 77.37, 78.44, 78.76 }),
    ("wrn_40_2",   "resnet8x4",   new[] { 75.61, 72.50, 73.97, 77.11, 74.61, 77.03, 75.56, 76.75, 77.33, 77.68 }),
    ("vgg13",      "MobileNetV2", new[] { 74.64, 64.60, 67.37, 68.61, 68.50, 68.98, 69.71, 69.98, 70.57, 70.94 }),
};
var paperMethods = new[] { "kd", "kd_ls", "ctkd", "ctkd_ls", "dkd", "dkd_ls", "mlkd", "mlkd_ls" };

Task("Table")
    .Description("CIFAR-100 table of PAPER.md §6 for users with the data and a GPU: every pair × method × --seeds (default 5; the paper used 4). Needs --data-dir and the mdistiller teachers.")
    .IsDependentOn("Build")
    .Does(() =>
{
    var cifar = Argument("data-dir", "data/cifar-100-binary");
    var missing = new List<string>();
    if (!System.IO.File.Exists(System.IO.Path.Combine(cifar, "train.bin")) && !System.IO.File.Exists(cifar))
        missing.Add($"CIFAR-100 binary version in {cifar} (train.bin, test.bin; https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz), or pass --data-dir");
    foreach (var t in paperPairs.Select(p => p.Teacher).Distinct())
    {
        var ckpt = $"download_ckpts/cifar_teachers/{t}_vanilla/ckpt_epoch_240.pth";
        if (!System.IO.File.Exists(ckpt)) missing.Add($"{ckpt} (mdistiller release \"checkpoints\", cifar_teachers.tar, extracted into download_ckpts/)");
    }
    if (missing.Count > 0) throw new Exception("The Table target needs:\n  " + string.Join("\n  ", missing));
    var sweepDir = "runs/cifar100-sweep";
    if (scheduler == "slurm")
    {
        var configs = paperPairs.Select(p => $"configs/cifar100/vanilla/{p.Student.ToLowerInvariant()}.yaml").Distinct()
            .Concat(paperPairs.SelectMany(p => paperMethods.Select(m => $"configs/cifar100/{m}/{p.Teacher}_{p.Student}.yaml".ToLowerInvariant())));
        LogitstdOrFail($"sweep --configs {string.Join(" ", configs)} --seeds {seeds} --out {sweepDir} --scheduler slurm --wait" +
            (maxParallel > 0 ? $" --max-parallel {maxParallel}" : "") + $" -- --data-dir {cifar} --threads {threads} --device {device}");
    }
    else
    for (int seed = 0; seed < seeds; seed++)
        foreach (var (teacher, student, _) in paperPairs)
        {
            Experiment("train", $"--config configs/cifar100/vanilla/{student.ToLowerInvariant()}.yaml --seed {seed} --data-dir {cifar}", $"runs/cifar100/vanilla/{student.ToLowerInvariant()}/seed{seed}");
            foreach (var m in paperMethods)
            {
                var pair = $"{teacher}_{student}".ToLowerInvariant();
                Experiment("distill", $"--config configs/cifar100/{m}/{pair}.yaml --seed {seed} --data-dir {cifar}", $"runs/cifar100/{m}/{pair}/seed{seed}");
            }
        }
    // Best-epoch top-1 averaged over seeds (the paper's protocol), beside the published value.
    // The seed folders of one arm: runs/cifar100/<method>/<pair>/seed<k> here, <sweep>/<method>.<pair>-s<k> from a sweep.
    string[] Seeds(string method, string name) =>
        scheduler == "slurm"
            ? (System.IO.Directory.Exists(sweepDir) ? System.IO.Directory.GetDirectories(sweepDir, method == "vanilla" ? $"{name}-s*" : $"{method}.{name}-s*") : new string[0])
            : (System.IO.Directory.Exists($"runs/cifar100/{method}/{name}") ? System.IO.Directory.GetDirectories($"runs/cifar100/{method}/{name}", "seed*") : new string[0]);
    double? Mean(string method, string name)
    {
        var values = Seeds(method, name).Select(d => System.IO.Path.Combine(d, "summary.json"))
            .Where(System.IO.File.Exists).Select(f => System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllText(f)).RootElement)
            .Where(r => r.GetProperty("finished").GetBoolean()).Select(r => r.GetProperty("best_top1").GetDouble()).ToList();
        return values.Count == 0 ? null : values.Average();
    }
    double? TeacherTop1(string pair)
    {
        // The teacher's accuracy from the test logits a KD run saved (label, logits... per row).
        var first = Seeds("kd", pair).OrderBy(d => d, StringComparer.Ordinal).FirstOrDefault();
        var file = first is null ? "" : System.IO.Path.Combine(first, "analysis", "teacher_test_logits.csv");
        if (!System.IO.File.Exists(file)) return null;
        var rows = System.IO.File.ReadLines(file).Skip(1).Select(l => l.Split(',').Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToList();
        return 100.0 * rows.Count(r => Array.IndexOf(r, r.Skip(1).Max(), 1) - 1 == (int)r[0]) / rows.Count;
    }
    string Cell(double? ours, double published) => ours is double o ? $"{o:F2} ({published:F2})" : $"— ({published:F2})";
    var sb = new System.Text.StringBuilder();
    sb.AppendLine("CIFAR-100 top-1 (%): LogitStd, mean best-epoch over seeds (published in parentheses)");
    sb.AppendLine();
    sb.AppendLine("| teacher → student | teacher | student | KD | KD+LS | CTKD | CTKD+LS | DKD | DKD+LS | MLKD | MLKD+LS |");
    sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
    foreach (var (teacher, student, published) in paperPairs)
    {
        var pair = $"{teacher}_{student}".ToLowerInvariant();
        var cells = new List<string> { Cell(TeacherTop1(pair), published[0]), Cell(Mean("vanilla", student.ToLowerInvariant()), published[1]) };
        cells.AddRange(paperMethods.Select((m, i) => Cell(Mean(m, pair), published[i + 2])));
        sb.AppendLine($"| {teacher} → {student} | {string.Join(" | ", cells)} |");
    }
    EnsureDirectoryExists("runs/cifar100");
    System.IO.File.WriteAllText("runs/cifar100/table.md", sb.ToString());
    Information(sb.ToString());
});

// ---------------------------------------------------------------- benchmarks
// One `RESULT side=... config=... img_s=... cpu_wall=...` line of `logitstd bench` or the PyTorch peer, as key → value.
Dictionary<string, string> ParseResult(IEnumerable<string> output, string side)
{
    var line = output.LastOrDefault(l => l.StartsWith("RESULT side=" + side + " "))
        ?? throw new Exception($"no RESULT line from {side}; its output was:\n{string.Join("\n", output)}");
    return line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
}

(int Code, List<string> Output) Capture(string file, string args, IDictionary<string, string> env)
{
    var code = StartProcess(file, new ProcessSettings { Arguments = args, WorkingDirectory = root, EnvironmentVariables = env, RedirectStandardOutput = true }, out var lines);
    return (code, lines.ToList());
}

double Num(Dictionary<string, string> r, string key) => double.Parse(r[key], System.Globalization.CultureInfo.InvariantCulture);

// Both sides of a benchmark run with the same OpenMP wait policy: by default the trainer's (libgomp's
// default, the variable unset: spin a while, then sleep); --wait-policy=passive|active sets
// OMP_WAIT_POLICY for both. PASSIVE suits a machine shared with other work and costs each parallel
// operation a thread wake-up (~40 µs here), which decides the small models (docs/benchmarks.md).
Dictionary<string, string> WaitPolicyEnvironment()
{
    var policy = Argument("wait-policy", "default").ToLowerInvariant();
    if (policy == "default") return new Dictionary<string, string>();
    if (policy != "passive" && policy != "active") throw new Exception($"--wait-policy={policy}: expected default, passive or active");
    return new Dictionary<string, string> { ["OMP_WAIT_POLICY"] = policy.ToUpperInvariant() };
}

Task("Bench")
    .Description("Training steps side by side with the PyTorch peer (img/s, ratio, CPU/wall), the losses (BenchmarkDotNet), the loader. --quick: under two minutes.")
    .Does(() =>
{
    bool quick = HasArgument("quick");
    int threads = Argument("threads", System.Environment.ProcessorCount);
    // --rounds=N: each configuration's pair (LogitStd, then the peer) N times in turn; the round with the
    // median ratio is reported, with the range of the N ratios (this machine is shared and noisy).
    int rounds = Argument("rounds", 1);
    if (rounds < 1) throw new Exception($"--rounds={rounds}: expected a positive number");
    var onlyList = Argument("only", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    // The PyTorch peer is optional for everything but this target: say in one line what to install.
    if (StartProcess(python, new ProcessSettings { Arguments = "-c \"import torch\"", RedirectStandardOutput = true, RedirectStandardError = true }) != 0)
        throw new Exception($"The Bench target times LogitStd against PyTorch, and {python} has no torch: install it with `apt-get install python3-torch libopenblas0-pthread` (Debian; PyPI is not reachable here), or pass --python=PATH.");
    var inv = System.Globalization.CultureInfo.InvariantCulture;
    foreach (var p in new[] { "Shell.CSharp/Shell.CSharp.csproj", "bench/Losses.Bench/Losses.Bench.csproj", "bench/Loader.Bench/Loader.Bench.csproj" })
        DotNetBuild(p, new DotNetBuildSettings { Configuration = configuration, Verbosity = DotNetVerbosity.Quiet });
    var logitstd = $"Shell.CSharp/bin/{configuration}/net10.0/linux-x64/logitstd.dll";
    var peer = root.CombineWithFilePath("tools/bench/pytorch_peer.py");
    var env = WaitPolicyEnvironment();
    // LogitStd only: a 64 MiB gen-0 budget. .NET sizes it from the L3 cache, which this VM reports as
    // 260 MiB, and the managed garbage of ~2,300 steps then accumulates before the first collection
    // (+115 MiB RSS). This is the setting proposed for logitstd's runtime configuration.
    var envLogitStd = new Dictionary<string, string>(env) { ["DOTNET_GCgen0size"] = "0x4000000" };
    var configs = quick
        ? new[] { "resnet8x4", "fmnist_wide_cnn", "fmnist_small_cnn", "fmnist_mlp", "kd", "kd_ls", "mlkd", "kd_cached", "kd_ls_cached", "dkd_ls_cached", "ctkd_ls_cached",
                  "resnet8x4_cl", "fmnist_small_cnn_cl" }
        : new[] { "resnet8x4", "resnet32x4", "fmnist_wide_cnn", "fmnist_small_cnn", "fmnist_mlp", "kd", "kd_ls", "dkd_ls", "ctkd_ls", "mlkd",
                  "dist", "dist_ls", "nkd", "nkd_ls", "wttm", "wttm_ls", "rld", "rld_ls",
                  "kd_cached", "kd_ls_cached", "dkd_ls_cached", "ctkd_ls_cached", "resnet8x4_cl", "fmnist_wide_cnn_cl", "fmnist_small_cnn_cl", "kd_ls_cl", "memory" };
    // The *_cached rows: LogitStd's step with the teacher cache warm (the teacher's logits are given) against
    // PyTorch's online step of the same configuration (the peer runs the teacher every step).
    var flags = (quick ? " --quick" : "") + $" --threads {threads}";
    var lines = new List<string>();
    var md = new List<string> { "| configuration | LogitStd img/s | PyTorch img/s | ratio | CPU/wall LogitStd / PyTorch | RSS start → end MiB LogitStd | PyTorch |", "|---|---:|---:|---:|---:|---:|---:|" };
    var ours = new Dictionary<string, Dictionary<string, string>>();
    var peerImgs = new Dictionary<string, double>();
    string peakLine = null; // the PEAK line of the first configuration (Cake scripts have no nullable context)
    Information($"==> training steps, batch 64, {threads} thread(s), OMP_WAIT_POLICY={(env.TryGetValue("OMP_WAIT_POLICY", out var wp) ? wp : "unset")}, LogitStd with DOTNET_GCgen0size=0x4000000, {(quick ? "quick" : "full")} run; each LogitStd configuration is followed by the PyTorch peer");
    if (onlyList.Length > 0)
    {
        var unknown = onlyList.Where(n => !configs.Contains(n)).ToList();
        if (unknown.Count > 0) throw new Exception($"--only: unknown configuration {string.Join(", ", unknown)}; known: {string.Join(", ", configs)}");
        configs = configs.Where(onlyList.Contains).ToArray();
    }
    foreach (var c in configs)
    {
        var pairs = new List<(Dictionary<string, string> X, Dictionary<string, string> Y)>();
        for (int round = 0; round < (c == "memory" ? 1 : rounds); round++)
        {
            // The first configuration also measures the FP32 peak (a 2048² float32 matrix product on the same threads).
            bool peak = c == configs[0] && round == 0;
            var a = Capture("dotnet", $"{logitstd} bench --only {c}{flags}{(peak ? " --peak" : "")}", envLogitStd);
            if (peak) peakLine = a.Output.FirstOrDefault(l => l.StartsWith("PEAK gflop_s="));
            if (a.Code != 0) throw new Exception($"logitstd bench --only {c} exited with {a.Code}:\n{string.Join("\n", a.Output)}");
            var b = Capture(python, $"\"{peer}\" --only {c}{flags}", env);
            if (b.Code != 0) throw new Exception($"pytorch_peer.py --only {c} exited with {b.Code} (is Debian's python3-torch installed? --python=PATH):\n{string.Join("\n", b.Output)}");
            pairs.Add((ParseResult(a.Output, "logitstd"), ParseResult(b.Output, "pytorch")));
        }
        double Ratio((Dictionary<string, string> X, Dictionary<string, string> Y) p) => Num(p.X, "img_s") / Num(p.Y, "img_s");
        var ordered = pairs.OrderBy(Ratio).ToList();
        var (x, y) = ordered[ordered.Count / 2];
        var spread = pairs.Count > 1 ? string.Format(inv, " ({0:F2}–{1:F2} in {2} rounds)", Ratio(ordered[0]), Ratio(ordered[^1]), pairs.Count) : "";
        ours[c] = x;
        if (c != "memory") peerImgs[c] = Num(y, "img_s");
        string line;
        if (c == "memory")
            line = string.Format(inv, "{0,-17} logitstd RSS {1} → {2} MiB ({3:+0.00;-0.00}%)  pytorch RSS {4} → {5} MiB ({6:+0.00;-0.00}%) over {7} steps  cpu/wall {8}/{9}",
                c, x["rss_start_mib"], x["rss_end_mib"], Num(x, "rss_growth_pct"), y["rss_start_mib"], y["rss_end_mib"], Num(y, "rss_growth_pct"), x["steps"], x["cpu_wall"], y["cpu_wall"]);
        else
            line = string.Format(inv, "{0,-17} logitstd {1,9:F1} img/s  pytorch {2,9:F1} img/s  ratio {3,5:F2}  cpu/wall {4}/{5}  RSS MiB {6}→{7} / {8}→{9}{10}",
                c, Num(x, "img_s"), Num(y, "img_s"), Num(x, "img_s") / Num(y, "img_s"), x["cpu_wall"], y["cpu_wall"],
                x["rss_start_mib"], x["rss_end_mib"], y["rss_start_mib"], y["rss_end_mib"], spread);
        Information(line);
        lines.Add(line);
        md.Add(string.Format(inv, "| {0} | {1:F1} | {2:F1} | {3:F2}{10} | {4} / {5} | {6} → {7} | {8} → {9} |", c, Num(x, "img_s"), Num(y, "img_s"),
            Num(x, "img_s") / Num(y, "img_s"), x["cpu_wall"], y["cpu_wall"], x["rss_start_mib"], x["rss_end_mib"], y["rss_start_mib"], y["rss_end_mib"], spread));
    }
    if (peakLine is not null && ours.TryGetValue("resnet8x4", out var r8))
    {
        // Both sides do the same convolutions: PyTorch's share uses LogitStd's FLOPs per image (6 per conv/linear MAC, Shell.CSharp/Bench/Flops.cs).
        var peakGflops = double.Parse(peakLine.Split(' ')[1].Split('=')[1], inv);
        var flopsPerImage = Num(r8, "gflop_s") / Num(r8, "img_s");
        var l = string.Format(inv, "resnet8x4 training against the measured FP32 peak {0:F1} GFLOP/s: LogitStd {1:F1} GFLOP/s ({2:F0} %), PyTorch {3:F0} % (target ≥ 50 %)",
            peakGflops, Num(r8, "gflop_s"), 100 * Num(r8, "gflop_s") / peakGflops, 100 * flopsPerImage * peerImgs["resnet8x4"] / peakGflops);
        Information(l);
        lines.Add(l);
    }
    if (ours.ContainsKey("kd") && ours.ContainsKey("kd_ls"))
    {
        var cost = Num(ours["kd"], "img_s") / Num(ours["kd_ls"], "img_s") - 1;
        var l = string.Format(inv, "standardization cost in the KD step: {0:+0.0;-0.0}% (time of kd_ls ÷ time of kd − 1; target ≤ 2%)", 100 * cost);
        Information(l);
        lines.Add(l);
    }

    // --only names step configurations: the losses and the loader are left out.
    if (onlyList.Length == 0)
    {
        Information("==> the losses alone (BenchmarkDotNet, B = 64, K = 100, float32, forward + backward)");
        if (Run("dotnet", $"bench/Losses.Bench/bin/{configuration}/net10.0/linux-x64/losses-bench.dll" + (quick ? " --quick" : "")) != 0)
            throw new Exception("the loss benchmarks failed");

        Information("==> the loader (bench/Loader.Bench)");
        var loader = Capture("dotnet", $"bench/Loader.Bench/bin/{configuration}/net10.0/linux-x64/loader-bench.dll --epochs 1", null);
        foreach (var l in loader.Output) Information(l);
        if (loader.Code != 0) throw new Exception("the loader benchmark failed");
        // The loader's best row for each pipeline against what the matching model consumes.
        double LoaderRate(string prefix) => loader.Output.Where(l => l.StartsWith(prefix))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(f => double.Parse(f[f.Length - 2].Replace(",", ""), inv)).DefaultIfEmpty(double.NaN).Max();
        foreach (var (pipeline, model) in new[] { ("CIFAR train: crop+flip+normalise", "resnet8x4"), ("CIFAR MLKD: weak + strong", "mlkd"), ("Fashion-MNIST: normalise", "fmnist_small_cnn"), ("Fashion-MNIST: normalise", "fmnist_mlp") })
            if (ours.ContainsKey(model))
            {
                var l = string.Format(inv, "loader {0} {1:N0} img/s ÷ {2} {3:F1} img/s = {4:F0}× (target ≥ 50×)", pipeline, LoaderRate(pipeline), model, Num(ours[model], "img_s"), LoaderRate(pipeline) / Num(ours[model], "img_s"));
                Information(l);
                lines.Add(l);
            }
    }

    var outDir = root.Combine("artifacts/bench");
    EnsureDirectoryExists(outDir);
    System.IO.File.WriteAllLines(outDir.CombineWithFilePath("steps.md").FullPath, md);
    System.IO.File.WriteAllLines(outDir.CombineWithFilePath("summary.txt").FullPath, lines);
    Information("==> summary (also in artifacts/bench/)");
    foreach (var l in lines) Information(l);
});

Task("BenchEpoch")
    .Description("One whole KD+LS distillation epoch, loader included, resnet32x4 → resnet8x4 on a synthetic CIFAR-100 binary file, against the PyTorch peer's same epoch (--images=N, default 1,280; --cached: also with the teacher cache warm, built first).")
    .Does(() =>
{
    int images = Argument("images", 1280);
    int threads = Argument("threads", System.Environment.ProcessorCount);
    bool cached = HasArgument("cached");
    var inv = System.Globalization.CultureInfo.InvariantCulture;
    DotNetBuild("Shell.CSharp/Shell.CSharp.csproj", new DotNetBuildSettings { Configuration = configuration, Verbosity = DotNetVerbosity.Quiet });
    var logitstd = $"Shell.CSharp/bin/{configuration}/net10.0/linux-x64/logitstd.dll";
    var peer = root.CombineWithFilePath("tools/bench/epoch_peer.py");
    var work = root.Combine("artifacts/bench/epoch");
    if (DirectoryExists(work)) DeleteDirectory(work, new DeleteDirectorySettings { Recursive = true, Force = true });
    EnsureDirectoryExists(work);
    var env = WaitPolicyEnvironment();
    var envLogitStd = new Dictionary<string, string>(env) { ["DOTNET_GCgen0size"] = "0x4000000" };
    var data = work.Combine("data");
    var teacher = work.CombineWithFilePath("teacher.pth");
    if (Run(python, $"\"{peer}\" --make-data \"{data}\" --train {images} --test 256 --write-teacher \"{teacher}\"") != 0)
        throw new Exception("epoch_peer.py could not write the synthetic data (is Debian's python3-torch installed? --python=PATH)");
    var b = Capture(python, $"\"{peer}\" --data-dir \"{data}\" --teacher \"{teacher}\" --threads {threads} --workers 1", env);
    if (b.Code != 0) throw new Exception($"epoch_peer.py exited with {b.Code}:\n{string.Join("\n", b.Output)}");
    var y = b.Output.Last(l => l.StartsWith("EPOCH side=pytorch ")).Split(' ').Skip(2).Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
    // LogitStd's epoch time is the metrics' epoch_seconds: the training epoch (loader included) and its evaluation, like the peer's.
    double EpochSeconds(string run) => double.Parse(System.IO.File.ReadLines(System.IO.Path.Combine(run, "metrics.csv")).Last().Split(',').Last(), inv);
    string Distill(string name, string extra)
    {
        var run = work.Combine(name).FullPath;
        var a = Capture("dotnet", $"{logitstd} distill --dataset cifar100 --data-dir \"{data}\" --teacher \"{teacher}\" --teacher-model resnet32x4 --model resnet8x4 --method kd --logit-stand --epochs 1 --batch-size 64 --lr 0.05 --threads {threads} --out \"{run}\"{extra}", envLogitStd);
        if (a.Code != 0) throw new Exception($"logitstd distill exited with {a.Code}:\n{string.Join("\n", a.Output)}");
        return run;
    }
    var lines = new List<string>();
    void Report(string label, string run)
    {
        double seconds = EpochSeconds(run), x = images / seconds;
        var l = string.Format(inv, "{0,-28} logitstd {1,8:F1} img/s ({2:F1} s)  pytorch {3,8:F1} img/s ({4} s, teacher online)  ratio {5,5:F2}", label, x, seconds, Num(y, "img_s"), y["seconds"], x / Num(y, "img_s"));
        Information(l);
        lines.Add(l);
    }
    Information($"==> one KD+LS epoch, {images} synthetic CIFAR-100 images (+256 test), batch 64, {threads} thread(s), 1 loader worker each");
    Report("epoch kd_ls (online)", Distill("online", ""));
    Report("epoch kd_ls (online, --channels-last)", Distill("online_cl", " --channels-last"));
    if (cached)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        if (Run("dotnet", $"{logitstd} teacher-cache build --teacher \"{teacher}\" --teacher-model resnet32x4 --dataset cifar100 --data-dir \"{data}\" --threads {threads} --cache-dir \"{work.Combine("cache")}\"", null, envLogitStd) != 0)
            throw new Exception("logitstd teacher-cache build failed");
        var l = string.Format(inv, "teacher cache built: {0} images × 162 views in {1:F0} s (once per teacher)", images, watch.Elapsed.TotalSeconds);
        Information(l);
        lines.Add(l);
        Report("epoch kd_ls (cache warm)", Distill("cached", $" --teacher-cache \"{work.Combine("cache")}\""));
    }
    System.IO.File.WriteAllLines(work.CombineWithFilePath("summary.txt").FullPath, lines);
});

// ---------------------------------------------------------------- execution
RunTarget(target);
if (testsRan)
{
    Console.WriteLine($"{testsPassed} passed, {testsFailed} failed, {testsSkipped} skipped");
    if (testsFailed > 0) System.Environment.Exit(1);
}
