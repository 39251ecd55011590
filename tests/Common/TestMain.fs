/// The entry point shared by the test executables: runs Expecto and ends with a plain
/// `N passed, M failed, K skipped` line (CI greps it), the skipped tests by name and a non-zero exit code on any failure.
module LogitStd.Tests.TestMain

open Expecto
open Expecto.Impl

let run (argv: string[]) (tests: Test) : int =
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
