namespace LogitStd.Core

open System
open System.Collections.Generic
open TorchSharp

/// The host values of a `LossResult`, read in one transfer: for logging and printing.
[<Sealed>]
type LossValues internal (total: float, terms: IReadOnlyList<KeyValuePair<string, float>>) =
    /// The sum of the terms.
    member _.Total = total
    /// Each named, weighted term in the objective's order.
    member _.Terms = terms
    /// `total 1.234 = ce 0.234 + kd 1.000`, with the values in the invariant culture.
    override _.ToString() =
        let parts = terms |> Seq.map (fun kv -> String.Format(Globalization.CultureInfo.InvariantCulture, "{0} {1:G6}", kv.Key, kv.Value))
        String.Format(Globalization.CultureInfo.InvariantCulture, "total {0:G6} = {1}", total, String.Join(" + ", parts))

/// An objective's value for one batch: `Total`, the scalar to call `backward` on, and each named,
/// already-weighted term in the objective's order (mdistiller's loss dictionary), so a training loop
/// can log every term. The result owns these tensors: dispose it, or let the dispose scope that was
/// open when it was made release them (`torch.NewDisposeScope()` per step).
[<Sealed>]
type LossResult internal (total: torch.Tensor, terms: IReadOnlyList<KeyValuePair<string, torch.Tensor>>) =
    /// The sum of the terms, a scalar tensor with the student's dtype and device.
    member _.Total = total
    /// Each named, weighted term (scalar tensors) in the objective's order.
    member _.Terms = terms
    /// The term of that name; a KeyNotFoundException lists the names there are.
    member _.Item
        with get (name: string) : torch.Tensor =
            match terms |> Seq.tryFind (fun kv -> kv.Key = name) with
            | Some kv -> kv.Value
            | None ->
                let names = terms |> Seq.map (fun kv -> kv.Key)
                raise (KeyNotFoundException(sprintf "the objective has no term '%s'; its terms are %s" name (String.Join(", ", names))))
    /// Copies the total and the terms to the host in one transfer (a single device synchronisation).
    member _.ReadValues() : LossValues =
        use scope = torch.NewDisposeScope()
        let all = Seq.append [ total ] (terms |> Seq.map (fun kv -> kv.Value))
                  |> Seq.map (fun t -> t.detach().reshape([||]).to_type(torch.float64))
                  |> Array.ofSeq
        let host = torch.stack(all).cpu().data<float>().ToArray()
        let named = terms |> Seq.mapi (fun i kv -> KeyValuePair(kv.Key, host.[i + 1])) |> Array.ofSeq
        LossValues(host.[0], named)
    override this.ToString() = this.ReadValues().ToString()
    /// Disposes the total and every term (a tensor shared by both is disposed once).
    interface IDisposable with
        member _.Dispose() =
            for kv in terms do
                if not (obj.ReferenceEquals(kv.Value, total)) then kv.Value.Dispose()
            total.Dispose()
