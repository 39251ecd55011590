#!/usr/bin/python3
"""ImageNet preprocessing fixtures from torchvision itself (Debian's python3-torchvision 0.14 + Pillow).

Writes into --out a few images of ImageNet-typical sizes (PNG and JPEG; a greyscale and a CMYK JPEG)
and `preprocessing.pt`, a dict of float32 tensors (C, 224, 224) that tests/Data.Tests compares with
LogitStd's transforms:

  eval/<file>                       torchvision's ImageNet evaluation transform: Resize(256),
                                    CenterCrop(224), ToTensor, Normalize(ImageNet mean, std)
  crop/<file>/<top>_<left>_<h>_<w>_<flip>   resized_crop(top, left, h, w, 224) (+ hflip): the
                                    training transform for a given RandomResizedCrop draw

Images are opened as torchvision's ImageFolder opens them: PIL, then .convert("RGB").

Usage: /usr/bin/python3 tools/imagenet/make_preprocessing.py --out DIR
"""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from PIL import Image

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def scene(width, height, seed):
    """A synthetic photograph: smooth gradients, soft blobs, hard edges and fine noise (so that
    antialiasing matters), uint8 RGB (H, W, 3)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    img = np.zeros((height, width, 3))
    for c in range(3):
        img[..., c] = 120 + 60 * np.sin(x / rng.uniform(20, 90) + c) * np.cos(y / rng.uniform(20, 90))
    for _ in range(12):
        cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(10, 80)
        img += rng.uniform(-80, 80, 3) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))[..., None]
    for _ in range(6):
        x0, y0 = rng.integers(0, width - 20), rng.integers(0, height - 20)
        img[y0:y0 + rng.integers(5, 60), x0:x0 + rng.integers(5, 60)] = rng.uniform(0, 255, 3)
    img[::2, ::3] += 25  # a fine stripe pattern, aliased without a low-pass
    img += rng.normal(0, 6, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    files = []
    for i, (w, h) in enumerate([(500, 375), (333, 500), (1024, 768)]):
        rgb = Image.fromarray(scene(w, h, 10 + i), "RGB")
        for ext in ("png", "jpg"):
            name = "scene%dx%d.%s" % (w, h, ext)
            rgb.save(os.path.join(a.out, name), quality=90) if ext == "jpg" else rgb.save(os.path.join(a.out, name))
            files.append(name)
    grey = Image.fromarray(scene(500, 375, 20)[..., 0], "L")
    grey.save(os.path.join(a.out, "grey500x375.jpg"), quality=90)
    files.append("grey500x375.jpg")
    cmyk = Image.fromarray(scene(500, 375, 21), "RGB").convert("CMYK")
    cmyk.save(os.path.join(a.out, "cmyk500x375.jpg"), quality=90)
    files.append("cmyk500x375.jpg")

    evaluation = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
    finish = T.Compose([T.ToTensor(), T.Normalize(MEAN, STD)])
    out = {}
    rng = np.random.default_rng(7)
    for name in files:
        img = Image.open(os.path.join(a.out, name)).convert("RGB")
        out["eval/" + name] = evaluation(img).contiguous()
        w, h = img.size
        for k in range(3):
            ch, cw = int(rng.integers(8, h + 1)), int(rng.integers(8, w + 1))
            top, left, flip = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1)), k == 1
            t = TF.resized_crop(img, top, left, ch, cw, [224, 224])
            if flip:
                t = TF.hflip(t)
            out["crop/%s/%d_%d_%d_%d_%d" % (name, top, left, ch, cw, int(flip))] = finish(t).contiguous()
    torch.save(out, os.path.join(a.out, "preprocessing.pt"))
    print("%d tensors for %d images -> %s" % (len(out), len(files), a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
