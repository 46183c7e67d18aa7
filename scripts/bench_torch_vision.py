#!/usr/bin/python3
"""PyTorch peer for `deno task bench extraction`: torchvision's MobileNetV2 (width 1.4) and InceptionV3
with random weights (the cost is the weights' shapes, not their values), up to the pooled features, in
eval mode without gradients, channels_last memory format, on the same number of images, batch size and threads as the onnx engine.
FLOPs are counted with forward hooks (2 x multiply-adds of every Conv2d and Linear).

Usage: bench_torch_vision.py MODEL IMAGES BATCH THREADS   (MODEL: mobilenet-v2 | inception-v3)
Prints one JSON line: {"model", "images", "batch", "threads", "images_per_s", "ms_per_image", "cpu_ms_per_image",
"gflop_per_image", "torch", "blas"}.
"""
import json
import re
import sys
import time

import torch
import torchvision


def build(name):
    if name == "mobilenet-v2":
        m = torchvision.models.mobilenet_v2(weights=None, width_mult=1.4)
        m.classifier = torch.nn.Identity()  # 1792-d pooled features
        return m, 224
    if name == "inception-v3":
        m = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False)
        m.fc = torch.nn.Identity()  # 2048-d pooled features
        return m, 299
    raise SystemExit(f"unknown model {name}")


def count_flops(model, size):
    flops = [0]

    def conv(mod, inp, out):
        k = mod.kernel_size[0] * mod.kernel_size[1] * (mod.in_channels // mod.groups)
        flops[0] += 2 * out.numel() * k

    def lin(mod, inp, out):
        flops[0] += 2 * out.numel() * mod.in_features

    hooks = [m.register_forward_hook(conv) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    hooks += [m.register_forward_hook(lin) for m in model.modules() if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in hooks:
        h.remove()
    return flops[0]


def main():
    name, images, batch, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, size = build(name)
    model.eval()
    flops = count_flops(model, size)
    # channels_last: PyTorch's recommended CPU layout for oneDNN convolutions (about 3x faster for
    # MobileNetV2 here than the default NCHW)
    model = model.to(memory_format=torch.channels_last)
    x = torch.randn(batch, 3, size, size).to(memory_format=torch.channels_last)
    with torch.no_grad():
        model(x)  # warm-up
        t, cpu = time.perf_counter(), time.process_time()
        done = 0
        while done < images:
            n = min(batch, images - done)
            model(x[:n])
            done += n
        seconds = time.perf_counter() - t
        cpu_seconds = time.process_time() - cpu
    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    mkldnn = "oneDNN (MKL-DNN) for convolutions" if torch.backends.mkldnn.is_available() else "no oneDNN"
    print(json.dumps({
        "model": name, "images": images, "batch": batch, "threads": torch.get_num_threads(),
        "images_per_s": images / seconds, "ms_per_image": 1000 * seconds / images,
        "cpu_ms_per_image": 1000 * cpu_seconds / images,
        "gflop_per_image": flops / 1e9, "torch": torch.__version__,
        "blas": f"BLAS_INFO={blas.group(1) if blas else '?'}, {mkldnn}, channels_last",
    }))


if __name__ == "__main__":
    main()
