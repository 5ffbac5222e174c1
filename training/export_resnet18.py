#!/usr/bin/python3
"""Export an ImageNet-sized benchmark model: torchvision's resnet18 as TorchScript.

    /usr/bin/python3 training/export_resnet18.py --out benchmarks/target/models/resnet18

The weights are random (the speed of a network does not depend on them, and nothing is
downloaded); the folder is generated for benchmarks and never committed. Needs Debian's
python3-torch and python3-torchvision.
"""
import argparse
import json
import os

import torch
import torchvision


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=1000).eval()
    os.makedirs(args.out, exist_ok=True)
    torch.jit.trace(model, torch.zeros(1, 3, 224, 224)).save(os.path.join(args.out, "resnet18.pt"))
    with open(os.path.join(args.out, "synset.txt"), "w") as f:
        f.write("\n".join(f"class_{i}" for i in range(1000)) + "\n")
    config = {
        "name": "resnet18", "version": "1",
        "description": "torchvision resnet18 with random weights, for benchmarks only",
        "file": "resnet18.pt", "labels": "synset.txt",
        "input": {"width": 224, "height": 224, "channels": 3,
                  "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
        "topK": 5,
        # measured by bin/benchmark-worker on 2 cores: batch 4 is this model's best in process
        "batching": {"maxBatchSize": 4},
    }
    with open(os.path.join(args.out, "model.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
