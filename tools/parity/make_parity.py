#!/usr/bin/python3
"""Parity fixtures for the TorchSharp model zoo, from this project's own PyTorch definitions.

The five architectures below (plus resnet8 for the checkpoint-format tests) are written from the
architecture descriptions in PAPER.md §5 and mdistiller's layer tables, with the same state-dict
keys, so a checkpoint saved here loads into the C# models by name. For each model the script saves:

  <name>.pth    {"model": state_dict}, mdistiller's teacher layout (random weights, random BN statistics)
  <name>.io.pt  {"input": x, "logits": y, "feature": f}, eval-mode outputs for a fixed input batch
  resnet8.{bare.pt,module.pth,legacy.pth,numpy.pth}   the other checkpoint layouts (see below)
  cifar100-sample.bin, resnet8x4.cifar100-sample.io.pt   a CIFAR-100 binary file and resnet8x4's logits on it

Usage (Debian's interpreter, python3-torch 1.13):
  /usr/bin/python3 tools/parity/make_parity.py --out DIR [--models a,b,...]
  /usr/bin/python3 tools/parity/make_parity.py --check-load FILE --model NAME [--classes K] [--io IO]
The second form loads a file written by the C# side with torch.load + strict load_state_dict and,
given --io, compares the eval-mode logits with the stored ones (exit 1 on any failure).
"""
import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- CIFAR ResNet (basic blocks)
class ResBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        skip = x if self.downsample is None else self.downsample(x)
        return F.relu(y + skip)


class CifarResNet(nn.Module):
    def __init__(self, depth, widths, classes):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        cin = widths[0]
        for i, (w, s) in enumerate(zip(widths[1:], (1, 2, 2))):
            blocks = []
            for j in range(n):
                blocks.append(ResBlock(cin, w, s if j == 0 else 1))
                cin = w
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*blocks))
        self.fc = nn.Linear(widths[3], classes)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.layer3(self.layer2(self.layer1(h)))
        f = h.mean((2, 3))
        return self.fc(f), f


# ---------------------------------------------------------------- WideResNet (pre-activation)
class WrnBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.same = cin == cout
        if not self.same:
            self.convShortcut = nn.Conv2d(cin, cout, 1, stride, 0, bias=False)

    def forward(self, x):
        a = F.relu(self.bn1(x))
        y = self.conv2(F.relu(self.bn2(self.conv1(a))))
        return y + (x if self.same else self.convShortcut(a))


class WrnGroup(nn.Module):
    def __init__(self, n, cin, cout, stride):
        super().__init__()
        self.layer = nn.Sequential(*[WrnBlock(cin if i == 0 else cout, cout, stride if i == 0 else 1) for i in range(n)])

    def forward(self, x):
        return self.layer(x)


class Wrn(nn.Module):
    def __init__(self, depth, k, classes):
        super().__init__()
        n = (depth - 4) // 6
        w = [16, 16 * k, 32 * k, 64 * k]
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.block1 = WrnGroup(n, w[0], w[1], 1)
        self.block2 = WrnGroup(n, w[1], w[2], 2)
        self.block3 = WrnGroup(n, w[2], w[3], 2)
        self.bn1 = nn.BatchNorm2d(w[3])
        self.fc = nn.Linear(w[3], classes)

    def forward(self, x):
        h = self.block3(self.block2(self.block1(self.conv1(x))))
        f = F.relu(self.bn1(h)).mean((2, 3))
        return self.fc(f), f


# ---------------------------------------------------------------- VGG-BN
class Vgg(nn.Module):
    def __init__(self, cfg, classes):
        super().__init__()
        cin = 3
        for b, widths in enumerate(cfg):
            mods = []
            for w in widths:
                mods += [nn.Conv2d(cin, w, 3, 1, 1, bias=True), nn.BatchNorm2d(w), nn.ReLU()]
                cin = w
            setattr(self, "block%d" % b, nn.Sequential(*mods[:-1]))  # the block's last ReLU runs in forward
        self.classifier = nn.Linear(512, classes)

    def forward(self, x):
        h = x
        for b in range(5):
            h = F.relu(getattr(self, "block%d" % b)(h))
            if b < 3:
                h = F.max_pool2d(h, 2, 2)
        f = h.mean((2, 3))
        return self.classifier(f), f


