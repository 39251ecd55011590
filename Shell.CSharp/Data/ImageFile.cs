using SkiaSharp;

namespace LogitStd.Shell.Data;

/// <summary>
/// Decodes one PNG or JPEG file for classification, keeping its channel count: a greyscale file
/// becomes a 1-channel image (a Fashion-MNIST model's input), anything else RGB through
/// <see cref="ImageFolderDataset.Decode"/> (alpha dropped), so a caller can say which kind of
/// image a model expects instead of silently converting.
/// </summary>
public static class ImageFile
{
    /// <summary>Whether <paramref name="path"/> has a PNG or JPEG extension.</summary>
    public static bool IsImage(string path) =>
        ImageFolderDataset.Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Decodes the file to uint8 CHW with 1 (greyscale) or 3 (RGB) channels.</summary>
    /// <exception cref="DatasetException">The file cannot be read or is not a complete JPEG/PNG.</exception>
    public static ImageView Decode(string path)
    {
        var (data, codec) = ImageFolderDataset.OpenCodec(path);
        using var _ = data;
        using var __ = codec;
        if (codec.Info.ColorType != SKColorType.Gray8) return ImageFolderDataset.Decode(path);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Gray8, SKAlphaType.Opaque);
        var result = codec.GetPixels(info, out byte[] grey);
        if (result != SKCodecResult.Success) throw new DatasetException($"{path}: corrupt image: decoding stopped with {result}");
        return new ImageView(grey, 1, info.Height, info.Width);
    }
}
