/**
 * `deno run -A scripts/onnx_read_bench.ts [MiB]`: the streaming ONNX reader against its peer, Python's
 * `onnx.load(..., load_external_data=False)` (Debian python3-onnx), on one model with an embedded tensor of
 * the given size (default 1024 MiB, made with Python's onnx), plus the content hash the hidden-state edit
 * is keyed by. Prints times and the ratio; needs a python3 with onnx and numpy.
 */
import { join } from "node:path";
import { readOnnxModel } from "../lib/onnx/reader.ts";
import { fileSha256 } from "../lib/onnx/hidden_state.ts";
import { readSetting } from "../lib/runtime/env.ts";

const mib = Number(Deno.args[0] ?? 1024);
const py = readSetting("python") ?? "/usr/bin/python3";
const dir = await Deno.makeTempDir();
const path = join(dir, "big.onnx");
const run = async (script: string) => {
  const r = await new Deno.Command(py, { args: ["-c", script], stdout: "piped", stderr: "piped" }).output();
  if (!r.success) throw new Error(`${py}: ${new TextDecoder().decode(r.stderr)}`);
  return new TextDecoder().decode(r.stdout).trim();
};
try {
  await run(`
import numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
W = numpy_helper.from_array(np.zeros((${mib}, 256, 1024), np.float32), "W")
g = helper.make_graph([helper.make_node("Gather", ["W", "i"], ["y"])], "g", [helper.make_tensor_value_info("i", TensorProto.INT64, [1])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [W])
onnx.save_model(helper.make_model(g), "${path}")`);
  const best = async (f: () => Promise<unknown>) => {
    let b = Infinity;
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      await f();
      b = Math.min(b, performance.now() - t);
    }
    return b;
  };
  const ours = await best(() => readOnnxModel(path));
  const peerTimes: number[] = [];
  for (let k = 0; k < 3; k++) {
    peerTimes.push(Number(await run(`import time, onnx\nt = time.perf_counter()\nonnx.load("${path}", load_external_data=False)\nprint((time.perf_counter() - t) * 1000)`)));
  }
  const peer = Math.min(...peerTimes);
  const hash = await best(() => fileSha256(path));
  console.log(`model with a ${mib} MiB embedded tensor, best of 3:`);
  console.log(`  readOnnxModel (streaming, tensor bytes skipped) ${ours.toFixed(1)} ms`);
  console.log(`  python onnx.load(load_external_data=False)      ${peer.toFixed(1)} ms  -> reader is ${(peer / ours).toFixed(0)}x faster`);
  console.log(`  sha256 of the file (cache key of the edit)      ${hash.toFixed(0)} ms (${(mib / (hash / 1000)).toFixed(0)} MiB/s)`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
