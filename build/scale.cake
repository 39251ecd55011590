// Issue 13's Cake tasks, loaded by build.cake (#load): the libtorch build modes (build/LibTorch.props),
// the self-contained bundle, the GPU check's CPU half, sweeps on a real Slurm.
// .ci/run calls them after Test: tools/slurm/setup.sh, then --target=Scale.
// (#load puts this file before build.cake's own variables are set: paths are methods, evaluated when a task runs.)
const string bundleName = "logitstd-linux-x64";
DirectoryPath PublishDir() => root.Combine("artifacts/publish");
FilePath BundleFile() => PublishDir().CombineWithFilePath(bundleName + ".tar.gz");
FilePath SystemDll() => root.CombineWithFilePath($"artifacts/system/bin/Shell.CSharp/{configuration}/net10.0/linux-x64/logitstd.dll");

/// The native folder of the libtorch-cpu-linux-x64 package in the NuGet cache (what CI puts on LD_LIBRARY_PATH for system mode).
string NuGetLibTorch()
{
    StartProcess("dotnet", new ProcessSettings { Arguments = "nuget locals global-packages --list", RedirectStandardOutput = true }, out var lines);
    var cache = lines.Select(l => l.Trim()).First(l => l.StartsWith("global-packages:")).Substring("global-packages:".Length).Trim();
    var dir = System.IO.Path.Combine(cache, "libtorch-cpu-linux-x64", "2.10.0", "runtimes", "linux-x64", "native");
    if (!System.IO.File.Exists(System.IO.Path.Combine(dir, "libtorch_cpu.so")))
        throw new Exception($"no libtorch_cpu.so in {dir}: restore the default build first (dotnet cake --target=Build)");
    return dir;
}

(int Code, List<string> Output) CaptureAll(string file, string args, IDictionary<string, string> env = null)
{
    var code = StartProcess(file, new ProcessSettings { Arguments = args, WorkingDirectory = root, EnvironmentVariables = env, RedirectStandardOutput = true, RedirectStandardError = true }, out var lines, out var errors);
    return (code, lines.Concat(errors).ToList());
}

Task("SystemCheck")
    .Description("Builds the system-libtorch mode into artifacts/system and runs info + check-reference against the NuGet cache's libtorch-cpu on LD_LIBRARY_PATH.")
    .Does(() =>
{
    DotNetBuild("Shell.CSharp/Shell.CSharp.csproj", new DotNetBuildSettings { Configuration = configuration, MSBuildSettings = new DotNetMSBuildSettings().WithProperty("LibTorch", "system") });
    // TorchSharp's loader copies a cached libtorch-cpu into <app>/cpu when the regular load fails; never let an old copy stand in.
    var consolidated = SystemDll().GetDirectory().Combine("cpu");
    if (DirectoryExists(consolidated)) DeleteDirectory(consolidated, new DeleteDirectorySettings { Recursive = true, Force = true });
    var bare = CaptureAll("dotnet", $"\"{SystemDll()}\" info", new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = "" });
    if (bare.Code != 1 || !bare.Output.Any(l => l.Contains("libtorch_cpu.so is not on the loader's search path")))
        throw new Exception($"system mode without LD_LIBRARY_PATH: expected exit 1 and the search-path message, got {bare.Code}:\n{string.Join("\n", bare.Output)}");
    var lib = NuGetLibTorch();
    var env = new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = lib };
    var info = CaptureAll("dotnet", $"\"{SystemDll()}\" info", env);
    foreach (var l in info.Output) Information(l);
    if (info.Code != 0) throw new Exception("logitstd info (system mode) failed");
    if (!info.Output.Any(l => l.Contains("libtorch_cpu.so") && l.Contains(lib + "/libtorch_cpu.so")))
        throw new Exception($"system mode did not load libtorch_cpu.so from LD_LIBRARY_PATH={lib}");
    var check = CaptureAll("dotnet", $"\"{SystemDll()}\" check-reference tests/reference/logitstd-reference.json", env);
    foreach (var l in check.Output.TakeLast(2)) Information(l);
    if (check.Code != 0) throw new Exception("check-reference (system mode) failed");
    Information("system mode: builds, refuses to run without a libtorch on the search path, and runs against " + lib);
});

