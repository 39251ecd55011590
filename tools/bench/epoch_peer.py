"""PyTorch peer of one whole distillation epoch, loader included, on a CIFAR-100-format binary file.

  /usr/bin/python3 tools/bench/epoch_peer.py --make-data DIR [--train N] [--test M]   # synthetic train.bin/test.bin
  /usr/bin/python3 tools/bench/epoch_peer.py --write-teacher FILE                      # a seeded resnet32x4 state dict
  /usr/bin/python3 tools/bench/epoch_peer.py --data-dir DIR --teacher FILE [--threads N] [--workers W]

The epoch is what `logitstd distill --method kd --logit-stand --epochs 1` does on the same file
(the Cake target `BenchEpoch` runs both): resnet32x4 teacher (eval, no_grad, online every step) →
resnet8x4, batch 64, SGD (lr 0.05, momentum 0.9, wd 5e-4), 0.1·CE + 9·KD(τ 2, Z-score), each sample
cropped (4-pixel zero padding) and flipped in the loader's worker as torchvision's RandomCrop and
RandomHorizontalFlip do, normalised with CIFAR-100's statistics; then the test set is evaluated
(LogitStd's epoch time includes its evaluation too). Prints
  EPOCH side=pytorch images=<n> seconds=<s> img_s=<x> cpu_wall=<a>
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_peer import MODELS, objective_terms  # noqa: E402

MEAN = np.array([0.5071, 0.4867, 0.4408], dtype=np.float32).reshape(3, 1, 1)
STD = np.array([0.2675, 0.2565, 0.2761], dtype=np.float32).reshape(3, 1, 1)
RECORD = 2 + 3 * 32 * 32


def read_bin(path):
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, RECORD)
    return raw[:, 2:].reshape(-1, 3, 32, 32), raw[:, 1].astype(np.int64)


class CifarTrain(torch.utils.data.Dataset):
    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        padded = np.zeros((3, 40, 40), dtype=np.uint8)
        padded[:, 4:36, 4:36] = self.images[i]
        dy, dx = np.random.randint(0, 9, size=2)
        crop = padded[:, dy:dy + 32, dx:dx + 32]
        if np.random.rand() < 0.5:
            crop = crop[:, :, ::-1]
        x = (crop.astype(np.float32) / 255.0 - MEAN) / STD
        return torch.from_numpy(np.ascontiguousarray(x)), int(self.labels[i])


def make_data(directory, train, test, seed):
    rng = np.random.default_rng(seed)
    os.makedirs(directory, exist_ok=True)
    for name, n in (("train.bin", train), ("test.bin", test)):
        records = rng.integers(0, 256, size=(n, RECORD), dtype=np.uint8)
        records[:, 0] = records[:, 0] % 20
        records[:, 1] = np.arange(n) % 100
        records.tofile(os.path.join(directory, name))


def epoch(data_dir, teacher_file, workers):
    torch.manual_seed(7)
    student = MODELS["resnet8x4"][0](100).train()
    teacher = MODELS["resnet32x4"][0](100).eval()
    teacher.load_state_dict(torch.load(teacher_file))
    opt = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=False)
    images, labels = read_bin(os.path.join(data_dir, "train.bin"))
    test_images, test_labels = read_bin(os.path.join(data_dir, "test.bin"))
    loader = torch.utils.data.DataLoader(CifarTrain(images, labels), batch_size=64, shuffle=True, num_workers=workers,
                                         generator=torch.Generator().manual_seed(7))
    cpu0, t0 = time.process_time(), time.perf_counter()
    for x, y in loader:
        logits, _ = student(x)
        with torch.no_grad():
            t = teacher(x)[0]
        terms = objective_terms("kd_ls", logits, y, t, None, None)
        total = sum(terms.values())
        total.item()
        opt.zero_grad()
        total.backward()
        opt.step()
        for v in terms.values():
            v.item()
        logits.argmax(1).eq(y).sum().item()
    student.eval()
    with torch.no_grad():
        xt = torch.from_numpy((test_images.astype(np.float32) / 255.0 - MEAN) / STD)
        for b in range(0, len(test_labels), 256):
            out = student(xt[b:b + 256])[0]
            F.cross_entropy(out, torch.from_numpy(test_labels[b:b + 256])).item()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0  # this process only: the loader's worker processes are not counted
    print("EPOCH side=pytorch images=%d seconds=%.2f img_s=%.2f cpu_wall=%.2f" % (len(labels), wall, len(labels) / wall, cpu / wall), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--make-data")
    ap.add_argument("--train", type=int, default=2560)
    ap.add_argument("--test", type=int, default=256)
    ap.add_argument("--write-teacher")
    ap.add_argument("--data-dir")
    ap.add_argument("--teacher")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.make_data:
        make_data(a.make_data, a.train, a.test, 1)
    if a.write_teacher:
        torch.manual_seed(1)
        torch.save(MODELS["resnet32x4"][0](100).state_dict(), a.write_teacher)
    if a.data_dir:
        epoch(a.data_dir, a.teacher, a.workers)


if __name__ == "__main__":
    main()
