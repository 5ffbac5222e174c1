#!/usr/bin/python3
"""Export torchvision architectures as imagerec model folders, as TorchScript and as ONNX.

    /usr/bin/python3 training/export_models.py --out target/models
    /usr/bin/python3 training/export_models.py --out target/models --only resnet18,resnet18-onnx

Each folder holds the model file, its labels and a model.json with torchvision's evaluation
preprocessing (resize the shorter side to 256, centre-crop 224, ImageNet mean and std):

    resnet18             resnet18, TorchScript, 1000 classes, softmax
    resnet18-onnx        the same network and weights, ONNX (dynamic batch), on ONNX Runtime
    mobilenet-multilabel mobilenet_v3_small, TorchScript, 20 independent labels (sigmoid)
    mobilenet-onnx       the same network and weights, ONNX exported with a fixed batch of 1
    resnet18-embedding   resnet18 without its classifier: a 512-dimension embedding, L2-normalised
    fashion-mnist-onnx   the bundled fashion-mnist model converted to ONNX (its own 28x28 grey input)
    input-probe          returns its input flattened (an "embedding" that is not normalised): the
                         sharpest check that the worker feeds a model what torchvision would

The weights come from a fixed seed, not from training (nothing is downloaded here): the same
command gives the same files' behaviour on any machine. With network access, pass --weights
DEFAULT to export torchvision's pretrained ImageNet weights instead (docs/IMAGENET.md).
Needs Debian's python3-torch and python3-torchvision; torch.onnx.export needs no onnx package.
"""
import argparse
import json
import os

import torch
import torchvision

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
EVAL_INPUT = {"width": 224, "height": 224, "channels": 3, "resize": "shorter", "resizeTo": 256,
              "crop": "center", "interpolation": "bilinear", **IMAGENET}


class InputProbe(torch.nn.Module):
    """Returns its input, flattened to [N, C*H*W]."""

    def forward(self, x):
        return torch.flatten(x, 1)


def resnet18(weights):
    """resnet18 with seeded weights, or torchvision's named weights; and their category names."""
    torch.manual_seed(0)
    if weights is None:
        return torchvision.models.resnet18(num_classes=1000).eval(), None
    w = torchvision.models.ResNet18_Weights[weights]
    return torchvision.models.resnet18(weights=w).eval(), w.meta["categories"]


def mobilenet(weights):
    if weights is not None:
        raise SystemExit("the mobilenet examples are multi-label demonstrations: export them without --weights")
    torch.manual_seed(1)
    model = torchvision.models.mobilenet_v3_small(num_classes=20)
    # freshly initialised, its activations fade to nothing layer after layer: set the batch norm
    # statistics from a few random batches, and widen the last layer, so that its scores differ
    # from image to image as a trained model's do
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.rand(8, 3, 224, 224) * 4 - 2)
        torch.nn.init.normal_(model.classifier[-1].weight, 0, 1.0)
    return model.eval(), None


def resnet18_embedding(weights):
    model, _ = resnet18(weights)
    model.fc = torch.nn.Identity()
    return model.eval(), None


def fashion_mnist(weights):
    """The bundled TorchScript model, for an ONNX twin of it."""
    bundled = os.path.join(REPO, "models", "fashion-mnist")
    with open(os.path.join(bundled, "synset.txt")) as f:
        categories = [line.strip() for line in f if line.strip()]
    return torch.jit.load(os.path.join(bundled, "fashion-mnist.pt")).eval(), categories


def input_probe(weights):
    return InputProbe().eval(), None


def labels(n, prefix="class"):
    return [f"{prefix}_{i}" for i in range(n)]


with open(os.path.join(REPO, "models", "fashion-mnist", "model.json")) as f:
    BUNDLED = json.load(f)
# measured by bin/benchmark-worker on 2 cores: batch 4 is resnet18's best in process
BATCH4 = {"batching": {"maxBatchSize": 4}}

# name -> (builder, file format, labels, output declaration, extra model.json fields, fixed batch)
MODELS = {
    "resnet18": (resnet18, "pt", labels(1000), {"kind": "classification", "activation": "softmax"}, BATCH4, None),
    "resnet18-onnx": (resnet18, "onnx", labels(1000), {"kind": "classification", "activation": "softmax"}, BATCH4,
                      None),
    "mobilenet-multilabel": (mobilenet, "pt", labels(20, "tag"),
                             {"kind": "classification", "activation": "sigmoid", "threshold": 0.5}, {}, None),
    "mobilenet-onnx": (mobilenet, "onnx", labels(20, "tag"),
                       {"kind": "classification", "activation": "sigmoid"}, {}, 1),
    "resnet18-embedding": (resnet18_embedding, "pt", None, {"kind": "embedding", "normalize": True}, {}, None),
    "fashion-mnist-onnx": (fashion_mnist, "onnx", labels(10), {"kind": "classification", "activation": "softmax"},
                           {"input": BUNDLED["input"], "topK": 3}, None),
    "input-probe": (input_probe, "pt", None, {"kind": "embedding", "normalize": False},
                    {}, None),
}


def export(name, out, weights):
    build, fmt, names, output, extra, fixed_batch = MODELS[name]
    model, categories = build(weights)
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    file = f"{name}.{fmt}"
    shape = extra.get("input", EVAL_INPUT)
    example = torch.zeros(fixed_batch or 1, shape["channels"], shape["height"], shape["width"])
    with torch.no_grad():
        if fmt == "pt":
            torch.jit.trace(model, example).save(os.path.join(folder, file))
        else:
            dynamic = None if fixed_batch else {"input": {0: "batch"}, "output": {0: "batch"}}
            torch.onnx.export(model, example, os.path.join(folder, file), opset_version=13,
                              input_names=["input"], output_names=["output"], dynamic_axes=dynamic)
    config = {
        "name": name, "version": "1",
        "description": f"torchvision architecture exported by training/export_models.py ({weights or 'seeded'} weights)",
        "file": file,
        "input": EVAL_INPUT,
        "output": output,
        **extra,
    }
    if build is fashion_mnist:
        config["description"] = "the bundled fashion-mnist model as ONNX, exported by training/export_models.py"
    if names is not None:
        names = categories or names
        with open(os.path.join(folder, "synset.txt"), "w") as f:
            f.write("\n".join(names) + "\n")
        config["labels"] = "synset.txt"
        config.setdefault("topK", 5)
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    print(f"wrote {folder}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="the model repository folder to write into")
    p.add_argument("--only", help="comma-separated model names (default: all): " + ", ".join(MODELS))
    p.add_argument("--weights", help="torchvision weights name, e.g. DEFAULT (downloads; default: seeded random)")
    args = p.parse_args()
    names = args.only.split(",") if args.only else list(MODELS)
    for name in names:
        if name not in MODELS:
            p.error(f"unknown model {name}; known: {', '.join(MODELS)}")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in names:
        export(name, args.out, args.weights)


if __name__ == "__main__":
    main()
