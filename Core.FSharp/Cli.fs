/// The `logitstd` command line, parsed with Argu. Pure: parsing returns a typed command or an
/// error text; the shell prints and exits. `--help` is available on every command.
module LogitStd.Core.Cli

open Argu

type CheckReferenceArgs =
    | [<MainCommand; Mandatory; Last>] Files of file: string list
    | Write_Actual of path: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Files _ -> "reference-vector files (format logitstd-reference/1) to recompute and compare."
            | Write_Actual _ -> "write the same cases with LogitStd's own values in place of `expected` to this JSON file."

[<RequireSubcommand>]
type Command =
    | [<CliPrefix(CliPrefix.None)>] Check_Reference of ParseResults<CheckReferenceArgs>
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Check_Reference _ -> "recompute reference vectors (loss values and gradients) and report mismatches."

/// A parsed command line.
type Parsed =
    | CheckReference of files: string list * writeActual: string option

/// The outcome of parsing: a command, a help text (exit 0), or an error with usage (exit 2).
type ParseOutcome =
    | Run of Parsed
    | Help of text: string
    | Error of text: string

let private parser = lazy (ArgumentParser.Create<Command>(programName = "logitstd"))

/// Parses the program's arguments.
let parse (argv: string[]) : ParseOutcome =
    try
        let r = parser.Value.ParseCommandLine(argv, raiseOnUsage = true)
        match r.GetSubCommand() with
        | Check_Reference a -> Run(CheckReference(a.GetResult Files, a.TryGetResult Write_Actual))
    with
    | :? ArguParseException as e when e.ErrorCode = ErrorCode.HelpText -> Help e.Message
    | :? ArguParseException as e -> Error e.Message
