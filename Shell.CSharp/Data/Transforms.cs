namespace LogitStd.Shell.Data;

/// <summary>The transforms of the paper's protocol (PAPER.md §3–4) and their Fashion-MNIST counterparts, by name.</summary>
public static class Transforms
{
    /// <summary>CIFAR training: crop 32 with 4-pixel zero padding, flip p = 0.5, normalise (mdistiller's recipe). Also MLKD's weak view.</summary>
    public static IImageTransform CifarTrain() => new CropFlipTransform(3, 32, 32, 4, 0.5, Normalization.Cifar100);

    /// <summary>CIFAR test: normalise only.</summary>
    public static IImageTransform CifarTest() => new CropFlipTransform(3, 32, 32, 0, 0, Normalization.Cifar100);

    /// <summary>MLKD's strong view on CIFAR: crop + flip + RandAugment(2, 10) + Cutout 16, normalise.</summary>
    public static IImageTransform CifarStrong() => new StrongTransform(3, 32, 32, 4, Normalization.Cifar100);

    /// <summary>Fashion-MNIST training: normalise, with an optional crop (2-pixel padding) and flip.</summary>
    public static IImageTransform FashionMnistTrain(bool crop = false, bool flip = false) =>
        new CropFlipTransform(1, 28, 28, crop ? 2 : 0, flip ? 0.5 : 0, Normalization.FashionMnist);

    /// <summary>Fashion-MNIST test: normalise only.</summary>
    public static IImageTransform FashionMnistTest() => new CropFlipTransform(1, 28, 28, 0, 0, Normalization.FashionMnist);

    /// <summary>An MLKD strong view for Fashion-MNIST (crop with 2-pixel padding, flip, RandAugment, Cutout 14).</summary>
    public static IImageTransform FashionMnistStrong() => new StrongTransform(1, 28, 28, 2, Normalization.FashionMnist);

    /// <summary>ImageNet training: RandomResizedCrop 224 + flip, ImageNet mean/std.</summary>
    public static IImageTransform ImageNetTrain(int size = 224) => ResizedCropTransform.Training(size, Normalization.ImageNet);

    /// <summary>ImageNet evaluation: resize 256 + centre crop 224, ImageNet mean/std.</summary>
    public static IImageTransform ImageNetEval(int resize = 256, int size = 224) => ResizedCropTransform.Evaluation(resize, size, Normalization.ImageNet);
}
