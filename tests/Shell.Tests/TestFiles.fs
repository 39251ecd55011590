/// In-process command runs and a small generated dataset, for the shell tests (paths and temporary
/// folders come from tests/Common).
module LogitStd.Shell.Tests.TestFiles

open System
open System.IO

/// Runs a command of the program in-process, capturing stdout and stderr; its exit code as the program
/// gives it (ExitCodes: what the command throws, mapped in one place).
let runCommand (f: TextWriter -> TextWriter -> int) : int * string * string =
    use out = new StringWriter()
    use err = new StringWriter()
    let code = LogitStd.Shell.ExitCodes.Run((fun () -> f out err), err)
    code, out.ToString(), err.ToString()

/// A small Fashion-MNIST-format dataset (tests/Common), for the shell tests.
let writeTinyFashionMnist = LogitStd.Tests.TinyData.writeTinyFashionMnist
