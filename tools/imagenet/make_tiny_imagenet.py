#!/usr/bin/python3
"""A tiny ImageNet-layout folder and torchvision teachers, for the ImageNet pairs end to end (Cake
target ImageNetPairs). Nothing here is ImageNet's data: the images are generated scenes.

  <out>/data/train/<wnid>/*.JPEG, <out>/data/val/<wnid>/*.JPEG    --classes wnids, JPEG, 500x375 and 375x500
  <out>/data1000/val/<wnid>/*.JPEG                                1000 wnids, one small image each
  <out>/teachers/resnet34.pth, resnet50.pth                       torchvision state dicts (torch.save),
                                                                  --classes outputs, random weights
  <out>/teachers/resnet34_1000.pth                                torchvision ResNet34, 1000 outputs

Usage: /usr/bin/python3 tools/imagenet/make_tiny_imagenet.py --out DIR [--classes 4] [--train 8] [--val 2]
"""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision
from PIL import Image


def scene(width, height, rng, label):
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    img = np.empty((height, width, 3))
    for c in range(3):
        img[..., c] = 128 + 70 * np.sin((x + 37 * label) / (15 + 10 * label) + c) * np.cos(y / rng.uniform(20, 60))
    img += rng.normal(0, 12, img.shape)
    return Image.fromarray(np.clip(np.round(img), 0, 255).astype(np.uint8), "RGB")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--classes", type=int, default=4)
    p.add_argument("--train", type=int, default=8)
    p.add_argument("--val", type=int, default=2)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    wnids = ["n%08d" % (1440764 + 7 * i) for i in range(1000)]
    for split, count in (("train", a.train), ("val", a.val)):
        for k in range(a.classes):
            d = os.path.join(a.out, "data", split, wnids[k])
            os.makedirs(d, exist_ok=True)
            for i in range(count):
                w, h = (500, 375) if i % 2 == 0 else (375, 500)
                scene(w, h, rng, k).save(os.path.join(d, "%s_%d.JPEG" % (wnids[k], i)), quality=90)
    for k in range(1000):
        d = os.path.join(a.out, "data1000", "val", wnids[k])
        os.makedirs(d, exist_ok=True)
        scene(96, 64, rng, k % 17).save(os.path.join(d, "%s_0.JPEG" % wnids[k]), quality=90)
    teachers = os.path.join(a.out, "teachers")
    os.makedirs(teachers, exist_ok=True)
    torch.manual_seed(0)
    for depth in (34, 50):
        net = getattr(torchvision.models, "resnet%d" % depth)(num_classes=a.classes)
        torch.save(net.state_dict(), os.path.join(teachers, "resnet%d.pth" % depth))
    torch.save(torchvision.models.resnet34(num_classes=1000).state_dict(), os.path.join(teachers, "resnet34_1000.pth"))
    print("tiny ImageNet: %d classes x (%d train, %d val), 1000-class val, teachers -> %s" % (a.classes, a.train, a.val, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
