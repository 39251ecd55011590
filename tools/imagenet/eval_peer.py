#!/usr/bin/python3
"""torchvision's side of `logitstd eval` on an image folder: the evaluation transform (Resize 256,
CenterCrop 224, ImageNet normalisation) through torchvision's ImageFolder, a torchvision ResNet with
the given state dict, eval mode; writes the logits as CSV in dataset order, one row of K per image
(the layout of `logitstd eval --save-logits`).

Usage: /usr/bin/python3 tools/imagenet/eval_peer.py --model resnet34 --weights W.pth --folder DIR/val --out logits.csv
"""
import argparse
import sys

import numpy as np
import torch
import torchvision
import torchvision.transforms as T


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--folder", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    state = torch.load(a.weights, map_location="cpu")
    classes = state["fc.weight"].shape[0]
    net = getattr(torchvision.models, a.model)(num_classes=classes)
    net.load_state_dict(state)
    net.eval()
    tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    data = torchvision.datasets.ImageFolder(a.folder, tf)
    loader = torch.utils.data.DataLoader(data, batch_size=50, shuffle=False)
    rows = []
    with torch.no_grad():
        for x, _ in loader:
            rows.append(net(x).numpy())
    np.savetxt(a.out, np.concatenate(rows), delimiter=",", fmt="%.9g")
    print("%d images x %d logits -> %s" % (len(data), classes, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
