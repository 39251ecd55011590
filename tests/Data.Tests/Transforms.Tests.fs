/// Transforms as specifications: shapes, the crop is a shift of the zero-padded image, flips happen
/// half the time, normalisation gives torchvision's values, RandAugment ops do what they say.
module LogitStd.Data.Tests.TransformsTests

open System
open Expecto
open LogitStd.Shell.Data
open LogitStd.Data.Tests.TestFiles

let private image c h w seed = ImageView(ReadOnlyMemory<byte>(bytes seed (c * h * w)), c, h, w)

let private apply (t: IImageTransform) (img: ImageView) (seed: int64) (index: int) =
    let out = Array.zeroCreate<float32> (t.OutputChannels * t.OutputHeight * t.OutputWidth)
    let mutable r = SampleRandom.For(seed, 0, index, 0)
    t.Apply(img, out.AsSpan(), &r)
    out

/// The expected output of crop (dy, dx) + optional flip + normalisation, computed the slow, obvious way.
let private reference (img: ImageView) (norm: Normalization) pad dy dx flip =
    let c, h, w = img.Channels, img.Height, img.Width
    let px = img.Pixels.ToArray()
    Array.init (c * h * w) (fun i ->
        let ch, y, x = i / (h * w), (i / w) % h, i % w
        let xc = if flip then w - 1 - x else x
        let sy, sx = y + dy - pad, xc + dx - pad
        let v = if sy >= 0 && sy < h && sx >= 0 && sx < w then px[ch * h * w + sy * w + sx] else 0uy
        (float32 v / 255.0f - norm.Mean[ch]) / norm.Std[ch])

