// LogitStd build script.  dotnet tool restore && dotnet cake --target=<Target>
// Targets: Build, Data, ParityFixtures, Test (default), CheckReference.

// ---------------------------------------------------------------- arguments
var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");
var root = MakeAbsolute(Directory("."));
var dataDir = root.Combine("data");
var fashionDir = dataDir.Combine("fashion-mnist");
string[] fashionFiles = { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" };
string[] testProjects = { "tests/Core.Tests/Core.Tests.fsproj", "tests/Shell.Tests/Shell.Tests.fsproj", "tests/Models.Tests/Models.Tests.fsproj", "tests/Plots.Tests/Plots.Tests.fsproj", "tests/Data.Tests/Data.Tests.fsproj" };
var python = Argument("python", "/usr/bin/python3");
var generatedFixtures = root.Combine("tests/fixtures/generated");

int Run(string file, string args, DirectoryPath workdir = null, IDictionary<string, string> env = null)
{
    return StartProcess(file, new ProcessSettings { Arguments = args, WorkingDirectory = workdir ?? root, EnvironmentVariables = env });
}

// The Test target's tally, printed as the very last line: `N passed, M failed`.
int testsPassed = 0, testsFailed = 0;
bool testsRan = false;

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

// The large parity fixtures (PyTorch weights, input, logits); the small resnet8/resnet8x4 ones are committed.
int MakeParityFixtures()
{
    var script = root.CombineWithFilePath("tools/parity/make_parity.py");
    return Run(python, $"\"{script}\" --out \"{generatedFixtures}\" --models wrn_40_2,vgg13,MobileNetV2,ShuffleV2");
}

Task("ParityFixtures")
    .Description("Regenerates the parity fixtures of wrn_40_2, vgg13, MobileNetV2 and ShuffleV2 into tests/fixtures/generated with Debian's python3-torch.")
    .Does(() =>
{
    if (MakeParityFixtures() != 0)
        throw new Exception($"{python} tools/parity/make_parity.py failed: install Debian's python3-torch (or pass --python=PATH to an interpreter with torch)");
});

Task("Test")
    .Description("Builds everything and runs every test project as an executable (Expecto).")
    .IsDependentOn("Build")
    .IsDependentOn("Data")
    .Does(() =>
{
    testsRan = true;
    var tally = root.CombineWithFilePath("artifacts/test-tally.txt");
    EnsureDirectoryExists(tally.GetDirectory());
    if (FileExists(tally)) DeleteFile(tally);
    var env = new Dictionary<string, string> { ["LOGITSTD_TEST_TALLY"] = tally.FullPath };
    int TallyLines() => FileExists(tally) ? System.IO.File.ReadAllLines(tally.FullPath).Count(l => l.Trim().Length > 0) : 0;
    int crashed = 0;
    // The model parity tests skip (visibly) without the generated fixtures; make them when PyTorch is here.
    if (!FileExists(generatedFixtures.CombineWithFilePath("vgg13.pth")) && FileExists(python) && MakeParityFixtures() != 0)
        Warning("Parity fixtures could not be generated (no torch for {0}?); those parity tests will be skipped.", python);
    foreach (var p in testProjects)
    {
        Information($"==> {p}");
        var linesBefore = TallyLines();
        var code = Run("dotnet", $"run --no-build --project {p} -c {configuration} -- --fail-on-focused-tests --colours 0", env: env);
        if (code != 0) Error($"{p} exited with {code}");
        // A project that crashed before printing its summary counts as one failure.
        if (code != 0 && TallyLines() == linesBefore) crashed++;
    }
    if (FileExists(tally))
        foreach (var line in System.IO.File.ReadAllLines(tally.FullPath).Where(l => l.Trim().Length > 0))
        {
            var parts = line.Split(' ');
            testsPassed += int.Parse(parts[0]);
            testsFailed += int.Parse(parts[1]);
        }
    testsFailed += crashed;
    Information("==> logitstd check-reference (the official sample and the committed vectors)");
    var refs = new List<string> { "tests/reference/logitstd-reference.json" };
    if (FileExists("../shared/reference-sample.json")) refs.Insert(0, "../shared/reference-sample.json");
    var refCode = Run("dotnet", $"Shell.CSharp/bin/{configuration}/net10.0/linux-x64/logitstd.dll check-reference {string.Join(" ", refs)}");
    if (refCode == 0) testsPassed++; else testsFailed++;
});

// ---------------------------------------------------------------- execution
RunTarget(target);
if (testsRan)
{
    Console.WriteLine($"{testsPassed} passed, {testsFailed} failed");
    if (testsFailed > 0) System.Environment.Exit(1);
}
