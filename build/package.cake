// Issue 23's Cake tasks, loaded by build.cake (#load): the two packages and the proof from outside.
//   Pack     writes LogitStd (the library) and LogitStd.Cli (the .NET tool) into artifacts/packages/.
//   Samples  uses them as a stranger would: samples/ (outside the repository's Directory.Build.* files,
//            its own nuget.config) builds and runs the C# console app and the F# script from the packages,
//            then installs the tool into a private tool path and runs `logitstd models` and a one-epoch
//            `distill`. .ci/run calls it after Test.
// (#load puts this file before build.cake's own variables are set: paths are methods, evaluated when a task runs.)
DirectoryPath PackagesDir() => root.Combine("artifacts/packages");
DirectoryPath SamplesWork() => root.Combine("artifacts/samples");

/// The NuGet global packages folder (where restore extracts packages).
DirectoryPath GlobalPackages()
{
    StartProcess("dotnet", new ProcessSettings { Arguments = "nuget locals global-packages --list", RedirectStandardOutput = true }, out var lines);
    return new DirectoryPath(lines.Select(l => l.Trim()).First(l => l.StartsWith("global-packages:")).Substring("global-packages:".Length).Trim());
}

Task("Pack")
    .Description("Packs the library (LogitStd) and the tool (LogitStd.Cli) into artifacts/packages/, deterministic, with symbols.")
    .Does(() =>
{
    EnsureDirectoryExists(PackagesDir());
    CleanDirectory(PackagesDir());
    // ContinuousIntegrationBuild: deterministic paths in the pdbs (/_/...), as SourceLink expects.
    var settings = new DotNetPackSettings { Configuration = configuration, OutputDirectory = PackagesDir(),
        MSBuildSettings = new DotNetMSBuildSettings().WithProperty("ContinuousIntegrationBuild", "true") };
    DotNetPack("Core.FSharp/LogitStd/LogitStd.fsproj", settings);
    DotNetPack("Shell.CSharp/Shell.CSharp.csproj", settings);
    foreach (var p in GetFiles(PackagesDir().FullPath + "/*.*nupkg"))
        Information("{0,-40} {1,8:F1} MiB", p.GetFilename(), new System.IO.FileInfo(p.FullPath).Length / 1048576.0);
});

Task("Samples")
    .Description("Builds and runs samples/ (C# app, F# script) from the packages alone, then installs the tool into a private path and runs it.")
    .IsDependentOn("Pack")
    .IsDependentOn("Data")
    .Does(() =>
{
    var samples = root.Combine("samples");
    // The version does not change between packs: drop what an earlier restore extracted, so that the
    // samples get the package just packed (and F# Interactive resolves it again, not from its cache).
    foreach (var id in new[] { "logitstd", "logitstd.cli" })
        if (DirectoryExists(GlobalPackages().Combine(id))) DeleteDirectory(GlobalPackages().Combine(id), new DeleteDirectorySettings { Recursive = true });
    var fsiCache = new DirectoryPath(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile)).Combine(".packagemanagement/nuget/Cache");
    if (DirectoryExists(fsiCache))
        foreach (var f in System.IO.Directory.GetFiles(fsiCache.FullPath))
            if (System.IO.File.ReadAllText(f).Contains("LogitStd", StringComparison.OrdinalIgnoreCase)) System.IO.File.Delete(f);

    // C#: a console project with PackageReference LogitStd + libtorch-cpu-linux-x64, nothing else.
    var consumer = samples.Combine("Consumer");
    foreach (var d in new[] { "bin", "obj" })
        if (DirectoryExists(consumer.Combine(d))) DeleteDirectory(consumer.Combine(d), new DeleteDirectorySettings { Recursive = true });
    if (Run("dotnet", $"build -c {configuration}", consumer) != 0) throw new Exception("samples/Consumer: build failed");
    if (Run("dotnet", $"run --no-build -c {configuration} -- \"{fashionDir}\"", consumer) != 0) throw new Exception("samples/Consumer: run failed");

    // F#: a script with #r "nuget: LogitStd". F# Interactive leaves out the packages' MSBuild files, so
    // on a libstdc++ without GLIBCXX_3.4.32 (Debian 12) it is given the copy the package's
    // buildTransitive fix patched in the C# sample's output (see the script's comment).
    var patched = consumer.CombineWithFilePath($"bin/{configuration}/net10.0/runtimes/linux-x64/native/libLibTorchSharp.so");
    var fsiEnv = new Dictionary<string, string> { ["LOGITSTD_LIBTORCHSHARP"] = SystemHasGlibcxx332() ? "" : patched.FullPath };
    if (Run("dotnet", $"fsi distill.fsx \"{fashionDir}\"", samples, fsiEnv) != 0) throw new Exception("samples/distill.fsx failed");

    // The tool, installed from the packed folder into a private tool path (no global state touched).
    var work = SamplesWork();
    if (DirectoryExists(work)) DeleteDirectory(work, new DeleteDirectorySettings { Recursive = true });
    var tools = work.Combine("tools");
    if (Run("dotnet", $"tool install LogitStd.Cli --tool-path \"{tools}\" --add-source \"{PackagesDir()}\" --version 0.1.0", samples) != 0)
        throw new Exception("dotnet tool install LogitStd.Cli failed");
    var logitstd = tools.CombineWithFilePath("logitstd").FullPath;
    if (Run(logitstd, "models", work) != 0) throw new Exception("logitstd models failed");
    var common = $"--dataset fashion-mnist --data-dir \"{fashionDir}\" --epochs 1 --train-subset 6000 --batch-size 128";
    if (Run(logitstd, $"train --model fmnist_mlp {common} --out teacher", work) != 0) throw new Exception("logitstd train (the teacher) failed");
    if (Run(logitstd, $"distill --model fmnist_mlp --teacher teacher/checkpoints/best.ckpt --method dkd --logit-stand {common} --out dkd_ls", work) != 0)
        throw new Exception("logitstd distill failed");
    Information("Samples: the C# app, the F# script and the tool ran from artifacts/packages/");
});

/// Whether the system libstdc++ has the symbol version TorchSharp 0.107's native library asks for
/// (then nothing needs patching: Ubuntu 24.04, Debian 13).
bool SystemHasGlibcxx332()
{
    foreach (var lib in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" })
        if (System.IO.File.Exists(lib) && System.Text.Encoding.ASCII.GetString(System.IO.File.ReadAllBytes(lib)).Contains("GLIBCXX_3.4.32")) return true;
    return false;
}