Task("Publish")
    .Description("Self-contained linux-x64 bundle without libtorch (system mode): artifacts/publish/logitstd-linux-x64.tar.gz, at most 45 MiB; checked to run where no dotnet is installed.")
    .Does(() =>
{
    var dir = PublishDir().Combine(bundleName);
    if (DirectoryExists(dir)) DeleteDirectory(dir, new DeleteDirectorySettings { Recursive = true, Force = true });
    DotNetPublish("Shell.CSharp/Shell.CSharp.csproj", new DotNetPublishSettings
    {
        Configuration = configuration, Runtime = "linux-x64", SelfContained = true, OutputDirectory = dir,
        MSBuildSettings = new DotNetMSBuildSettings().WithProperty("LibTorch", "system").WithProperty("DebugType", "none")
            .WithProperty("GenerateDocumentationFile", "false"),
    });
    // Trimmed by hand, only what a run never loads: the crash-dump tool, the debugger's access libraries,
    // LTTng tracing, the two alternative GCs. (IL trimming is not safe here: Argu, FSharp.Core and
    // TorchSharp.PyBridge use reflection.)
    foreach (var f in new[] { "createdump", "libmscordaccore.so", "libmscordbi.so", "libcoreclrtraceptprovider.so", "libclrgc.so", "libclrgcexp.so" })
        if (FileExists(dir.CombineWithFilePath(f))) DeleteFile(dir.CombineWithFilePath(f));
    foreach (var f in GetFiles(dir.FullPath + "/*.xml")) DeleteFile(f);
    // ONNX Runtime's natives (29 MiB, and a Windows onnxruntime.dll that linux-x64 never loads) would
    // push the bundle over its 45 MiB: the bundle trains, evaluates and exports; `predict --onnx` in it
    // says that ONNX Runtime is not there (predict --model/--weights works).
    foreach (var f in GetFiles(dir.FullPath + "/onnxruntime.dll").Concat(GetFiles(dir.FullPath + "/libonnxruntime*.so"))) DeleteFile(f);
    if (GetFiles(dir.FullPath + "/libtorch*.so").Any()) throw new Exception($"{dir} holds a libtorch: the bundle must not carry one");
    // The GLIBCXX fix must have reached the published copy: on Debian 12 it loads only with the weak requirement.
    var lts = dir.CombineWithFilePath("libLibTorchSharp.so");
    if (!FileExists(lts)) throw new Exception($"{lts} missing from the bundle");
    if (FileExists(BundleFile())) DeleteFile(BundleFile());
    if (Run("tar", $"-I \"gzip -9\" -cf \"{BundleFile()}\" -C \"{PublishDir()}\" {bundleName}") != 0) throw new Exception("tar failed");
    var mib = new System.IO.FileInfo(BundleFile().FullPath).Length / 1048576.0;
    Information($"bundle {BundleFile()}: {mib:F1} MiB ({System.IO.Directory.GetFiles(dir.FullPath).Length} files, {System.IO.Directory.GetFiles(dir.FullPath).Sum(f => new System.IO.FileInfo(f).Length) / 1048576.0:F1} MiB unpacked)");
    if (mib > 45) throw new Exception($"the bundle is {mib:F1} MiB, over the 45 MiB limit");
    // Where no dotnet is installed: hide the SDK and runtime (a private mount namespace, root only) and run the apphost.
    var lib = NuGetLibTorch();
    var probe = $"mount -t tmpfs none /usr/share/dotnet && ! command -v dotnet && env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH={lib} {dir}/logitstd info";
    var hidden = CaptureAll("unshare", $"-m sh -c \"{probe}\"");
    if (hidden.Code != 0)
    {
        Warning("could not hide the dotnet install (needs root and unshare); running the bundle with a clean environment instead");
        hidden = CaptureAll("env", $"-i PATH=/usr/bin:/bin DOTNET_ROOT=/nonexistent LD_LIBRARY_PATH={lib} {dir}/logitstd info");
    }
    if (hidden.Code != 0) throw new Exception($"the bundle's logitstd info failed:\n{string.Join("\n", hidden.Output)}");
    if (!hidden.Output.Any(l => l.Contains("self-contained"))) throw new Exception("the bundle did not run on its own runtime:\n" + string.Join("\n", hidden.Output));
    Information("the bundle runs without a dotnet install (self-contained runtime) against " + lib);
});

Task("DeviceCheckCpu")
    .Description("tools/device/check.sh --cpu-only against the bundle, with the NuGet cache's libtorch-cpu as 'this machine's libtorch' (the GPU half needs a GPU: docs/gpu.md).")
    .IsDependentOn("Publish")
    .Does(() =>
{
    var work = root.Combine("artifacts/device-check");
    if (DirectoryExists(work)) DeleteDirectory(work, new DeleteDirectorySettings { Recursive = true, Force = true });
    var watch = System.Diagnostics.Stopwatch.StartNew();
    if (Run("bash", $"tools/device/check.sh --cpu-only --steps 2 --libtorch \"{NuGetLibTorch()}\" --work \"{work}\"") != 0)
        throw new Exception("tools/device/check.sh --cpu-only failed");
    Information($"device check, CPU half: {watch.Elapsed.TotalSeconds:F0} s");
});

