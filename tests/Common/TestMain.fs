/// The entry point shared by the test executables: runs Expecto and ends with a plain
/// `N passed, M failed, K skipped` line (CI greps it), the skipped tests by name and a non-zero exit code on any failure.
module LogitStd.Tests.TestMain

open Expecto
open Expecto.Impl

/// The flag of the Cake target Test.Fast: run only the tests a project declares fast (`runSplit`).
/// A project that declares no slow tests runs everything with it.
let fastFlag = "--fast"

let run (argv: string[]) (tests: Test) : int =
    let argv = argv |> Array.filter ((<>) fastFlag)
    let baseline = defaultConfig.printer
    let printer =
        { baseline with
            summary =
                fun config summary ->
                    async {
                        do! baseline.summary config summary
                        let failed = summary.failed.Length + summary.errored.Length
                        let skipped = summary.ignored.Length
                        printfn "%d passed, %d failed, %d skipped" summary.passed.Length failed skipped
                        for (t, _) in summary.ignored do printfn "skipped: %s" (String.concat "." t.name)
                        // The Cake Test target sums every project's counts into one final line.
                        match System.Environment.GetEnvironmentVariable "LOGITSTD_TEST_TALLY" with
                        | null | "" -> ()
                        | path -> System.IO.File.AppendAllText(path, sprintf "%d %d %d\n" summary.passed.Length failed skipped)
                    } }
    runTestsWithCLIArgs [ CLIArguments.Printer printer ] argv tests

/// A project's tests in two parts: `fast` (the math, the parsers, the commands in-process, the file
/// formats: the inner loop, `dotnet cake --target=Test.Fast`) and `slow` (trainings, child processes,
/// whole-zoo checks), both under one list made by `list` (e.g. `testList "Shell"`), so every test keeps
/// its full name. With `--fast` only the fast part runs; without it, both (the Test target, CI).
let runSplit (argv: string[]) (list: Test list -> Test) (fast: Test list) (slow: Test list) : int =
    run argv (list (if Array.contains fastFlag argv then fast else fast @ slow))
