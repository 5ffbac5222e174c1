#!/usr/bin/python3
"""Train the bundled Fashion-MNIST classifier and export it as TorchScript.

Reproduce the committed model (about 30-40 minutes on 2 CPU cores):

    sudo apt-get install -y python3-torch dataset-fashion-mnist libopenblas0-pthread
    /usr/bin/python3 training/train_fashion_mnist.py --out models/fashion-mnist

Data: Debian's dataset-fashion-mnist (IDX files in /usr/share/datasets/fashion-mnist/).
Only the 60,000 training images are used for training; the 10,000 t10k images are touched
once, after the last epoch, to print the held-out accuracy (no model selection on them).

The network is a small VGG-style CNN with batch norm (three conv blocks), trained with
random-crop (pad 2) and horizontal-flip augmentation, SGD with Nesterov momentum and a
one-cycle learning-rate schedule. The exported module takes float32 NCHW input of shape
(N, 1, 28, 28), normalised as (pixel / 255 - mean) / std with the mean and std written to
the model's config, and returns raw logits (N, 10); the worker applies softmax.
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(root, split):
    images = read_idx(os.path.join(root, f"{split}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(root, f"{split}-labels-idx1-ubyte.gz"))
    return images, labels


def block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class FashionNet(nn.Module):
    def __init__(self, w=32):
        super().__init__()
        self.features = nn.Sequential(
            *block(1, w), *block(w, w), nn.MaxPool2d(2),              # 14x14
            *block(w, 2 * w), *block(2 * w, 2 * w), nn.MaxPool2d(2),  # 7x7
            *block(2 * w, 4 * w), nn.AdaptiveAvgPool2d(1))
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(4 * w, 10)

    def forward(self, x):
        x = self.features(x).flatten(1)
        return self.fc(self.dropout(x))


def augment(x, gen):
    """Random crop with 2 pixels of zero padding, and a horizontal flip, per image."""
    n = x.shape[0]
    padded = F.pad(x, (2, 2, 2, 2))
    dx = torch.randint(0, 5, (n,), generator=gen)
    dy = torch.randint(0, 5, (n,), generator=gen)
    out = torch.empty_like(x)
    for i in range(n):
        out[i] = padded[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
    flip = torch.rand(n, generator=gen) < 0.5
    out[flip] = out[flip].flip(3)
    return out


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--out", default="models/fashion-mnist")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit-batches", type=int, default=0, help="stop each epoch after N batches (timing runs)")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(args.seed)

    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    mean = float(train_x.mean() / 255.0)
    std = float(train_x.std() / 255.0)

    def to_tensor(images):
        return ((torch.from_numpy(images.astype(np.float32)) / 255.0 - mean) / std).unsqueeze(1)

    xtr, ytr = to_tensor(train_x), torch.from_numpy(train_y.astype(np.int64))
    xte, yte = to_tensor(test_x), torch.from_numpy(test_y.astype(np.int64))

    model = FashionNet(args.width)
    steps_per_epoch = (len(xtr) + args.batch - 1) // args.batch
    if args.limit_batches:
        steps_per_epoch = min(steps_per_epoch, args.limit_batches)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=steps_per_epoch)
    print(f"mean={mean:.4f} std={std:.4f} params={sum(p.numel() for p in model.parameters())}", flush=True)
    for epoch in range(args.epochs):
        model.train()
        start = time.time()
        perm = torch.randperm(len(xtr), generator=gen)
        total_loss = 0.0
        for step in range(steps_per_epoch):
            idx = perm[step * args.batch:(step + 1) * args.batch]
            xb, yb = augment(xtr[idx], gen), ytr[idx]
            loss = F.cross_entropy(model(xb), yb, label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item()
        print(f"epoch {epoch + 1}/{args.epochs} loss {total_loss / steps_per_epoch:.4f} "
              f"{time.time() - start:.0f}s", flush=True)

    accuracy = evaluate(model, xte, yte)
    print(f"held-out t10k accuracy (PyTorch, in process): {accuracy:.4f}", flush=True)

    os.makedirs(args.out, exist_ok=True)
    model.eval()
    scripted = torch.jit.trace(model, torch.zeros(1, 1, 28, 28))
    scripted.save(os.path.join(args.out, "fashion-mnist.pt"))
    with open(os.path.join(args.out, "synset.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    config = {
        "name": "fashion-mnist",
        "version": "1",
        "description": "Small VGG-style CNN trained on Fashion-MNIST (training/train_fashion_mnist.py)",
        "file": "fashion-mnist.pt",
        "labels": "synset.txt",
        "input": {"width": 28, "height": 28, "channels": 1, "mean": [round(mean, 6)], "std": [round(std, 6)]},
        "topK": 3,
        "training": {"epochs": args.epochs, "heldOutAccuracyInProcess": round(accuracy, 4)},
    }
    with open(os.path.join(args.out, "model.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
