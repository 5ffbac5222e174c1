#!/usr/bin/python3
"""Reference results of the parity tests, from PIL and torchvision as a Python user runs them.

    /usr/bin/python3 integration-tests/python/reference.py --photos DIR --models DIR --out DIR

For every image of DIR/index.json (make_photos.py), the reference pipeline
exif_transpose -> convert("RGB") -> Resize(256) -> CenterCrop(224) -> ToTensor -> Normalize(ImageNet)
gives the model input, written as raw little-endian float32 in CHW order to OUT/<file>.f32. The
TorchScript models named below are run on those inputs in PyTorch and their results, after each
model's activation, go to OUT/outputs.json: {model: {file: [values]}}.
"""
import argparse
import json
import os

import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image, ImageOps

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
PIPELINE = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
# model folder -> what turns its raw output into the served values
MODELS = {
    "resnet18": lambda out: torch.softmax(out, 1),
    "mobilenet-multilabel": torch.sigmoid,
    "resnet18-embedding": lambda out: torch.nn.functional.normalize(out, dim=1),
}


def load(path, reference):
    image = Image.open(path)
    image = ImageOps.exif_transpose(image)
    if reference == "high-byte":
        # imagerec keeps the high byte of 16-bit samples; PIL's convert would clip them at 255
        image = Image.fromarray((np.asarray(image).astype(np.uint32) >> 8).astype(np.uint8), "L")
    return image.convert("RGB")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--photos", required=True)
    p.add_argument("--models", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    with open(os.path.join(args.photos, "index.json")) as f:
        index = json.load(f)
    inputs = {}
    for entry in index:
        tensor = PIPELINE(load(os.path.join(args.photos, entry["file"]), entry["reference"]))
        inputs[entry["file"]] = tensor
        tensor.numpy().astype("<f4").tofile(os.path.join(args.out, entry["file"] + ".f32"))
    outputs = {}
    with torch.no_grad():
        for name, activation in MODELS.items():
            model = torch.jit.load(os.path.join(args.models, name, name + ".pt")).eval()
            outputs[name] = {}
            for file, tensor in inputs.items():
                outputs[name][file] = activation(model(tensor.unsqueeze(0)))[0].tolist()
    with open(os.path.join(args.out, "outputs.json"), "w") as f:
        json.dump(outputs, f)
    print(f"wrote references of {len(inputs)} images and {len(MODELS)} models to {args.out}")


if __name__ == "__main__":
    main()
