// LogitStd build script.  dotnet tool restore && dotnet cake --target=<Target>
// Targets: Build, Data, Test (default), CheckReference.

// ---------------------------------------------------------------- arguments
var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");
var root = MakeAbsolute(Directory("."));
var dataDir = root.Combine("data");
var fashionDir = dataDir.Combine("fashion-mnist");
string[] fashionFiles = { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" };
string[] testProjects = { "tests/Core.Tests/Core.Tests.fsproj", "tests/Shell.Tests/Shell.Tests.fsproj", "tests/Data.Tests/Data.Tests.fsproj" };

int Run(string file, string args, DirectoryPath workdir = null)
{
    return StartProcess(file, new ProcessSettings { Arguments = args, WorkingDirectory = workdir ?? root });
}

// ---------------------------------------------------------------- tasks
Task("Build")
    .Description("Builds the solution (the native-library fix runs as a build step).")
    .Does(() =>
{
    DotNetBuild("LogitStd.sln", new DotNetBuildSettings { Configuration = configuration });
});

Task("Data")
    .Description("Fetches Fashion-MNIST into ./data/fashion-mnist without root (apt-get download + dpkg -x).")
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
    if (Run("apt-get", "download dataset-fashion-mnist", work) != 0)
        throw new Exception("apt-get download dataset-fashion-mnist failed. Put the four files " + string.Join(", ", fashionFiles) + $" into {fashionDir} by hand.");
    var deb = GetFiles(work.FullPath + "/dataset-fashion-mnist_*.deb").FirstOrDefault()
        ?? throw new Exception($"apt-get download produced no .deb in {work}");
    if (Run("dpkg", $"-x \"{deb.FullPath}\" \"{work.Combine("x").FullPath}\"") != 0)
        throw new Exception($"dpkg -x {deb} failed");
    var extracted = work.Combine("x/usr/share/datasets/fashion-mnist");
    foreach (var f in fashionFiles) CopyFile(extracted.CombineWithFilePath(f), fashionDir.CombineWithFilePath(f));
    DeleteDirectory(work, new DeleteDirectorySettings { Recursive = true, Force = true });
    Information($"Fashion-MNIST ready in {fashionDir}");
});

Task("Test")
    .Description("Builds everything and runs every test project as an executable (Expecto).")
    .IsDependentOn("Build")
    .IsDependentOn("Data")
    .Does(() =>
{
    var failures = new List<string>();
    foreach (var p in testProjects)
    {
        Information($"==> {p}");
        var code = Run("dotnet", $"run --no-build --project {p} -c {configuration} -- --fail-on-focused-tests --summary");
        if (code != 0) failures.Add($"{p} (exit {code})");
    }
    Information("==> logitstd check-reference (shared sample and committed vectors)");
    var refs = new List<string> { "tests/reference/logitstd-reference.json" };
    if (FileExists("../shared/reference-sample.json")) refs.Insert(0, "../shared/reference-sample.json");
    var refCode = Run("dotnet", $"Shell.CSharp/bin/{configuration}/net10.0/linux-x64/logitstd.dll check-reference {string.Join(" ", refs)}");
    if (refCode != 0) failures.Add($"check-reference (exit {refCode})");
    if (failures.Count > 0) throw new Exception("Failed: " + string.Join(", ", failures));
});

// ---------------------------------------------------------------- execution
RunTarget(target);
