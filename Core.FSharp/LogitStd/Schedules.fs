/// Pure schedules by epoch (epochs are counted from 1, as in mdistiller's trainer).
module LogitStd.Core.Schedules

/// mdistiller's multi-step LR: base · rate^(number of milestones strictly below the epoch),
/// so with milestones [150; 180; 210] epoch 150 still runs at the base rate and 151 at base·0.1.
let multiStepLr (baseLr: float) (milestones: int list) (rate: float) (epoch: int) : float =
    let steps = milestones |> List.filter (fun m -> epoch > m) |> List.length
    baseLr * (rate ** float steps)

/// DKD's warm-up factor min(epoch / warmup, 1), which scales only the DKD term.
let dkdWarmup (warmup: int) (epoch: int) : float =
    if warmup <= 0 then 1.0 else min (float epoch / float warmup) 1.0

/// CTKD's gradient-reversal strength: cosine from `maxValue` (0) to `minValue` (−1) over `loops` epochs:
/// (cos(π · min(epoch, loops) / loops) + 1) / 2 · (max − min) + min.
let ctkdLambdaWith (maxValue: float) (minValue: float) (loops: int) (epoch: int) : float =
    if loops <= 0 then invalidArg "loops" (sprintf "CTKD cosine loops must be positive, got %d" loops)
    let i = float (min epoch loops)
    (cos (System.Math.PI * i / float loops) + 1.0) * 0.5 * (maxValue - minValue) + minValue

/// CTKD's λ with the paper's defaults: 0 → −1 over 10 epochs.
let ctkdLambda (epoch: int) : float = ctkdLambdaWith 0.0 -1.0 10 epoch
