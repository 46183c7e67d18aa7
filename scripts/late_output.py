#!/usr/bin/python3
"""Where the Deno kernel's output lands when cells are queued back to back, as the classic Notebook's
Cell > Run All sends them: for each output, is its parent the request of the cell that made it, and did
it arrive before that request's `idle`? (The classic Notebook shows an output under the cell its parent
names, and drops one that arrives after its cell's `idle`.)

The cells are the lib displays the notebooks use, each tagged with its cell number: markdown, a table, a
Plot figure, a progress bar run to the end, a log line then markdown, an image grid with and without
`await`; plus, with --logs N, a cell that prints N lines before its markdown. It runs them twice in the
same invocation, once with lib's settle wait off (SHARELOCK_SETTLE_MS=0) and once with its default, and
prints one line per run.

Usage: python3 scripts/late_output.py --jupyter-path .cache/jupyter [--rounds 6] [--logs 0]
(`--jupyter-path`: the folder holding kernels/deno/kernel.json, as `ensureRunnerKernel` writes it.)
"""
import argparse
import json
import os
import re
import sys
import tempfile
import time

from jupyter_client.manager import KernelManager

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def cells(rounds, logs):
    out = [
        'import * as sl from "%s";\nimport * as Plot from "@observablehq/plot";\n'
        'const img = await Deno.makeTempFile({ suffix: ".png" });\n'
        'await Deno.writeFile(img, Uint8Array.from(atob("%s"), (c) => c.charCodeAt(0)));\nundefined'
        % (os.path.join(ROOT, "lib", "mod.ts"), PNG)
    ]
    for _ in range(rounds):
        b = len(out)
        out += [
            f'sl.markdown("c{b} markdown")',
            f'sl.table([{{ cell: "c{b + 1} table", b: 2 }}])',
            f'sl.plot({{ marks: [Plot.dot([{{ x: 1, y: 2 }}], {{ x: "x", y: "y" }})] }}, "c{b + 2} plot")',
            f'const bar{b} = sl.progress(5, "c{b + 3} progress", {{ intervalMs: 0 }});\n'
            f'for (let i = 0; i < 5; i++) bar{b}.tick();\nawait bar{b}.done();',
            f'console.log("c{b + 4} log"); sl.markdown("c{b + 4} after a log line")',
            f'sl.imageGrid([{{ image: img, caption: "c{b + 5} grid, no await" }}], {{ size: 16 }})',
            f'await sl.imageGrid([{{ image: img, caption: "c{b + 6} grid" }}], {{ size: 16 }})',
        ]
        if logs:
            n = len(out)
            out.append(f'for (let i = 0; i < {logs}; i++) console.log("c{n} line " + i);\nsl.markdown("c{n} after the lines")')
    return out


def run(code_cells, settle_ms, timeout):
    env = {k: v for k, v in os.environ.items() if k != "SHARELOCK_SETTLE_MS"}
    if settle_ms is not None:
        env["SHARELOCK_SETTLE_MS"] = str(settle_ms)
    km = KernelManager(kernel_name="deno")
    km.start_kernel(cwd=ROOT, env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        ids = [kc.execute(c) for c in code_cells]  # all at once, as Run All does
        index = {m: i for i, m in enumerate(ids)}
        idle, outputs = set(), []
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                msg = kc.get_iopub_msg(timeout=2)
            except Exception:
                if len(idle) == len(ids):
                    break
                continue
            i = index.get(msg["parent_header"].get("msg_id"))
            kind = msg["msg_type"]
            if kind == "status":
                if msg["content"]["execution_state"] == "idle" and i is not None:
                    idle.add(i)
                continue
            content = msg["content"]
            text = content.get("text") or (content.get("data") or {}).get("text/plain", "") or content.get("evalue", "")
            tag = re.search(r"c(\d+)", re.sub(r"\x1b\[[0-9;]*m", "", str(text)))
            if tag:
                outputs.append({"cell": int(tag.group(1)), "parent": i, "after_idle": i in idle, "type": kind, "promise": "Promise {" in str(text)})
        return outputs
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jupyter-path", required=True)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--logs", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    os.environ["JUPYTER_PATH"] = os.path.abspath(a.jupyter_path)
    code = cells(a.rounds, a.logs)
    for ms in (0, None):  # None: lib's default (SETTLE_MS)
        outs = run(code, ms, a.timeout)
        wrong = [o for o in outs if o["parent"] != o["cell"]]
        late = [o for o in outs if o["parent"] == o["cell"] and o["after_idle"]]
        print(json.dumps({
            "settle_ms": "lib default" if ms is None else ms, "cells": len(code), "outputs": len(outs),
            "under_another_cell": len(wrong), "after_idle": len(late),
            "promise_text": sum(o["promise"] for o in outs),
            "examples": [f'c{o["cell"]} {o["type"]} -> {"cell " + str(o["parent"]) if o["parent"] != o["cell"] else "after idle"}' for o in (wrong + late)[:4]],
        }))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