# ---------------------------------------------------------------- MobileNetV2 (t = 6, width 0.5)
class Inverted(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hid = cin * t
        self.residual = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, hid, 1, bias=False), nn.BatchNorm2d(hid), nn.ReLU(),
            nn.Conv2d(hid, hid, 3, stride, 1, groups=hid, bias=False), nn.BatchNorm2d(hid), nn.ReLU(),
            nn.Conv2d(hid, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileV2(nn.Module):
    def __init__(self, classes, t=6, width=0.5):
        super().__init__()
        table = [(1, 16, 1, 1), (t, 24, 2, 1), (t, 32, 3, 2), (t, 64, 4, 2), (t, 96, 3, 1), (t, 160, 3, 2), (t, 320, 1, 1)]
        cin = int(32 * width)
        self.conv1 = nn.Sequential(nn.Conv2d(3, cin, 3, 2, 1, bias=False), nn.BatchNorm2d(cin), nn.ReLU())
        self.blocks = nn.ModuleList()
        for e, c, n, s in table:
            cout = int(c * width)
            stage = []
            for i in range(n):
                stage.append(Inverted(cin, cout, s if i == 0 else 1, e))
                cin = cout
            self.blocks.append(nn.Sequential(*stage))
        self.conv2 = nn.Sequential(nn.Conv2d(cin, 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.ReLU())
        self.classifier = nn.Sequential(nn.Linear(1280, classes))

    def forward(self, x):
        h = self.conv1(x)
        for stage in self.blocks:
            h = stage(h)
        f = self.conv2(h).mean((2, 3))
        return self.classifier(f), f


# ---------------------------------------------------------------- ShuffleNetV2 (net size 1)
def shuffle(x, g):
    n, c, hh, ww = x.shape
    return x.view(n, g, c // g, hh, ww).transpose(1, 2).reshape(n, c, hh, ww)


class SplitUnit(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c // 2
        self.half = h
        self.conv1 = nn.Conv2d(h, h, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(h)
        self.conv2 = nn.Conv2d(h, h, 3, 1, 1, groups=h, bias=False)
        self.bn2 = nn.BatchNorm2d(h)
        self.conv3 = nn.Conv2d(h, h, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(h)

    def forward(self, x):
        keep, work = x[:, :self.half], x[:, self.half:]
        work = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(work)))))
        work = F.relu(self.bn3(self.conv3(work)))
        return shuffle(torch.cat([keep, work], 1), 2)


class DownUnit(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        m = cout // 2
        self.conv1 = nn.Conv2d(cin, cin, 3, 2, 1, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv2 = nn.Conv2d(cin, m, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(m)
        self.conv3 = nn.Conv2d(cin, m, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(m)
        self.conv4 = nn.Conv2d(m, m, 3, 2, 1, groups=m, bias=False)
        self.bn4 = nn.BatchNorm2d(m)
        self.conv5 = nn.Conv2d(m, m, 1, bias=False)
        self.bn5 = nn.BatchNorm2d(m)

    def forward(self, x):
        left = F.relu(self.bn2(self.conv2(self.bn1(self.conv1(x)))))
        right = self.bn4(self.conv4(F.relu(self.bn3(self.conv3(x)))))
        right = F.relu(self.bn5(self.conv5(right)))
        return shuffle(torch.cat([left, right], 1), 2)


class ShuffleV2(nn.Module):
    def __init__(self, classes, widths=(116, 232, 464, 1024), repeats=(3, 7, 3)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        cin = 24
        for i in range(3):
            units = [DownUnit(cin, widths[i])] + [SplitUnit(widths[i]) for _ in range(repeats[i])]
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*units))
            cin = widths[i]
        self.conv2 = nn.Conv2d(widths[2], widths[3], 1, bias=False)
        self.bn2 = nn.BatchNorm2d(widths[3])
        self.linear = nn.Linear(widths[3], classes)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.layer3(self.layer2(self.layer1(h)))
        f = F.relu(self.bn2(self.conv2(h))).mean((2, 3))
        return self.linear(f), f


# ---------------------------------------------------------------- ShuffleNetV1 (groups 3, mdistiller's CIFAR layout)
def channel_shuffle(x, g):
    n, c, h, w = x.shape
    return x.view(n, g, c // g, h, w).permute(0, 2, 1, 3, 4).reshape(n, c, h, w)


class ShuffleV1Unit(nn.Module):
    def __init__(self, cin, cout, stride, groups):
        super().__init__()
        mid = cout // 4
        self.g = 1 if cin == 24 else groups  # the network's first 1x1 conv is not grouped
        self.stride = stride
        self.conv1 = nn.Conv2d(cin, mid, 1, groups=self.g, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, cout, 1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)

    def forward(self, x):
        y = channel_shuffle(F.relu(self.bn1(self.conv1(x))), self.g)
        y = self.bn3(self.conv3(F.relu(self.bn2(self.conv2(y)))))
        if self.stride == 2:
            return F.relu(torch.cat([y, F.avg_pool2d(x, 3, 2, 1)], 1))
        return F.relu(y + x)


class ShuffleV1(nn.Module):
    def __init__(self, classes, out_planes=(240, 480, 960), blocks=(4, 8, 4), groups=3):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        cin = 24
        for i, (planes, n) in enumerate(zip(out_planes, blocks)):
            units = []
            for j in range(n):
                units.append(ShuffleV1Unit(cin, planes - (cin if j == 0 else 0), 2 if j == 0 else 1, groups))
                cin = planes
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*units))
        self.linear = nn.Linear(out_planes[2], classes)

    def forward(self, x):
        h = self.layer3(self.layer2(self.layer1(F.relu(self.bn1(self.conv1(x))))))
        f = h.mean((2, 3))
        return self.linear(f), f


# ---------------------------------------------------------------- CIFAR ResNet50 (bottlenecks, mdistiller's resnetv2)
class Bottleneck(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, 4 * planes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != 4 * planes:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, 4 * planes, 1, stride, bias=False), nn.BatchNorm2d(4 * planes))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn3(self.conv3(F.relu(self.bn2(self.conv2(y)))))
        return F.relu(y + self.shortcut(x))


class CifarResNet50(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        cin = 64
        for i, (planes, n, stride) in enumerate(((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))):
            units = []
            for j in range(n):
                units.append(Bottleneck(cin, planes, stride if j == 0 else 1))
                cin = 4 * planes
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*units))
        self.linear = nn.Linear(2048, classes)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.layer4(self.layer3(self.layer2(self.layer1(h))))
        f = h.mean((2, 3))
        return self.linear(f), f


# ---------------------------------------------------------------- MobileNetV1 (mdistiller's ImageNet layout)
class MobileNetV1(nn.Module):
    def __init__(self, classes):
        super().__init__()

        def conv_bn(cin, cout, stride):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

        def conv_dw(cin, cout, stride):
            return nn.Sequential(nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin), nn.ReLU(),
                                 nn.Conv2d(cin, cout, 1, 1, 0, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

        plan = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)] + \
               [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]
        self.model = nn.Sequential(conv_bn(3, 32, 2), *[conv_dw(a, b, s) for a, b, s in plan])
        self.fc = nn.Linear(1024, classes)

    def forward(self, x):
        f = self.model(x).mean((2, 3))
        return self.fc(f), f


# ---------------------------------------------------------------- The Fashion-MNIST nets (this project's own, docs in FashionMnistNets.cs)
class FashionCnn(nn.Module):
    def __init__(self, widths, pool_last, hidden, classes):
        super().__init__()
        mods, cin = [], 1
        for i, w in enumerate(widths):
            mods += [nn.Conv2d(cin, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
            if i < 2 or pool_last:
                mods.append(nn.MaxPool2d(2))
            cin = w
        self.features = nn.Sequential(*mods)
        self.hidden = hidden
        if hidden:
            self.fc1 = nn.Linear(widths[-1] * 9, hidden)
            self.fc2 = nn.Linear(hidden, classes)
        else:
            self.fc = nn.Linear(widths[-1], classes)

    def forward(self, x):
        h = self.features(x)
        if self.hidden:
            f = F.relu(self.fc1(h.flatten(1)))
            return self.fc2(f), f
        f = h.mean((2, 3))
        return self.fc(f), f


class FashionMlp(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.fc1 = nn.Linear(784, 64)
        self.fc2 = nn.Linear(64, classes)

    def forward(self, x):
        f = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(f), f


# ---------------------------------------------------------------- ImageNet ResNets: torchvision's own
class TorchvisionFeature(nn.Module):
    """torchvision's ResNet (not this project's code) returning (logits, pooled feature); the state dict
    is torchvision's, with no prefix, as its published checkpoints hold it."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        n = self.net
        h = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        h = n.layer4(n.layer3(n.layer2(n.layer1(h))))
        f = torch.flatten(n.avgpool(h), 1)
        return n.fc(f), f


def torchvision_resnet(depth, classes):
    import torchvision  # Debian's python3-torchvision (0.14)
    return TorchvisionFeature(getattr(torchvision.models, "resnet%d" % depth)(num_classes=classes))


VGG = {8: [[64], [128], [256], [512], [512]],
       11: [[64], [128], [256, 256], [512, 512], [512, 512]],
       13: [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
       16: [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
       19: [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]]}

BUILDERS = {
    **{"resnet%d" % d: (lambda d: lambda k: CifarResNet(d, [16, 16, 32, 64], k))(d) for d in (8, 14, 20, 32, 44, 56, 110)},
    "resnet8x4": lambda k: CifarResNet(8, [32, 64, 128, 256], k),
    "resnet32x4": lambda k: CifarResNet(32, [32, 64, 128, 256], k),
    **{"wrn_%d_%d" % (d, w): (lambda d, w: lambda k: Wrn(d, w, k))(d, w) for d, w in ((16, 1), (16, 2), (40, 1), (40, 2))},
    **{"vgg%d" % d: (lambda d: lambda k: Vgg(VGG[d], k))(d) for d in VGG},
    "MobileNetV2": lambda k: MobileV2(k),
    "ShuffleV2": lambda k: ShuffleV2(k),
    **{"ResNet%d_imagenet" % d: (lambda d: lambda k: torchvision_resnet(d, k))(d) for d in (18, 34, 50)},
    "ShuffleV1": lambda k: ShuffleV1(k),
    "ResNet50": lambda k: CifarResNet50(k),
    "MobileNetV1": lambda k: MobileNetV1(k),
    "fmnist_wide_cnn": lambda k: FashionCnn([32, 64, 128], True, 768, k),
    "fmnist_small_cnn": lambda k: FashionCnn([16, 32, 64], False, 0, k),
    "fmnist_mlp": lambda k: FashionMlp(k),
}

# The state-dict layout each model's file is saved in: mdistiller's {"model": ...} for the CIFAR zoo,
# torchvision's bare state dict for the ImageNet models; and the class count and input batch.
IMAGENET = {"ResNet18_imagenet", "ResNet34_imagenet", "ResNet50_imagenet"}
TORCHVISION = IMAGENET
# Input batches: (N, C, H, W) and the class count per kind of model.
SHAPES = {"imagenet": ((2, 3, 224, 224), 1000), "fashion": ((4, 1, 28, 28), 10), "cifar": ((4, 3, 32, 32), 100)}


def kind(name):
    return "imagenet" if name in IMAGENET or name == "MobileNetV1" else "fashion" if name.startswith("fmnist_") else "cifar"

# Per-model seed offsets, fixed so that a fixture does not depend on the order of --models.
SEED_OFFSETS = {"resnet8x4": 0, "resnet8": 10, "wrn_40_2": 0, "wrn_16_2": 40, "vgg13": 10, "MobileNetV2": 20, "ShuffleV2": 30,
                "resnet14": 50, "resnet20": 60, "resnet32": 70, "resnet44": 80, "resnet56": 90, "resnet110": 100,
                "resnet32x4": 110, "wrn_16_1": 120, "wrn_40_1": 130, "vgg8": 140, "vgg11": 150, "vgg16": 160, "vgg19": 170,
                "ResNet18_imagenet": 180, "ResNet34_imagenet": 190, "ResNet50_imagenet": 200, "ShuffleV1": 210,
                "ResNet50": 220, "MobileNetV1": 230, "fmnist_wide_cnn": 240, "fmnist_small_cnn": 250, "fmnist_mlp": 260}


def randomise(model, seed):
    """Random weights and BN statistics, so eval-mode BN is not near the identity."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g))
                m.num_batches_tracked.fill_(100)


def make(name, out_dir, seed):
    shape, classes = SHAPES[kind(name)]
    torch.manual_seed(seed)
    model = BUILDERS[name](classes)
    randomise(model, seed + 1)
    model.eval()
    g = torch.Generator().manual_seed(seed + 2)
    x = torch.randn(*shape, generator=g)
    with torch.no_grad():
        logits, feature = model(x)
    state = model.net.state_dict() if name in TORCHVISION else {"model": model.state_dict()}
    torch.save(state, os.path.join(out_dir, name + ".pth"))
    torch.save({"input": x, "logits": logits, "feature": feature}, os.path.join(out_dir, name + ".io.pt"))
    # One training step's loss and parameter gradients: train-mode BatchNorm, cross-entropy on fixed
    # labels; in float32 and in float64 (the second is the exact answer the float32 ones round towards).
    labels = torch.arange(x.shape[0]) % classes
    net = model.net if name in TORCHVISION else model
    step = {"labels": labels}
    for suffix, dtype in (("", torch.float32), ("64", torch.float64)):
        net.load_state_dict(state if name in TORCHVISION else state["model"])
        model.to(dtype).train()
        model.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x.to(dtype))[0], labels)
        loss.backward()
        step["loss" + suffix] = loss.detach()
        # Copies: Module.to() converts a parameter's .grad in place, which would retype the ones kept.
        step.update({"grad%s.%s" % (suffix, k): p.grad.detach().clone() for k, p in net.named_parameters()})
    model.float()
    torch.save(step, os.path.join(out_dir, name + ".grad.pt"))
    # Back to the saved state (the step moved BatchNorm's running statistics), no gradients, eval mode.
    net.load_state_dict(state if name in TORCHVISION else state["model"])
    model.zero_grad(set_to_none=True)
    model.eval()
    print("%-12s logits |max| %.3f  -> %s" % (name, logits.abs().max().item(), out_dir))
    return model


def make_checkpoint_variants(out_dir, seed):
    """resnet8 saved five ways: bare state dict; CRD/mdistiller-style nested dict with module. prefixes,
    in the zip format and in the pre-1.6 legacy format (in which the official CIFAR teachers were saved);
    nested beside numpy scalars."""
    model = make("resnet8", out_dir, seed)
    torch.save(model.state_dict(), os.path.join(out_dir, "resnet8.bare.pt"))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    model.train()
    loss = model(torch.randn(2, 3, 32, 32))[0].sum()
    loss.backward()
    opt.step()
    model.load_state_dict(torch.load(os.path.join(out_dir, "resnet8.pth"))["model"])
    prefixed = {"module." + k: v for k, v in model.state_dict().items()}
    nested = {"epoch": 240, "model": prefixed, "accuracy": torch.tensor(71.25), "optimizer": opt.state_dict()}
    torch.save(nested, os.path.join(out_dir, "resnet8.module.pth"))
    torch.save(nested, os.path.join(out_dir, "resnet8.legacy.pth"), _use_new_zipfile_serialization=False)
    # numpy scalars beside the weights, as many training scripts save their best accuracy.
    import numpy as np
    torch.save({"model": model.state_dict(), "best_acc": np.float64(71.25), "epoch": np.int64(240)},
               os.path.join(out_dir, "resnet8.numpy.pth"))


# CIFAR-100 normalisation (PAPER.md §4): pixels / 255, then per-channel mean and std.
CIFAR_MEAN = (0.5071, 0.4867, 0.4408)
CIFAR_STD = (0.2675, 0.2565, 0.2761)


def make_cifar_sample(out_dir, seed, count=8):
    """A small file in the CIFAR-100 binary format (1 coarse-label byte, 1 fine-label byte, 3072 pixel
    bytes, channel-major) and resnet8x4's eval-mode logits on it after the standard normalisation, for
    end-to-end checks of `logitstd eval` against PyTorch."""
    g = torch.Generator().manual_seed(seed)
    fine = torch.randint(0, 100, (count,), generator=g)
    coarse = fine // 5
    pixels = torch.randint(0, 256, (count, 3 * 32 * 32), generator=g, dtype=torch.int64)
    records = torch.cat([coarse[:, None], fine[:, None], pixels], 1).to(torch.uint8)
    with open(os.path.join(out_dir, "cifar100-sample.bin"), "wb") as f:
        f.write(records.numpy().tobytes())
    x = pixels.view(count, 3, 32, 32).float() / 255.0
    x = (x - torch.tensor(CIFAR_MEAN).view(1, 3, 1, 1)) / torch.tensor(CIFAR_STD).view(1, 3, 1, 1)
    model = BUILDERS["resnet8x4"](100)
    model.load_state_dict(torch.load(os.path.join(out_dir, "resnet8x4.pth"))["model"])
    model.eval()
    with torch.no_grad():
        logits, feature = model(x)
    torch.save({"input": x, "logits": logits, "feature": feature, "labels": fine},
               os.path.join(out_dir, "resnet8x4.cifar100-sample.io.pt"))
    print("cifar100-sample.bin: %d records, resnet8x4 logits |max| %.3f" % (count, logits.abs().max().item()))


def check_load(path, name, classes, io_path):
    model = BUILDERS[name](classes)
    obj = torch.load(path, map_location="cpu")
    state = obj["model"] if isinstance(obj, dict) and "model" in obj else obj
    model.load_state_dict(state, strict=True)
    if io_path:
        io = torch.load(io_path)
        model.eval()
        with torch.no_grad():
            logits, _ = model(io["input"])
        err = (logits - io["logits"]).abs().max().item()
        print("max |Δlogits| %.3g" % err)
        if err > 1e-4:
            return 1
    print("OK %s loads into %s (%d classes)" % (path, name, classes))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out")
    p.add_argument("--models", default="resnet8x4,wrn_40_2,vgg13,MobileNetV2,ShuffleV2,resnet8,cifar100-sample",
                   help="cifar100-sample needs resnet8x4.pth in --out (made first when listed after it)")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--check-load")
    p.add_argument("--model")
    p.add_argument("--classes", type=int, default=100)
    p.add_argument("--io")
    a = p.parse_args()
    torch.set_num_threads(1)
    if a.check_load:
        return check_load(a.check_load, a.model, a.classes, a.io)
    if not a.out:
        p.error("--out is required")
    os.makedirs(a.out, exist_ok=True)
    for name in a.models.split(","):
        if name == "cifar100-sample":
            make_cifar_sample(a.out, a.seed + 100)
        elif name == "resnet8":
            make_checkpoint_variants(a.out, a.seed + SEED_OFFSETS[name])
        else:
            make(name, a.out, a.seed + SEED_OFFSETS[name])
    return 0


if __name__ == "__main__":
    sys.exit(main())
