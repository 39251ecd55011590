using System.Globalization;

namespace LogitStd.Shell.Data;

/// <summary>
/// The class names a model's logits stand for, by the zoo's dataset key (<c>cifar</c>,
/// <c>imagenet</c>, <c>fashion-mnist</c>): Fashion-MNIST's ten labels, CIFAR-100's fine labels in
/// label order (the order of the dataset's <c>fine_label_names.txt</c> / <c>meta</c> file), and the
/// class indices where the names are not part of the program (ImageNet's 1,000 synsets; a head of
/// another size).
/// </summary>
public static class ClassNames
{
    /// <summary>CIFAR-100's 100 fine labels, indexed by label.</summary>
    public static readonly IReadOnlyList<string> Cifar100 =
    [
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
        "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
        "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
        "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
        "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
        "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
        "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
        "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
        "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
        "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
    ];

    /// <summary>The names for a <paramref name="classes"/>-way head on <paramref name="dataset"/>, or the indices "0", "1", ….</summary>
    public static IReadOnlyList<string> For(LogitStd.Core.Domain.DatasetKind dataset, int classes) => (Core.Experiments.Dataset(dataset), classes) switch
    {
        (Core.DatasetId.FashionMnist, 10) => FashionMnist.ClassNames,
        (Core.DatasetId.Cifar100, 100) => Cifar100,
        _ => Indices(classes),
    };

    /// <summary>"0", "1", … "<paramref name="classes"/> − 1".</summary>
    public static IReadOnlyList<string> Indices(int classes) =>
        [.. Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture))];
}
