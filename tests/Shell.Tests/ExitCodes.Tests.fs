/// Exit codes are decided in one place (`ExitCodes`) from what a command throws: usage → 2, a file or
/// the machine at fault → 1, interrupted → 130, anything else — an ArgumentException included — a defect, 70.
/// Commands return 0 or throw; the sources are checked for any other return.
module LogitStd.Shell.Tests.ExitCodesTests

open System
open System.IO
open System.Text.RegularExpressions
open Expecto
open LogitStd.Shell

let private codeOf (e: exn) =
    use err = new StringWriter()
    let code = ExitCodes.Run((fun () -> raise e), err)
    code, err.ToString()

let tests =
    testList "exit codes" [
        testCase "usage is 2, one error line per problem" <| fun () ->
            let code, err = codeOf (UsageException([ "train: first"; "train: second" ] :> Collections.Generic.IReadOnlyList<string>))
            Expect.equal code 2 err
            Expect.equal (err.Split('\n', StringSplitOptions.RemoveEmptyEntries) |> Array.map (fun l -> l.Trim())) [| "error: train: first"; "error: train: second" |] "each problem on its own error: line"
            Expect.equal (fst (codeOf (LogitStd.Shell.Models.UnknownModelException("resnet9", [ "resnet8" ])))) 2 "an unknown model is the command line's fault"
            Expect.equal (fst (codeOf (LogitStd.Shell.Runs.RunOutputException "--out x is a file"))) 2 "an --out that is not a run folder"

        testCase "a file or the machine at fault is 1, naming the file" <| fun () ->
            let code, err = codeOf (OutputWriteException("/r/run.json", IOException "No space left on device"))
            Expect.equal code 1 err
            Expect.stringContains err "error: cannot write /r/run.json: No space left on device" "the file and the cause"
            Expect.equal (fst (codeOf (MissingFileException("teacher checkpoint", "/t.ckpt")))) 1 "a missing file"
            Expect.equal (fst (codeOf (LogitStd.Shell.Runs.RunFolderException("/r/run.json", Nullable(), "not valid JSON")))) 1 "a damaged run-folder file"
            Expect.equal (fst (codeOf (UnauthorizedAccessException "Access to the path '/x' is denied."))) 1 "an unanticipated refusal of the machine"
            Expect.equal (fst (codeOf (LogitStd.Shell.Training.TrainingDivergedException "loss not finite at epoch 1, step 3"))) 1 "a diverged run"

        testCase "an ArgumentException is a defect (70), with its trace, never a usage error" <| fun () ->
            let code, err = codeOf (ArgumentException("logits must be [N, K]", "logits"))
            Expect.equal code 70 err
            Expect.stringContains err "error: internal error (ArgumentException): logits must be [N, K]" "says it is internal"
            Expect.stringContains err "This is a LogitStd defect" "and asks for a report"
            Expect.equal (fst (codeOf (InvalidOperationException "unreachable"))) 70 "anything else too"

        testCase "an interrupted run is 130, its message as it is" <| fun () ->
            let code, err = codeOf (RunInterruptedException "train: interrupted during epoch 2; continue with: logitstd train --resume r")
            Expect.equal code 130 err
            Expect.equal (err.Trim()) "train: interrupted during epoch 2; continue with: logitstd train --resume r" "no error: prefix: the run is resumable"

        testCase "commands return 0 or throw: no other exit code is returned in Cli/ or Sweep/" <| fun () ->
            let returnsCode = Regex(@"\breturn\s+(?:[1-9]\d*|Fail\s*\()")
            let offending =
                [ for room in [ "Cli"; "Sweep" ] do
                      for file in Directory.EnumerateFiles(repoFile ("Shell.CSharp/" + room), "*.cs") do
                          let lines = File.ReadAllLines file
                          for i in 0 .. lines.Length - 1 do
                              if returnsCode.IsMatch lines.[i] && not (lines.[i].TrimStart().StartsWith "//") then
                                  sprintf "%s:%d: %s" (Path.GetRelativePath(repoRoot, file)) (i + 1) (lines.[i].Trim()) ]
            Expect.isEmpty offending "a command that returns a code other than 0 decides its exit code itself"
            Expect.isTrue (returnsCode.IsMatch "        return Fail(2, \"x\");") "the check finds such a return (it can fail)"
            Expect.isTrue (returnsCode.IsMatch "            return 1;") "and a bare code"
            Expect.isFalse (returnsCode.IsMatch "        return 0;") "0 is a command's own answer"
    ]
