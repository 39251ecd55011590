/// Summary statistics for results over seeds: mean, sample std, and the paired difference with a
/// Student-t 95% interval (pure).
module LogitStd.Core.Stats

/// Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom.
let private t975 =
    [| 12.706; 4.303; 3.182; 2.776; 2.571; 2.447; 2.365; 2.306; 2.262; 2.228
       2.201; 2.179; 2.160; 2.145; 2.131; 2.120; 2.110; 2.101; 2.093; 2.086
       2.080; 2.074; 2.069; 2.064; 2.060; 2.056; 2.052; 2.048; 2.045; 2.042 |]

/// The 97.5% quantile of Student's t with `df` degrees of freedom (1.96 beyond 120).
let tQuantile975 (df: int) : float =
    if df < 1 then invalidArg "df" (sprintf "degrees of freedom must be >= 1, got %d" df)
    elif df <= 30 then t975.[df - 1]
    elif df <= 40 then 2.021
    elif df <= 60 then 2.000
    elif df <= 120 then 1.980
    else 1.960

let mean (xs: float list) : float =
    match xs with
    | [] -> invalidArg "xs" "mean of no values"
    | _ -> List.average xs

/// The sample standard deviation (n − 1), in two passes (the mean first: no cancellation for large
/// values); 0 for a single value. The one definition every table, figure and analysis file uses.
let sampleStd (xs: float list) : float =
    match xs with
    | [] -> invalidArg "xs" "std of no values"
    | [ _ ] -> 0.0
    | _ ->
        let m = mean xs
        sqrt ((xs |> List.sumBy (fun x -> (x - m) * (x - m))) / float (List.length xs - 1))

/// A mean with its 95% interval half-width.
type Interval = { Mean: float; HalfWidth: float; Count: int }

/// The paired difference ys − xs (matched pairs, e.g. the same seed with and without LS) with a
/// t-based 95% interval; the half-width is NaN for a single pair.
let pairedDifference (pairs: (float * float) list) : Interval =
    let d = pairs |> List.map (fun (x, y) -> y - x)
    let n = List.length d
    if n = 0 then invalidArg "pairs" "no pairs"
    let half = if n < 2 then nan else tQuantile975 (n - 1) * sampleStd d / sqrt (float n)
    { Mean = mean d; HalfWidth = half; Count = n }