Task("SlurmTest")
    .Description("A 2-config × 2-seed sweep on the local Slurm (tools/slurm/setup.sh) with one task requeued mid-run, against the same sweep run locally: identical results.")
    .IsDependentOn("Build")
    .IsDependentOn("Data")
    .Does(() =>
{
    if (Run("sh", "-c \"command -v sbatch >/dev/null && sinfo -h >/dev/null\"") != 0)
        throw new Exception("no working Slurm here: run tools/slurm/setup.sh (as root) first");
    var watch = System.Diagnostics.Stopwatch.StartNew();
    var baseDir = root.Combine("artifacts/slurm-test");
    if (DirectoryExists(baseDir)) DeleteDirectory(baseDir, new DeleteDirectorySettings { Recursive = true, Force = true });
    var configs = "configs/fashion-mnist/vanilla/fmnist_mlp.yaml configs/fashion-mnist/vanilla/fmnist_small_cnn.yaml";
    // Two epochs so that the requeued run has a checkpoint to resume from.
    var flags = "-- --epochs 2 --train-subset 500 --threads 1";
    LogitstdOrFail($"sweep --configs {configs} --seeds 2 --out {baseDir}/local --max-parallel 2 {flags}");
    var localSeconds = watch.Elapsed.TotalSeconds;
    var slurmOut = baseDir.Combine("slurm");
    var sweep = StartAndReturnProcess("dotnet", new ProcessSettings { Arguments = $"\"{logitstdDll}\" sweep --configs {configs} --seeds 2 --out {slurmOut} --scheduler slurm --max-parallel 2 --wait {flags}", WorkingDirectory = root });
    // The victim: fmnist_small_cnn-s1 (array index 3), requeued once its first epoch's checkpoint exists.
    var victim = slurmOut.Combine("fmnist_small_cnn-s1");
    var deadline = DateTime.UtcNow.AddMinutes(5);
    string requeued = null;
    try
    {
    while (requeued == null && DateTime.UtcNow < deadline)
    {
        System.Threading.Thread.Sleep(50);
        if (!System.IO.File.Exists(System.IO.Path.Combine(victim.FullPath, "checkpoints", "latest.ckpt"))) continue;
        var log = System.IO.Directory.Exists(slurmOut.Combine("sweep/logs").FullPath)
            ? System.IO.Directory.GetFiles(slurmOut.Combine("sweep/logs").FullPath, "*_3.log").FirstOrDefault() : null;
        if (log == null) continue;
        var task = System.IO.Path.GetFileNameWithoutExtension(log); // JOB_3
        var victimSummary = System.IO.Path.Combine(victim.FullPath, "summary.json"); // written just after the checkpoint
        if (System.IO.File.Exists(victimSummary) && System.IO.File.ReadAllText(victimSummary).Contains("\"finished\": true"))
            throw new Exception($"{victim} finished before it could be requeued: the test did not exercise a requeue (machine too fast for 2 epochs?)");
        if (Run("scontrol", $"requeue {task}") != 0) throw new Exception($"scontrol requeue {task} failed");
        // It starts again once its old credential has expired (tools/slurm/setup.sh: cred_expire=20 s).
        requeued = log;
        Information($"requeued array task {task} after its first epoch ({victim})");
    }
    if (requeued == null) throw new Exception("the victim run never reached its first checkpoint within 5 minutes");
    }
    catch
    {
        // Leave no job behind: cancel the array and stop the waiting sweep.
        Run("scancel", "--name=logitstd-sweep");
        sweep.Kill();
        throw;
    }
    sweep.WaitForExit();
    if (sweep.GetExitCode() != 0) throw new Exception($"the Slurm sweep exited with {sweep.GetExitCode()}");
    var taskLog = System.IO.File.ReadAllText(requeued);
    if (!taskLog.Contains("start 1") || !taskLog.Contains("resuming from"))
        throw new Exception($"the requeued task did not restart and resume ({requeued}):\n{taskLog}");
    // Identical results: every run's summary numbers and per-epoch metrics, and the results table.
    foreach (var run in new[] { "fmnist_mlp-s0", "fmnist_mlp-s1", "fmnist_small_cnn-s0", "fmnist_small_cnn-s1" })
    {
        string Numbers(string dir)
        {
            var doc = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllText(System.IO.Path.Combine(dir, "summary.json"))).RootElement;
            var metrics = System.IO.File.ReadAllLines(System.IO.Path.Combine(dir, "metrics.csv"))
                .Select(l => string.Join(",", l.Split(',').Take(8))); // every column but CTKD's temperature and the epoch's seconds
            return $"best {doc.GetProperty("best_top1")} final {doc.GetProperty("final_top1")}/{doc.GetProperty("final_top5")}\n{string.Join("\n", metrics)}";
        }
        var a = Numbers($"{baseDir}/local/{run}");
        var b = Numbers($"{slurmOut}/{run}");
        if (a != b) throw new Exception($"{run}: Slurm and local runs differ:\nlocal:\n{a}\nslurm:\n{b}");
    }
    var tables = new[] { "local", "slurm" }.Select(d => CaptureAll("dotnet", $"\"{logitstdDll}\" results {baseDir}/{d}").Output).ToList();
    if (!tables[0].SequenceEqual(tables[1])) throw new Exception("the results tables of the Slurm and the local sweep differ");
    Information(string.Join("\n", tables[1]));
    Information($"Slurm test passed in {watch.Elapsed.TotalSeconds:F0} s (local sweep {localSeconds:F0} s): requeued task resumed, results identical to the local sweep");
});

Task("Scale")
    .Description("Issue 13's CI checks: SystemCheck, Publish + DeviceCheckCpu, SlurmTest (run tools/slurm/setup.sh first).")
    .IsDependentOn("SystemCheck")
    .IsDependentOn("DeviceCheckCpu")
    .IsDependentOn("SlurmTest");
