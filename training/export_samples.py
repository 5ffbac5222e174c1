#!/usr/bin/python3
"""Export the bundled sample images: real Fashion-MNIST test (t10k) images as PNG files.

    /usr/bin/python3 training/export_samples.py [--per-class 4] [--out samples]

Writes samples/<label>/<n>.png, where <label> is the class name in lower case with punctuation
turned into dashes (t-shirt-top, ankle-boot, ...), and samples/SOURCES.txt naming the t10k index
of every file. For each class it takes the first images, in t10k order, that the bundled model
classifies correctly in PyTorch; the tests then check that the served system gives the same
answers through the whole Java path (decode, preprocess, DJL, balancer). The images that the model
gets wrong are measured by `imagerec eval` over all 10,000 images instead.
"""
import argparse
import gzip
import os
import re

import numpy as np
import torch
from PIL import Image

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def folder(label):
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--model", default="models/fashion-mnist/fashion-mnist.pt")
    p.add_argument("--mean", type=float, default=None)
    p.add_argument("--std", type=float, default=None)
    p.add_argument("--per-class", type=int, default=4)
    p.add_argument("--out", default="samples")
    args = p.parse_args()

    import json
    config = json.load(open(os.path.join(os.path.dirname(args.model), "model.json")))
    mean = args.mean if args.mean is not None else config["input"]["mean"][0]
    std = args.std if args.std is not None else config["input"]["std"][0]

    raw = gzip.open(os.path.join(args.data, "t10k-images-idx3-ubyte.gz")).read()
    images = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)
    labels = np.frombuffer(gzip.open(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz")).read(), np.uint8, offset=8)
    model = torch.jit.load(args.model).eval()
    with torch.no_grad():
        x = (torch.from_numpy(images.astype(np.float32)) / 255.0 - mean) / std
        predicted = model(x.unsqueeze(1)).argmax(1).numpy()

    counts = {c: 0 for c in range(10)}
    skipped = []
    lines = []
    for i in range(len(images)):
        c = int(labels[i])
        if counts[c] >= args.per_class:
            continue
        if predicted[i] != c:
            skipped.append(f"t10k index {i} label {c} ({LABELS[c]}) predicted {predicted[i]} ({LABELS[predicted[i]]})")
            continue
        d = os.path.join(args.out, folder(LABELS[c]))
        os.makedirs(d, exist_ok=True)
        name = f"{counts[c]}.png"
        Image.fromarray(images[i], mode="L").save(os.path.join(d, name))
        lines.append(f"{folder(LABELS[c])}/{name} t10k index {i} label {c} ({LABELS[c]})")
        counts[c] += 1
        if all(v >= args.per_class for v in counts.values()):
            break
    with open(os.path.join(args.out, "SOURCES.txt"), "w") as f:
        f.write("# Fashion-MNIST t10k images (Debian dataset-fashion-mnist), exported by training/export_samples.py\n")
        f.write("\n".join(lines) + "\n")
        f.write(f"# skipped on the way, because the model gets them wrong ({len(skipped)}):\n")
        f.write("".join(f"#   {line}\n" for line in skipped))
    print(f"wrote {len(lines)} samples to {args.out}")


if __name__ == "__main__":
    main()
