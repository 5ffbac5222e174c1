#!/usr/bin/python3
"""CPU time per image of PIL + torchvision's evaluation preprocessing, decoding apart.

    /usr/bin/python3 benchmarks/python/preprocess_benchmark.py IMAGE... [--seconds 3]

Prints one JSON line per image: {"file", "decode_ms", "preprocess_ms"}, CPU milliseconds per image
on one thread: decoding is Image.open + load; preprocessing is exif_transpose -> convert("RGB") ->
Resize(256) -> CenterCrop(224) -> ToTensor -> Normalize. bin/benchmark-preprocessing runs it beside
the worker's own pipeline.
"""
import argparse
import io
import json
import os
import time

import torch
import torchvision.transforms as T
from PIL import Image, ImageOps

PIPELINE = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                      T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])


def per_image(work, seconds):
    work()  # warm-up
    n = 0
    start = time.process_time()
    while time.process_time() - start < seconds or n < 3:
        work()
        n += 1
    return (time.process_time() - start) * 1000 / n


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("images", nargs="+")
    p.add_argument("--seconds", type=float, default=3)
    args = p.parse_args()
    torch.set_num_threads(1)
    for path in args.images:
        data = open(path, "rb").read()

        def decode():
            image = Image.open(io.BytesIO(data))
            image.load()
            return image

        decoded = decode()
        decode_ms = per_image(decode, args.seconds)
        preprocess_ms = per_image(lambda: PIPELINE(ImageOps.exif_transpose(decoded).convert("RGB")), args.seconds)
        print(json.dumps({"file": os.path.basename(path), "decode_ms": decode_ms, "preprocess_ms": preprocess_ms}),
              flush=True)


if __name__ == "__main__":
    main()