let tests =
    testList "Transforms" [
        test "a dataset's training transform has one owner, and augmentation is the transform's own answer (one view or many)" {
            let kinds = LogitStd.Core.Domain.DatasetKind.Fashion_Mnist, LogitStd.Core.Domain.DatasetKind.Cifar100, LogitStd.Core.Domain.DatasetKind.Imagefolder
            let fashion, cifar, folder = kinds
            let augments kind augment = DatasetCatalog.Augments(DatasetCatalog.TrainTransform(kind, augment))
            Expect.isFalse (augments fashion false) "Fashion-MNIST without augment: one view"
            Expect.isTrue (augments fashion true) "Fashion-MNIST with augment: crop and flip"
            Expect.isTrue (augments cifar false) "CIFAR-100 crops and flips whatever augment says (PAPER.md §4)"
            Expect.isTrue (augments cifar true) "CIFAR-100 with augment"
            Expect.isTrue (augments folder false) "an image folder's random resized crop"
            Expect.equal (DatasetCatalog.TrainTransform(fashion, false) :?> IViewTransform).ViewCount 1 "the one view"
            Expect.equal (DatasetCatalog.TrainTransform(cifar, false) :?> IViewTransform).ViewCount 162 "9 × 9 crops × 2 flips"
            Expect.isFalse (DatasetCatalog.TrainTransform(folder, true) :? IViewTransform) "no finite set of views"
        }
        test "the CIFAR test transform is exactly (v/255 - mean)/std per channel" {
            let img = image 3 32 32 7
            let out = apply (Transforms.CifarTest()) img 1L 0
            Expect.equal out (reference img Normalization.Cifar100 0 0 0 false) "normalisation only"
            let v = img.Pixels.Span[1024 + 5]
            Expect.floatClose Accuracy.high (float out[1024 + 5]) ((float v / 255.0 - 0.4867) / 0.2565) "green channel uses mean 0.4867, std 0.2565"
        }

        test "a CIFAR training crop keeps the shape and is a shift of the zero-padded image, maybe mirrored" {
            let t = Transforms.CifarTrain()
            Expect.equal (t.OutputChannels, t.OutputHeight, t.OutputWidth) (3, 32, 32) "3×32×32"
            let img = image 3 32 32 11
            for index in 0 .. 39 do
                let out = apply t img 5L index
                let matches =
                    [ for dy in 0 .. 8 do
                        for dx in 0 .. 8 do
                            for flip in [ false; true ] do
                                if reference img Normalization.Cifar100 4 dy dx flip = out then yield (dy, dx, flip) ]
                Expect.isNonEmpty matches $"sample {index} is some crop/flip of the padded image"
        }

        test "flip happens with p = 0.5 and every crop offset 0..8 occurs" {
            let n = 20000
            let mutable flips = 0
            let offsets = Collections.Generic.HashSet<int>()
            for i in 0 .. n - 1 do
                let mutable r = SampleRandom.For(3L, 1, i, 0)
                let struct (dy, dx, flip) = CropFlipTransform.Draw(&r, 4, 0.5)
                offsets.Add dy |> ignore
                offsets.Add dx |> ignore
                if flip then flips <- flips + 1
            let p = float flips / float n
            Expect.isTrue (abs (p - 0.5) < 0.015) $"flip rate {p} within 0.5 ± 0.015 over {n} samples"
            Expect.equal (Set.ofSeq offsets) (set [ 0 .. 8 ]) "offsets 0..8"
        }

        test "the same (seed, epoch, index) gives the same augmentation, another index usually not" {
            let img = image 3 32 32 2
            let t = Transforms.CifarStrong()
            Expect.equal (apply t img 9L 4) (apply t img 9L 4) "deterministic"
            let distinct = [ for i in 0 .. 9 -> apply t img 9L i ] |> List.distinct |> List.length
            Expect.isGreaterThan distinct 5 "different samples are augmented differently"
        }

        test "the strong view has the weak view's shape, finite values, and a Cutout square of grey 127" {
            let t = Transforms.CifarStrong()
            let grey127 = [| for c in 0 .. 2 -> Normalization.Cifar100.Table(c)[127] |]
            for index in 0 .. 49 do
                let out = apply t (image 3 32 32 index) 1L index
                Expect.equal out.Length (3 * 32 * 32) "3×32×32"
                Expect.all out Single.IsFinite "finite"
                for c in 0 .. 2 do
                    let n = out[c * 1024 .. c * 1024 + 1023] |> Array.filter (fun v -> v = grey127[c]) |> Array.length
                    Expect.isGreaterThanOrEqual n 64 $"sample {index} channel {c}: at least an 8×8 corner of the 16×16 cutout"
        }

        test "Fashion-MNIST normalises with mean 0.2860, std 0.3530" {
            let img = image 1 28 28 4
            let out = apply (Transforms.FashionMnistTest()) img 0L 0
            Expect.equal out (reference img Normalization.FashionMnist 0 0 0 false) "normalisation"
            Expect.equal (Normalization.FashionMnist.Table(0)[0]) ((0.0f - 0.2860f) / 0.3530f) "black"
            let train = Transforms.FashionMnistTrain(crop = true, flip = true)
            Expect.equal (apply train img 0L 3).Length 784 "crop keeps 28×28"
        }

        test "RandAugment operations behave as their names say" {
            let ramp () = Array.init 16 (fun i -> byte (i * 4 + 100))
            let a = ramp ()
            ImageOps.AutoContrast(a.AsSpan(), 1)
            Expect.equal (a[0], a[15]) (0uy, 255uy) "autocontrast stretches to 0..255"
            let p = [| 255uy; 17uy; 130uy |]
            ImageOps.Posterize(p.AsSpan(), 4)
            Expect.equal p [| 240uy; 16uy; 128uy |] "posterize keeps the top 4 bits"
            let s = [| 10uy; 200uy |]
            ImageOps.Solarize(s.AsSpan(), 128)
            Expect.equal s [| 10uy; 55uy |] "solarize inverts at and above the threshold"
            let input = Array.init 1024 (fun i -> byte (100 + (i % 16) * 4))
            let e = Array.copy input
            ImageOps.Equalize(e.AsSpan(), 1)
            let mapping = Array.zip input e |> Array.distinct |> Array.sortBy fst
            Expect.equal mapping.Length 16 "equalize is a function of the grey level"
            Expect.isTrue (mapping |> Array.pairwise |> Array.forall (fun ((_, x), (_, y)) -> x <= y)) "equalize keeps the order of grey levels (PIL clips the top levels at 255)"
            Expect.isGreaterThan (int (snd mapping[15]) - int (snd mapping[0])) 200 "equalize spreads a narrow histogram"
            let img = bytes 5 (3 * 8 * 8)
            let scratch = Array.zeroCreate<byte> img.Length
            let r = Array.copy img
            ImageOps.Rotate(r.AsSpan(), 3, 8, 8, 0.0f, scratch.AsSpan())
            Expect.equal r img "rotation by 0° is the identity"
            let t = Array.copy img
            ImageOps.Affine(t.AsSpan(), 3, 8, 8, 1.0f, 0.0f, 2.0f, 0.0f, 1.0f, 0.0f, scratch.AsSpan())
            Expect.equal t[3 * 8 + 1] img[3 * 8 + 3] "translate reads 2 pixels to the right"
            Expect.equal t[3 * 8 + 7] 0uy "and fills the uncovered edge black"
            let c = Array.create 64 9uy
            ImageOps.Cutout(c.AsSpan(), 1, 8, 8, 0, 0, 4, 127uy)
            Expect.equal (c |> Array.filter ((=) 127uy) |> Array.length) 16 "a cutout centred at the top-left corner starts there (FixMatch's CutoutAbs)"
            let c2 = Array.create 64 9uy
            ImageOps.Cutout(c2.AsSpan(), 1, 8, 8, 7, 7, 4, 127uy)
            Expect.equal (c2 |> Array.filter ((=) 127uy) |> Array.length) 9 "one at the bottom-right corner is clipped to 3×3"
        }

        test "ImageNet evaluation resizes and centre-crops any image to 3×224×224; training crops stay inside" {
            let flat = ImageView(ReadOnlyMemory<byte>(Array.create (3 * 300 * 400) 90uy), 3, 300, 400)
            let out = apply (Transforms.ImageNetEval()) flat 0L 0
            Expect.equal out.Length (3 * 224 * 224) "3×224×224"
            Expect.floatClose Accuracy.medium (float out[0]) ((90.0 / 255.0 - 0.485) / 0.229) "a flat image stays flat"
            let train = apply (Transforms.ImageNetTrain()) (image 3 50 70 1) 0L 0
            Expect.equal train.Length (3 * 224 * 224) "training crop resized to 224"
            for i in 0 .. 999 do
                let mutable r = SampleRandom.For(1L, 0, i, 0)
                let struct (top, left, h, w) = ResizedCropTransform.DrawCrop(300, 400, &r)
                Expect.isTrue (top >= 0 && left >= 0 && h > 0 && w > 0 && top + h <= 300 && left + w <= 400) "inside the image"
                let frac = float (h * w) / 120000.0
                Expect.isTrue (frac > 0.07 && frac <= 1.0) $"area fraction {frac} within 0.08..1 (rounding aside)"
        }
    ]
