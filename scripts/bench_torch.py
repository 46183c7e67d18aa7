#!/usr/bin/python3
"""PyTorch reference for `deno task bench training`: the same projection, loss and optimiser step
(Linear / BatchNorm1d / ReLU / Dropout blocks, L2-normalised output, symmetric CLIP loss at a fixed
logit scale, Adam with coupled weight decay 1e-4, global-norm clipping at 1.0), on the same inputs and
initial weights, written by the TypeScript side as raw float32 files.

Usage: bench_torch.py DIR  (DIR/manifest.json lists the shapes and files). Prints one JSON line per shape:
{"shape", "torch_ms_per_step", "initial_loss", "steps", "threads", "blas"}.
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch


def load(path, shape):
    return torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(shape).copy())


def build(spec, weights):
    dims = spec["dims"]
    layers = []
    for i in range(len(dims) - 1):
        lin = torch.nn.Linear(dims[i], dims[i + 1])
        lin.weight.data = load(weights[f"layers.{i}.linear.weight"], (dims[i + 1], dims[i]))
        lin.bias.data = load(weights[f"layers.{i}.linear.bias"], (dims[i + 1],))
        layers.append(lin)
        if i < len(dims) - 2:
            if spec["batchNorm"]:
                bn = torch.nn.BatchNorm1d(dims[i + 1])
                layers.append(bn)
            layers.append(torch.nn.ReLU())
            if spec["dropout"] > 0:
                layers.append(torch.nn.Dropout(spec["dropout"]))
    return torch.nn.Sequential(*layers)


def clip_loss(img, txt, scale):
    img = torch.nn.functional.normalize(img, dim=-1)
    txt = torch.nn.functional.normalize(txt, dim=-1)
    logits = scale * img @ txt.t()
    labels = torch.arange(len(img))
    return (torch.nn.functional.cross_entropy(logits, labels) + torch.nn.functional.cross_entropy(logits.t(), labels)) / 2


def main():
    root = sys.argv[1]
    manifest = json.load(open(os.path.join(root, "manifest.json")))
    torch.manual_seed(0)
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", os.cpu_count())))
    for spec in manifest["shapes"]:
        model = build(spec, spec["weights"])
        model.train()
        txt = load(spec["txt"], (spec["batch"], spec["dims"][0]))
        img = load(spec["img"], (spec["batch"], spec["dims"][-1]))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = clip_loss(img, model(txt), 1 / 0.07)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            return loss.item()

        initial = step()  # warm-up; also the loss at the shared initial weights
        times = []
        for _ in range(spec["steps"]):
            t = time.perf_counter()
            step()
            times.append((time.perf_counter() - t) * 1000)
        print(json.dumps({
            "shape": spec["name"],
            "torch_ms_per_step": round(statistics.median(times), 1),
            "initial_loss": initial,
            "steps": spec["steps"],
            "threads": torch.get_num_threads(),
            "torch": torch.__version__,
        }), flush=True)


if __name__ == "__main__":
    main()
